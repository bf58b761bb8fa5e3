import { type FormEvent, useState } from 'react';
import { get } from '../api';
import { Notice } from '../components/badges';
import { type Column, DataTable } from '../components/table';
import { ago } from '../format';
import { LIVE_INTERVAL_MS, useLoad } from '../hooks';
import { Link } from '../router';

export interface EventRow {
  seq: number;
  id: string;
  type: string;
  udid: string | null;
  occurredAt: string;
  data: Record<string, unknown>;
  cursor: string;
}

/** The event log, newest first, re-read every 2 s; filters are the API's (`type` takes `prefix.*`). */
export function EventsPage() {
  const [draft, setDraft] = useState({ type: '', udid: '' });
  const [filters, setFilters] = useState({ type: '', udid: '' });
  const events = useLoad(() => get<{ events: EventRow[] }>('/v1/events', { order: 'desc', limit: 100, type: filters.type, udid: filters.udid }), [filters.type, filters.udid], LIVE_INTERVAL_MS);
  const columns: Array<Column<EventRow>> = [
    { label: 'When', render: (e) => <span title={e.occurredAt}>{ago(e.occurredAt)}</span> },
    { label: 'Type', render: (e) => <code>{e.type}</code> },
    { label: 'Device', render: (e) => (e.udid ? <Link to={`/devices/${encodeURIComponent(e.udid)}`}>{e.udid}</Link> : '—') },
    {
      label: 'Data',
      render: (e) => (
        <details>
          <summary>{summary(e)}</summary>
          <pre>{JSON.stringify(e.data, null, 2)}</pre>
        </details>
      ),
    },
  ];
  const apply = (e: FormEvent): void => {
    e.preventDefault();
    setFilters({ type: draft.type.trim(), udid: draft.udid.trim() });
  };
  return (
    <section>
      <h1>Events</h1>
      <form className="filters" onSubmit={apply} aria-label="event filters">
        <label>
          Type <input value={draft.type} placeholder="command.*, profile.installed" onChange={(e) => setDraft({ ...draft, type: e.target.value })} />
        </label>
        <label>
          Device UDID <input value={draft.udid} onChange={(e) => setDraft({ ...draft, udid: e.target.value })} />
        </label>
        <button type="submit">Filter</button>
        <span className="live">live, every {LIVE_INTERVAL_MS / 1000} s</span>
      </form>
      <Notice error={events.error} />
      <DataTable label="events" testId="events-table" columns={columns} rows={events.data?.events ?? []} rowKey={(e) => e.id} empty={events.loading ? 'Loading…' : 'No events.'} />
    </section>
  );
}

function summary(e: EventRow): string {
  const d = e.data;
  const parts = [d['requestType'], d['status'], d['identifier'], d['topic']].filter((v) => typeof v === 'string');
  return parts.length ? parts.join(' · ') : 'data';
}
