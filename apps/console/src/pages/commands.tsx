import { useState } from 'react';
import { api, get } from '../api';
import { LiveState, Notice, StatusBadge } from '../components/badges';
import { deliveryColumns, type Delivery, timeColumn } from '../components/columns';
import { type Column, DataTable, Pager } from '../components/table';
import { dateTime } from '../format';
import { LIVE_INTERVAL_MS, useAction, useLoad } from '../hooks';
import { Link, navigate } from '../router';
import type { CommandSummary, CommandView } from '@mdm/contracts';

type CommandDetail = Omit<CommandView, 'devices'> & { devices: Delivery[] };
const ORDER = ['QUEUED', 'SENT', 'PUSH', 'NOTNOW', 'ACKNOWLEDGED', 'ERROR', 'FORMAT_ERROR', 'CANCELED', 'EXPIRED', 'BLOCKED'];
const OPEN = new Set(['QUEUED', 'SENT', 'PUSH', 'NOTNOW']);
const LIMIT = 100;

/** Recent commands (`GET /v1/commands`, newest first) with how many of their devices are still open. */
export function CommandsPage() {
  const [offset, setOffset] = useState(0);
  const list = useLoad(() => get<{ commands: CommandSummary[]; total: number }>('/v1/commands', { limit: LIMIT, offset }), [offset], LIVE_INTERVAL_MS);
  const rows = list.data?.commands ?? [];
  const open = (c: CommandSummary): number => Object.entries(c.counts).reduce((n, [status, k]) => n + (OPEN.has(status) ? (k ?? 0) : 0), 0);
  const columns: Array<Column<CommandSummary>> = [
    { label: 'Command', render: (c) => <strong>{c.requestType}</strong> },
    { label: 'CommandUUID', render: (c) => <code className="small">{c.commandUuid}</code> },
    { label: 'Devices', render: (c) => c.total },
    { label: 'Open', render: (c) => open(c) },
    timeColumn('Queued', (c) => c.createdAt),
  ];
  return (
    <section>
      <h1>Commands</h1>
      <p className="muted">
        Commands, newest first. Send one from the device list: select devices, then pick the command. <LiveState />
      </p>
      <Notice error={list.error} />
      <DataTable label="recent commands" testId="commands-table" columns={columns} rows={rows} rowKey={(c) => c.commandUuid} onOpen={(c) => navigate(`/commands/${c.commandUuid}`)} empty={list.loading ? 'Loading…' : 'No commands yet.'} />
      <Pager offset={offset} limit={LIMIT} total={list.data?.total ?? 0} onOffset={setOffset} />
    </section>
  );
}

/** One command across its devices: counts per status and the device list, updated live while any is open. */
export function CommandPage({ uuid }: { uuid: string }) {
  const [offset, setOffset] = useState(0);
  const [statusFilter, setStatusFilter] = useState('');
  const status = useLoad(() => get<CommandDetail>(`/v1/commands/${encodeURIComponent(uuid)}`, { limit: LIMIT, offset, status: statusFilter }), [uuid, offset, statusFilter], LIVE_INTERVAL_MS);
  const action = useAction();
  const c = status.data;
  const { counts, all, open, statuses } = tally(c?.counts ?? {});

  const cancel = (): void => {
    if (!window.confirm('Cancel this command on every device where it is still pending?')) return;
    void action.run(async () => {
      await api('POST', `/v1/commands/${encodeURIComponent(uuid)}/cancel`, {});
      status.reload();
      return 'Canceled where it was still pending.';
    });
  };

  const columns: Array<Column<Delivery>> = [
    { label: 'Device', render: (d) => <Link to={`/devices/${encodeURIComponent(d.udid)}`}>{d.udid}</Link> },
    ...deliveryColumns<Delivery>(),
    timeColumn('Completed', (d) => d.completedAt),
  ];

  return (
    <section>
      <p>
        <Link to="/commands">← Commands</Link>
      </p>
      <h1>
        {c?.requestType ?? 'Command'} <code className="muted small">{uuid}</code>
      </h1>
      <Notice error={status.error} />
      {c ? (
        <>
          <p>
            Queued {dateTime(c.createdAt)} for {all} device{all === 1 ? '' : 's'}
            {c.expiresAt ? `, expires ${dateTime(c.expiresAt)}` : ''}.{' '}
            <span className={open ? 'live' : 'muted'} data-testid="command-progress">
              {open ? `${open} still open` : 'finished'}
            </span>{' '}
            {open ? <LiveState /> : null}
          </p>
          <StatusBreakdown counts={counts} statuses={statuses} filter={statusFilter} onFilter={(s) => (setStatusFilter(statusFilter === s ? '' : s), setOffset(0))} />
          <div className="row">
            <button type="button" className="danger" onClick={cancel} disabled={action.busy || open === 0}>
              Cancel where pending
            </button>
            <details>
              <summary>Command body</summary>
              <pre>{JSON.stringify(c.command, null, 2)}</pre>
            </details>
          </div>
          <Notice error={action.error} message={action.message} />
          <DataTable label="command per device" testId="command-devices-table" columns={columns} rows={c.devices} rowKey={(d) => d.udid} onOpen={(d) => navigate(`/devices/${encodeURIComponent(d.udid)}`)} />
          <Pager total={c.total} limit={LIMIT} offset={offset} onOffset={setOffset} />
        </>
      ) : null}
    </section>
  );
}

/** Counts per status (statuses in lifecycle order, unknown ones last), in all and still open. */
function tally(raw: CommandDetail['counts']): { counts: Record<string, number>; all: number; open: number; statuses: string[] } {
  // Statuses with no delivery are absent, so every present count is a number.
  const counts: Record<string, number> = Object.fromEntries(Object.entries(raw).filter((e): e is [string, number] => e[1] !== undefined));
  const all = Object.values(counts).reduce((a, b) => a + b, 0);
  const open = Object.entries(counts).filter(([s]) => OPEN.has(s)).reduce((a, [, n]) => a + n, 0);
  const statuses = [...ORDER.filter((s) => counts[s]), ...Object.keys(counts).filter((s) => !ORDER.includes(s))];
  return { counts, all, open, statuses };
}

/** A bar of the statuses and a count per status; a count's button filters the device list to it. */
function StatusBreakdown({ counts, statuses, filter, onFilter }: { counts: Record<string, number>; statuses: string[]; filter: string; onFilter: (status: string) => void }) {
  return (
    <>
      <div className="progress" role="img" aria-label={statuses.map((s) => `${s} ${counts[s]}`).join(', ')}>
        {statuses.map((s) => (
          <span key={s} className={`seg status-${s}`} style={{ flexGrow: counts[s] }} />
        ))}
      </div>
      <ul className="counts" data-testid="status-counts">
        {statuses.map((s) => (
          <li key={s}>
            <button type="button" className="link" onClick={() => onFilter(s)} aria-pressed={filter === s}>
              <StatusBadge status={s} /> <strong data-status={s}>{counts[s]}</strong>
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}
