import { type FormEvent, useState } from 'react';
import { api, fetchFile, get } from '../api';
import { ErrorChain, Notice, StatusBadge } from '../components/badges';
import { type Column, DataTable, Pager } from '../components/table';
import { ago } from '../format';
import { LIVE_INTERVAL_MS, useAction, useLoad } from '../hooks';
import { Link, navigate } from '../router';
import { saveBlob } from '../api';
import type { DeviceProfile } from './device';
import type { Device } from './devices';
import type { Profile } from './profiles';

interface Group {
  id: string;
  name: string;
}
const LIMIT = 50;

export function ProfilePage({ id }: { id: string }) {
  const profile = useLoad(() => get<Profile>(`/v1/profiles/${id}`), [id]);
  const assignments = useLoad(() => get<{ udids: string[]; groups: Array<string | Group> }>(`/v1/profiles/${id}/assignments`), [id]);
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

  const columns: Array<Column<DeviceProfile>> = [
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

  return (
    <section>
      <p>
        <Link to="/profiles">← Profiles</Link>
      </p>
      <Notice error={profile.error} />
      {p ? (
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
      ) : null}
      <Assignments id={id} current={assignments.data} onChanged={() => (assignments.reload(), devices.reload())} error={assignments.error} />
      <h2>
        On devices <span className="muted">({devices.data?.total ?? '…'})</span>
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
      <DataTable label="profile status per device" testId="profile-devices-table" columns={columns} rows={devices.data?.devices ?? []} rowKey={(r) => r.udid} onOpen={(r) => navigate(`/devices/${encodeURIComponent(r.udid)}`)} empty="Not assigned to any device yet." />
      {devices.data ? <Pager total={devices.data.total} limit={LIMIT} offset={offset} onOffset={setOffset} /> : null}
    </section>
  );
}

function Assignments({ id, current, onChanged, error }: { id: string; current: { udids: string[]; groups: Array<string | Group> } | undefined; onChanged: () => void; error: string | undefined }) {
  const candidates = useLoad(() => get<{ devices: Device[] }>('/v1/devices', { enrolled: true, limit: 200, sort: 'lastSeenAt', order: 'desc' }), []);
  const groups = useLoad(() => get<{ groups: Group[] }>('/v1/device-groups'), []);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [pickedGroups, setPickedGroups] = useState<Set<string>>(new Set());
  const action = useAction();
  const assigned = new Set(current?.udids ?? []);
  const assignedGroups = new Set((current?.groups ?? []).map((g) => (typeof g === 'string' ? g : g.id)));
  const toggle = (set: Set<string>, v: string, apply: (s: Set<string>) => void): void => {
    const next = new Set(set);
    if (next.has(v)) next.delete(v);
    else next.add(v);
    apply(next);
  };
  const change = (method: 'POST' | 'DELETE', body: { udids?: string[]; groupIds?: string[] }): void =>
    void action.run(async () => {
      await api(method, `/v1/profiles/${id}/assignments`, body);
      setPicked(new Set());
      setPickedGroups(new Set());
      onChanged();
      return method === 'POST' ? 'Assigned: the devices are being reconciled.' : 'Unassigned: the devices get a RemoveProfile.';
    });
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    change('POST', { ...(picked.size ? { udids: [...picked] } : {}), ...(pickedGroups.size ? { groupIds: [...pickedGroups] } : {}) });
  };
  return (
    <div className="card">
      <h2>Assignments</h2>
      <Notice error={error ?? candidates.error} />
      <p>
        {assigned.size} device{assigned.size === 1 ? '' : 's'} and {assignedGroups.size} group{assignedGroups.size === 1 ? '' : 's'} assigned.
      </p>
      <form onSubmit={submit} aria-label="assign profile">
        <fieldset>
          <legend>Devices</legend>
          <div className="picklist">
            {(candidates.data?.devices ?? []).map((d) => (
              <label key={d.udid}>
                <input type="checkbox" checked={assigned.has(d.udid) || picked.has(d.udid)} disabled={assigned.has(d.udid)} onChange={() => toggle(picked, d.udid, setPicked)} /> {d.deviceName ?? '(unnamed)'} <code className="muted small">{d.udid}</code>
                {assigned.has(d.udid) ? (
                  <button type="button" className="link" onClick={() => change('DELETE', { udids: [d.udid] })}>
                    unassign
                  </button>
                ) : null}
              </label>
            ))}
            {candidates.data?.devices.length === 0 ? <span className="muted">No enrolled devices.</span> : null}
          </div>
        </fieldset>
        {groups.data?.groups.length ? (
          <fieldset>
            <legend>Groups</legend>
            <div className="picklist">
              {groups.data.groups.map((g) => (
                <label key={g.id}>
                  <input type="checkbox" checked={assignedGroups.has(g.id) || pickedGroups.has(g.id)} disabled={assignedGroups.has(g.id)} onChange={() => toggle(pickedGroups, g.id, setPickedGroups)} /> {g.name}
                  {assignedGroups.has(g.id) ? (
                    <button type="button" className="link" onClick={() => change('DELETE', { groupIds: [g.id] })}>
                      unassign
                    </button>
                  ) : null}
                </label>
              ))}
            </div>
          </fieldset>
        ) : null}
        <button type="submit" className="primary" disabled={action.busy || picked.size + pickedGroups.size === 0}>
          Assign {picked.size + pickedGroups.size || ''}
        </button>
      </form>
      <Notice error={action.error} message={action.message} />
    </div>
  );
}
