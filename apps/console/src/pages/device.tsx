import { useState } from 'react';
import { api, get } from '../api';
import { Badge, ErrorChain, Notice, StatusBadge } from '../components/badges';
import { deliveryColumns, type Delivery, timeColumn, type WithErrorChain } from '../components/columns';
import { CommandForm } from '../components/command-form';
import { DeviceInventory } from '../components/device-inventory';
import { type Column, DataTable, Pager } from '../components/table';
import { ago, dateTime, yesNo } from '../format';
import { LIVE_INTERVAL_MS, useAction, useLoad } from '../hooks';
import { Link, navigate } from '../router';
import { PushState } from './devices';
import type { DeviceProfileView, DeviceView, PendingCommandView } from '@mdm/contracts';

export interface CommandRow extends Delivery {
  commandUuid: string;
  requestType: string;
  sentAt: string | null;
  deliveredAt: string | null;
}
export type DeviceProfile = WithErrorChain<DeviceProfileView>;
interface Effective {
  payloadType: string;
  keys: Array<{ key: string; value: unknown; decidedBy: { profileId: string; identifier: string }; rule: string; conflict: boolean }>;
}
const HISTORY_LIMIT = 20;

export function DevicePage({ udid }: { udid: string }) {
  const enc = encodeURIComponent(udid);
  const [historyOffset, setHistoryOffset] = useState(0);
  const [statusFilter, setStatusFilter] = useState('');
  const device = useLoad(() => get<DeviceView>(`/v1/devices/${enc}`), [enc], LIVE_INTERVAL_MS);
  const queue = useLoad(() => get<{ pending: PendingCommandView[] }>(`/v1/devices/${enc}/queue`), [enc], LIVE_INTERVAL_MS);
  const history = useLoad(
    () => get<{ commands: CommandRow[]; total: number }>(`/v1/devices/${enc}/commands`, { limit: HISTORY_LIMIT, offset: historyOffset, status: statusFilter }),
    [enc, historyOffset, statusFilter],
    LIVE_INTERVAL_MS,
  );
  const profiles = useLoad(() => get<{ profiles: DeviceProfile[]; effective: Effective[] }>(`/v1/devices/${enc}/profiles`), [enc], LIVE_INTERVAL_MS);
  const action = useAction();
  const d = device.data;

  const refresh = (): void => {
    device.reload();
    queue.reload();
    history.reload();
  };
  const pushNow = (): void =>
    void action.run(async () => {
      const res = await api<{ pushed: number; skipped: Array<{ udid: string; reason: string }> }>('POST', '/v1/push', { udids: [udid] });
      refresh();
      return res.pushed ? 'Push sent.' : `Not pushed: ${res.skipped.map((s) => s.reason).join(', ')}`;
    });
  const clearQueue = (): void => {
    if (!window.confirm('Cancel every command still waiting for this device?')) return;
    void action.run(async () => {
      const res = await api<{ canceled: number }>('DELETE', `/v1/devices/${enc}/queue`);
      refresh();
      return `Canceled ${res.canceled} command${res.canceled === 1 ? '' : 's'}.`;
    });
  };
  const reconcile = (): void =>
    void action.run(async () => {
      await api('POST', `/v1/devices/${enc}/profiles/reconcile`);
      profiles.reload();
      return 'Asked the device for its profile list; failed versions get another try.';
    });

  const historyColumns: Array<Column<CommandRow>> = [
    { label: 'Command', render: (c) => <Link to={`/commands/${c.commandUuid}`}>{c.requestType}</Link> },
    ...deliveryColumns<CommandRow>(),
    timeColumn('Queued', (c) => c.queuedAt),
    timeColumn('Completed', (c) => c.completedAt),
  ];
  const queueColumns: Array<Column<PendingCommandView>> = [
    { label: 'Command', render: (c) => <Link to={`/commands/${c.commandUuid}`}>{c.requestType}</Link> },
    { label: 'Status', render: (c) => <StatusBadge status={c.status} /> },
    { label: 'NotNow', render: (c) => c.notNowCount },
    { label: 'Queued', render: (c) => ago(c.queuedAt) },
    { label: 'Expires', render: (c) => dateTime(c.expiresAt) },
  ];
  const profileColumns: Array<Column<DeviceProfile>> = [
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

  return (
    <section>
      <p>
        <Link to="/devices">← Devices</Link>
      </p>
      <h1>{d?.deviceName ?? udid}</h1>
      <Notice error={device.error} />
      {d ? (
        <div className="grid2">
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
          <div className="card">
            <h2>Actions</h2>
            <div className="row">
              <button type="button" onClick={pushNow} disabled={action.busy || !d.push.pushable}>
                Push now
              </button>
              <button type="button" className="danger" onClick={clearQueue} disabled={action.busy || (queue.data?.pending.length ?? 0) === 0}>
                Clear queue
              </button>
              <button type="button" onClick={reconcile} disabled={action.busy}>
                Re-check profiles
              </button>
            </div>
            <Notice error={action.error} message={action.message} />
            <h3>Send a command</h3>
            <CommandForm udids={[udid]} onQueued={() => refresh()} />
          </div>
        </div>
      ) : null}
      <DeviceInventory udid={udid} />
      <h2>
        Pending queue <span className="muted">({queue.data?.pending.length ?? '…'})</span>
      </h2>
      <Notice error={queue.error} />
      <DataTable label="pending queue" testId="queue-table" columns={queueColumns} rows={queue.data?.pending ?? []} rowKey={(c) => c.commandUuid} onOpen={(c) => navigate(`/commands/${c.commandUuid}`)} empty="Nothing waiting." />
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
      <DataTable label="command history" testId="history-table" columns={historyColumns} rows={history.data?.commands ?? []} rowKey={(c) => c.commandUuid} onOpen={(c) => navigate(`/commands/${c.commandUuid}`)} empty="No commands yet." />
      {history.data ? <Pager total={history.data.total} limit={HISTORY_LIMIT} offset={historyOffset} onOffset={setHistoryOffset} /> : null}
      <h2>Profiles</h2>
      <Notice error={profiles.error} />
      <DataTable label="device profiles" testId="device-profiles-table" columns={profileColumns} rows={profiles.data?.profiles ?? []} rowKey={(p) => p.profileId} onOpen={(p) => navigate(`/profiles/${p.profileId}`)} empty="No managed profiles." />
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
    </section>
  );
}
