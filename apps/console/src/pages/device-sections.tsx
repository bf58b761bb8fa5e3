import type { Dispatch, SetStateAction } from 'react';
import type { DeviceProfileView, DeviceView, PendingCommandView } from '@mdm/contracts';
import { Badge, ErrorChain, Notice, StatusBadge } from '../components/badges';
import { deliveryColumns, type Delivery, timeColumn, type WithErrorChain } from '../components/columns';
import { CommandForm } from '../components/command-form';
import { type Column, DataTable, Pager } from '../components/table';
import { ago, dateTime, yesNo } from '../format';
import type { Loaded, useAction } from '../hooks';
import { Link, navigate } from '../router';
import { PushState } from './devices';

/* The sections of a device's page; the page holds the loads and actions they share. */

export interface CommandRow extends Delivery {
  commandUuid: string;
  requestType: string;
  sentAt: string | null;
  deliveredAt: string | null;
}
export type DeviceProfile = WithErrorChain<DeviceProfileView>;
export interface Effective {
  payloadType: string;
  keys: Array<{ key: string; value: unknown; decidedBy: { profileId: string; identifier: string }; rule: string; conflict: boolean }>;
}
export const HISTORY_LIMIT = 20;

const HISTORY_COLUMNS: Array<Column<CommandRow>> = [
  { label: 'Command', render: (c) => <Link to={`/commands/${c.commandUuid}`}>{c.requestType}</Link> },
  ...deliveryColumns<CommandRow>(),
  timeColumn('Queued', (c) => c.queuedAt),
  timeColumn('Completed', (c) => c.completedAt),
];
const QUEUE_COLUMNS: Array<Column<PendingCommandView>> = [
  { label: 'Command', render: (c) => <Link to={`/commands/${c.commandUuid}`}>{c.requestType}</Link> },
  { label: 'Status', render: (c) => <StatusBadge status={c.status} /> },
  { label: 'NotNow', render: (c) => c.notNowCount },
  { label: 'Queued', render: (c) => ago(c.queuedAt) },
  { label: 'Expires', render: (c) => dateTime(c.expiresAt) },
];
const PROFILE_COLUMNS: Array<Column<DeviceProfile>> = [
  { label: 'Profile', render: (p) => <Link to={`/profiles/${p.profileId}`}>{p.identifier}</Link> },
  { label: 'Status', render: (p) => <StatusBadge status={p.status} /> },
  { label: 'Version', render: (p) => `${p.installedVersion ?? '—'} / ${p.desiredVersion ?? '—'}` },
  {
    label: 'Detail',
    render: (p) => (
      <div>
        {p.reason ? <div>{p.reason}</div> : null}
        {p.pendingAction ? <div className="muted">{p.pendingAction} in flight</div> : null}
        <ErrorChain chain={p.errorChain} />
        {p.conflicts?.map((c) => (
          <div key={c.payloadType} className="warn-text">
            conflict on {c.payloadType} with {c.with.map((w) => w.identifier).join(', ')}
          </div>
        ))}
      </div>
    ),
  },
];

/** What the server knows of the device itself. */
export function DeviceFacts({ d }: { d: DeviceView }) {
  return (
    <div className="card">
      <h2>Inventory</h2>
      <dl className="facts" data-testid="inventory">
        <dt>UDID</dt>
        <dd>
          <code>{d.udid}</code>
        </dd>
        <dt>Serial</dt>
        <dd>{d.serialNumber ?? '—'}</dd>
        <dt>Model</dt>
        <dd>{[d.modelName, d.productName, d.model].filter(Boolean).join(' · ') || '—'}</dd>
        <dt>OS</dt>
        <dd>{d.osVersion ? `iOS ${d.osVersion} (${d.buildVersion ?? '?'})` : '—'}</dd>
        <dt>Supervised</dt>
        <dd>{yesNo(d.supervised)}</dd>
        <dt>Enrolled</dt>
        <dd>{d.enrolled ? `yes, ${dateTime(d.enrolledAt)}` : `no${d.checkedOutAt ? `, checked out ${dateTime(d.checkedOutAt)}` : ''}`}</dd>
        <dt>Last seen</dt>
        <dd title={d.lastSeenAt ?? undefined}>{ago(d.lastSeenAt)}</dd>
        <dt>Push</dt>
        <dd>
          <PushState d={d} />
        </dd>
        <dt>Topic</dt>
        <dd>
          <code className="small">{d.topic ?? '—'}</code>
        </dd>
      </dl>
    </div>
  );
}

