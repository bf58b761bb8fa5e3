import { useState } from 'react';
import type { DeviceView, PendingCommandView, PushDevicesView } from '@mdm/contracts';
import { api, get } from '../api';
import { Notice } from '../components/badges';
import { DeviceInventory } from '../components/device-inventory';
import { LIVE_INTERVAL_MS, useAction, useLoad } from '../hooks';
import { Link } from '../router';
import { CommandHistory, type CommandRow, DeviceActions, DeviceFacts, type DeviceProfile, DeviceProfiles, type Effective, HISTORY_LIMIT, PendingQueue } from './device-sections';

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
      const res = await api<PushDevicesView>('POST', '/v1/push', { udids: [udid] });
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

  return (
    <section>
      <p>
        <Link to="/devices">← Devices</Link>
      </p>
      <h1>{d?.deviceName ?? udid}</h1>
      <Notice error={device.error} />
      {d ? (
        <div className="grid2">
          <DeviceFacts d={d} />
          <DeviceActions d={d} udid={udid} action={action} queueEmpty={(queue.data?.pending.length ?? 0) === 0} pushNow={pushNow} clearQueue={clearQueue} reconcile={reconcile} onQueued={refresh} />
        </div>
      ) : null}
      <DeviceInventory udid={udid} />
      <PendingQueue queue={queue} />
      <CommandHistory history={history} statusFilter={statusFilter} setStatusFilter={setStatusFilter} historyOffset={historyOffset} setHistoryOffset={setHistoryOffset} />
      <DeviceProfiles profiles={profiles} />
    </section>
  );
}
