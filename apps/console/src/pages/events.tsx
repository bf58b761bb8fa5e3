import { type FormEvent, useEffect, useState } from 'react';
import { get } from '../api';
import { LiveState, Notice } from '../components/badges';
import { timeColumn } from '../components/columns';
import { EventDataView, type EventRow } from '../components/event-data-view';
import { type Column, DataTable } from '../components/table';
import { matchesTypes } from '../event-data';
import { onServerEvent, type StreamedEvent } from '../event-stream';
import { LIVE_INTERVAL_MS, useLoad } from '../hooks';
import { Link } from '../router';

interface Filters {
  type: string;
  udid: string;
  /** `datetime-local` values; sent as ISO instants. */
  since: string;
  until: string;
}
const NO_FILTERS: Filters = { type: '', udid: '', since: '', until: '' };
const LIMIT = 50;
/** Streamed events kept above the first page before the oldest are let go. */
const MAX_LIVE = 500;

const COLUMNS: Array<Column<EventRow>> = [
  timeColumn('When', (e) => e.occurredAt),
  { label: 'Type', render: (e) => <code>{e.type}</code> },
  { label: 'Device', render: (e) => (e.udid ? <Link to={`/devices/${encodeURIComponent(e.udid)}`}>{e.udid}</Link> : '—') },
  { label: 'Data', render: (e) => <EventDataView event={e} /> },
];

const iso = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

function matches(e: StreamedEvent, f: Filters): boolean {
  if (!matchesTypes(e.type, f.type)) return false;
  if (f.udid && e.udid !== f.udid) return false;
  const at = Date.parse(e.occurredAt);
  if (f.since && at < Date.parse(f.since)) return false;
  return !(f.until && at >= Date.parse(f.until));
}

/**
 * The event log, newest first, a page at a time (`after` = the previous page's `next`), filtered by type
 * (`command.*`), device and time. The first page is live: events from the stream that pass the filters are
 * put on top as they happen; while the stream is down it is re-read every LIVE_INTERVAL_MS instead.
 */
export function EventsPage() {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  /** Cursors of the pages shown so far: the last one is the page on screen (undefined: the newest). */
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const after = cursors[cursors.length - 1];
  const firstPage = cursors.length === 1;
  const page = useLoad(
    () =>
      get<{ events: EventRow[]; next: string | null; hasMore: boolean }>('/v1/events', {
        order: 'desc',
        limit: LIMIT,
        after,
        type: filters.type,
        udid: filters.udid,
        since: iso(filters.since),
        until: iso(filters.until),
      }),
    [after, filters],
    firstPage ? LIVE_INTERVAL_MS : 0,
    false,
  );
  const live = useLiveEvents(filters, firstPage);
  const shown = new Set<string>();
  const rows = [...live, ...(page.data?.events ?? [])].filter((e) => !shown.has(e.id) && shown.add(e.id));

  const apply = (e: FormEvent): void => {
    e.preventDefault();
    setFilters({ type: draft.type.trim(), udid: draft.udid.trim(), since: draft.since, until: draft.until });
    setCursors([undefined]);
  };
  return (
    <section>
      <h1>Events</h1>
      <EventFilterForm
        draft={draft}
        onDraft={setDraft}
        onApply={apply}
        onClear={() => (setDraft(NO_FILTERS), setFilters(NO_FILTERS), setCursors([undefined]))}
        live={firstPage}
      />
      <Notice error={page.error} />
      <DataTable label="events" testId="events-table" columns={COLUMNS} rows={rows} rowKey={(e) => e.id} empty={page.loading ? 'Loading…' : 'No events match.'} />
      <nav className="pager" aria-label="pages">
        <button type="button" disabled={firstPage} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </button>
        <button type="button" disabled={!page.data?.hasMore || !page.data.next} onClick={() => page.data?.next && setCursors([...cursors, page.data.next])}>
          Older
        </button>
      </nav>
    </section>
  );
}

/** The filters being typed; they apply on submit. */
function EventFilterForm({ draft, onDraft, onApply, onClear, live }: { draft: Filters; onDraft: (draft: Filters) => void; onApply: (e: FormEvent) => void; onClear: () => void; live: boolean }) {
  return (
    <form className="filters" onSubmit={onApply} aria-label="event filters">
      <label>
        Type <input value={draft.type} placeholder="command.*, profile.installed" onChange={(e) => onDraft({ ...draft, type: e.target.value })} />
      </label>
      <label>
        Device UDID <input value={draft.udid} onChange={(e) => onDraft({ ...draft, udid: e.target.value })} />
      </label>
      <label>
        Since <input type="datetime-local" value={draft.since} onChange={(e) => onDraft({ ...draft, since: e.target.value })} />
      </label>
      <label>
        Until <input type="datetime-local" value={draft.until} onChange={(e) => onDraft({ ...draft, until: e.target.value })} />
      </label>
      <button type="submit">Filter</button>
      <button type="button" onClick={onClear}>
        Clear
      </button>
      {live ? <LiveState /> : <span className="muted">an older page: not live</span>}
    </form>
  );
}

/** Events from the stream that pass the filters, newest first, while `enabled` (the first page is on screen). */
function useLiveEvents(filters: Filters, enabled: boolean): EventRow[] {
  const [live, setLive] = useState<EventRow[]>([]);
  useEffect(() => {
    setLive([]);
    if (!enabled) return undefined;
    return onServerEvent((_type, e) => {
      if (e && matches(e, filters)) setLive((prev) => [e, ...prev].slice(0, MAX_LIVE));
    });
  }, [filters, enabled]);
  return live;
}