/** Push, clear the queue, re-check profiles, send a command. */
export function DeviceActions(props: {
  d: DeviceView;
  udid: string;
  action: ReturnType<typeof useAction>;
  queueEmpty: boolean;
  pushNow: () => void;
  clearQueue: () => void;
  reconcile: () => void;
  onQueued: () => void;
}) {
  const { d, udid, action, queueEmpty, pushNow, clearQueue, reconcile, onQueued } = props;
  return (
    <div className="card">
      <h2>Actions</h2>
      <div className="row">
        <button type="button" onClick={pushNow} disabled={action.busy || !d.push.pushable}>
          Push now
        </button>
        <button type="button" className="danger" onClick={clearQueue} disabled={action.busy || queueEmpty}>
          Clear queue
        </button>
        <button type="button" onClick={reconcile} disabled={action.busy}>
          Re-check profiles
        </button>
      </div>
      <Notice error={action.error} message={action.message} />
      <h3>Send a command</h3>
      <CommandForm udids={[udid]} onQueued={onQueued} />
    </div>
  );
}

export function PendingQueue({ queue }: { queue: Loaded<{ pending: PendingCommandView[] }> }) {
  return (
    <>
      <h2>
        Pending queue <span className="muted">({queue.data?.pending.length ?? '…'})</span>
      </h2>
      <Notice error={queue.error} />
      <DataTable label="pending queue" testId="queue-table" columns={QUEUE_COLUMNS} rows={queue.data?.pending ?? []} rowKey={(c) => c.commandUuid} onOpen={(c) => navigate(`/commands/${c.commandUuid}`)} empty="Nothing waiting." />
    </>
  );
}

export function CommandHistory(props: {
  history: Loaded<{ commands: CommandRow[]; total: number }>;
  statusFilter: string;
  setStatusFilter: Dispatch<SetStateAction<string>>;
  historyOffset: number;
  setHistoryOffset: Dispatch<SetStateAction<number>>;
}) {
  const { history, statusFilter, setStatusFilter, historyOffset, setHistoryOffset } = props;
  return (
    <>
      <h2>Command history</h2>
      <div className="row">
        <label>
          Status{' '}
          <select value={statusFilter} onChange={(e) => (setStatusFilter(e.target.value), setHistoryOffset(0))}>
            <option value="">all</option>
            <option value="ERROR,FORMAT_ERROR">errors</option>
            {['QUEUED', 'SENT', 'PUSH', 'NOTNOW', 'ACKNOWLEDGED', 'ERROR', 'CANCELED', 'EXPIRED', 'BLOCKED'].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Notice error={history.error} />
      <DataTable label="command history" testId="history-table" columns={HISTORY_COLUMNS} rows={history.data?.commands ?? []} rowKey={(c) => c.commandUuid} onOpen={(c) => navigate(`/commands/${c.commandUuid}`)} empty="No commands yet." />
      {history.data ? <Pager total={history.data.total} limit={HISTORY_LIMIT} offset={historyOffset} onOffset={setHistoryOffset} /> : null}
    </>
  );
}

export function DeviceProfiles({ profiles }: { profiles: Loaded<{ profiles: DeviceProfile[]; effective: Effective[] }> }) {
  return (
    <>
      <h2>Profiles</h2>
      <Notice error={profiles.error} />
      <DataTable label="device profiles" testId="device-profiles-table" columns={PROFILE_COLUMNS} rows={profiles.data?.profiles ?? []} rowKey={(p) => p.profileId} onOpen={(p) => navigate(`/profiles/${p.profileId}`)} empty="No managed profiles." />
      {profiles.data?.effective.length ? (
        <>
          <h3>Effective restrictions and passcode policy</h3>
          {profiles.data.effective.map((e) => (
            <table key={e.payloadType} className="compact" aria-label={`effective ${e.payloadType}`}>
              <caption>
                <code>{e.payloadType}</code>
              </caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Value in force</th>
                  <th scope="col">Decided by</th>
                  <th scope="col">Rule</th>
                </tr>
              </thead>
              <tbody>
                {e.keys.map((k) => (
                  <tr key={k.key}>
                    <td>
                      <code>{k.key}</code>
                    </td>
                    <td>{JSON.stringify(k.value)}</td>
                    <td>
                      <Link to={`/profiles/${k.decidedBy.profileId}`}>{k.decidedBy.identifier}</Link> {k.conflict ? <Badge tone="warn">conflict</Badge> : null}
                    </td>
                    <td className="muted">{k.rule}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
        </>
      ) : null}
    </>
  );
}
