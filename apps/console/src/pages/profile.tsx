import { useState } from 'react';
import { api, fetchFile, get } from '../api';
import { ErrorChain, LiveState, Notice, StatusBadge } from '../components/badges';
import { type Column, DataTable, Pager } from '../components/table';
import { ago } from '../format';
import { LIVE_INTERVAL_MS, useAction, useLoad } from '../hooks';
import { Link, navigate } from '../router';
import { saveBlob } from '../api';
import type { DeviceProfile } from './device-sections';
import { type AssignmentsView, ProfileAssignments } from './profile-assignments';
import type { ProfileView } from '@mdm/contracts';

const LIMIT = 50;

export function ProfilePage({ id }: { id: string }) {
  const profile = useLoad(() => get<ProfileView>(`/v1/profiles/${id}`), [id]);
  const assignments = useLoad(() => get<AssignmentsView>(`/v1/profiles/${id}/assignments`), [id]);
  const [offset, setOffset] = useState(0);
  const [statusFilter, setStatusFilter] = useState('');
  const devices = useLoad(() => get<{ devices: DeviceProfile[]; total: number }>(`/v1/profiles/${id}/devices`, { limit: LIMIT, offset, status: statusFilter }), [id, offset, statusFilter], LIVE_INTERVAL_MS);
  const action = useAction();
  const p = profile.data;

  const download = (): void =>
    void action.run(async () => {
      saveBlob(await fetchFile(`/v1/profiles/${id}/mobileconfig`), `${p?.identifier ?? id}.mobileconfig`);
      return 'Signed profile downloaded.';
    });
  const remove = (): void => {
    if (!window.confirm('Delete this profile? Devices it is assigned to get a RemoveProfile.')) return;
    void action.run(async () => {
      await api('DELETE', `/v1/profiles/${id}`);
      navigate('/profiles');
    });
  };

  return (
    <section>
      <p>
        <Link to="/profiles">← Profiles</Link>
      </p>
      <Notice error={profile.error} />
      {p ? <ProfileSummary p={p} id={id} action={action} download={download} remove={remove} /> : null}
      <ProfileAssignments id={id} current={assignments.data} onChanged={() => (assignments.reload(), devices.reload())} error={assignments.error} />
      <h2>
        On devices <span className="muted">({devices.data?.total ?? '…'})</span> <LiveState />
      </h2>
      <label>
        Status{' '}
        <select value={statusFilter} onChange={(e) => (setStatusFilter(e.target.value), setOffset(0))}>
          <option value="">all</option>
          {['pending', 'installed', 'failed', 'blocked', 'removing', 'removed'].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <Notice error={devices.error} />
      <DataTable label="profile status per device" testId="profile-devices-table" columns={DEVICE_STATUS_COLUMNS} rows={devices.data?.devices ?? []} rowKey={(r) => r.udid} onOpen={(r) => navigate(`/devices/${encodeURIComponent(r.udid)}`)} empty="Not assigned to any device yet." />
      {devices.data ? <Pager total={devices.data.total} limit={LIMIT} offset={offset} onOffset={setOffset} /> : null}
    </section>
  );
}

/** The profile's state on each device it is assigned to. */
const DEVICE_STATUS_COLUMNS: Array<Column<DeviceProfile>> = [
  { label: 'Device', render: (r) => <Link to={`/devices/${encodeURIComponent(r.udid)}`}>{r.udid}</Link> },
  { label: 'Status', render: (r) => <StatusBadge status={r.status} /> },
  { label: 'Installed / desired', render: (r) => `${r.installedVersion ?? '—'} / ${r.desiredVersion ?? '—'}` },
  {
    label: 'Detail',
    render: (r) => (
      <div>
        {r.reason ? <div>{r.reason}</div> : null}
        <ErrorChain chain={r.errorChain} />
        {r.conflicts?.map((c) => (
          <div key={c.payloadType} className="warn-text">
            conflict on {c.payloadType} with {c.with.map((w) => w.identifier).join(', ')}
          </div>
        ))}
      </div>
    ),
  },
  { label: 'Updated', render: (r) => ago(r.updatedAt) },
];

/** Name, version, identifier, the actions on the profile, its warnings and payloads. */
function ProfileSummary(props: { p: ProfileView; id: string; action: ReturnType<typeof useAction>; download: () => void; remove: () => void }) {
  const { p, id, action, download, remove } = props;
  return (
    <>
      <h1>
        {p.name} <span className="muted">v{p.version}</span>
      </h1>
      <p>
        <code>{p.identifier}</code> {p.description ? `— ${p.description}` : ''}
      </p>
      <div className="row">
        <button type="button" onClick={download} disabled={action.busy}>
          Download signed .mobileconfig
        </button>
        <Link to={`/profiles/${id}/edit`} className="button">
          Edit
        </Link>
        <button type="button" className="danger" onClick={remove} disabled={action.busy}>
          Delete
        </button>
      </div>
      <Notice error={action.error} message={action.message} />
      {p.warnings.length ? (
        <ul className="notice warn">
          {p.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
      <details>
        <summary>Payloads ({p.payloads.length})</summary>
        <pre>{JSON.stringify(p.payloads, null, 2)}</pre>
      </details>
    </>
  );
}
