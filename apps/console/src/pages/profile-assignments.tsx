import { useState } from 'react';
import { api, get } from '../api';
import { Notice } from '../components/badges';
import { DeviceSearch, type FoundDevice } from '../components/device-search';
import { describeRule } from '../components/group-rule';
import { useAction, useLoad } from '../hooks';
import { Link } from '../router';
import type { DeviceGroupView } from '@mdm/contracts';

export interface AssignmentsView {
  udids: string[];
  groups: Array<{ id: string; name: string }>;
}
/** Groups are few next to devices: the picker filters them by name in the page. */
const GROUP_LIMIT = 1000;

/**
 * A profile's targets: groups first (what scales), devices found by search; what is assigned now, each with
 * its unassign. `POST`/`DELETE /v1/profiles/{id}/assignments` with `groupIds` and `udids`.
 */
export function ProfileAssignments({ id, current, onChanged, error }: { id: string; current: AssignmentsView | undefined; onChanged: () => void; error: string | undefined }) {
  const groups = useLoad(() => get<{ groups: DeviceGroupView[] }>('/v1/device-groups', { limit: GROUP_LIMIT }), []);
  const [groupFilter, setGroupFilter] = useState('');
  const [pickedGroups, setPickedGroups] = useState<Set<string>>(new Set());
  const [pickedDevices, setPickedDevices] = useState<FoundDevice[]>([]);
  const action = useAction();
  const assignedGroups = new Set((current?.groups ?? []).map((g) => g.id));
  const assignedDevices = new Set(current?.udids ?? []);
  const needle = groupFilter.trim().toLowerCase();
  const shownGroups = (groups.data?.groups ?? []).filter((g) => !assignedGroups.has(g.id) && (!needle || g.name.toLowerCase().includes(needle)));

  const change = (method: 'POST' | 'DELETE', body: { udids?: string[]; groupIds?: string[] }): void =>
    void action.run(async () => {
      await api(method, `/v1/profiles/${id}/assignments`, body);
      setPickedGroups(new Set());
      setPickedDevices([]);
      onChanged();
      return method === 'POST' ? 'Assigned: the devices are being reconciled.' : 'Unassigned: the devices get a RemoveProfile.';
    });
  const toggleGroup = (groupId: string): void => {
    const next = new Set(pickedGroups);
    if (next.has(groupId)) next.delete(groupId);
    else next.add(groupId);
    setPickedGroups(next);
  };
  const assign = (): void =>
    change('POST', { ...(pickedGroups.size ? { groupIds: [...pickedGroups] } : {}), ...(pickedDevices.length ? { udids: pickedDevices.map((d) => d.udid) } : {}) });
  const picked = pickedGroups.size + pickedDevices.length;

  return (
    <div className="card" data-testid="assignments">
      <h2>Assignments</h2>
      <Notice error={error ?? groups.error} />
      <AssignedNow current={current} busy={action.busy} onUnassign={(body) => change('DELETE', body)} />
      <h3>Assign to groups</h3>
      <label>
        Find groups <input type="search" value={groupFilter} onChange={(e) => setGroupFilter(e.target.value)} placeholder="group name" aria-label="Find groups" />
      </label>
      <div className="picklist" aria-label="groups">
        {shownGroups.map((g) => (
          <label key={g.id}>
            <input type="checkbox" checked={pickedGroups.has(g.id)} onChange={() => toggleGroup(g.id)} /> {g.name}{' '}
            <span className="muted small">
              ({g.devices} device{g.devices === 1 ? '' : 's'}; {describeRule(g.rule)})
            </span>
          </label>
        ))}
        {groups.data && shownGroups.length === 0 ? (
          <span className="muted">
            {groups.data.groups.length ? 'No other group matches.' : 'No device groups yet.'} <Link to="/groups">Manage groups</Link>
          </span>
        ) : null}
      </div>
      <h3>Assign to single devices</h3>
      <DeviceSearch picked={pickedDevices} onChange={setPickedDevices} exclude={assignedDevices} />
      <button type="button" className="primary" onClick={assign} disabled={action.busy || picked === 0}>
        Assign {picked || ''}
      </button>
      <Notice error={action.error} message={action.message} />
    </div>
  );
}

function AssignedNow({ current, busy, onUnassign }: { current: AssignmentsView | undefined; busy: boolean; onUnassign: (body: { udids?: string[]; groupIds?: string[] }) => void }) {
  if (!current) return null;
  if (!current.groups.length && !current.udids.length) return <p className="muted">Not assigned yet.</p>;
  return (
    <div className="chips" aria-label="assigned now">
      {current.groups.map((g) => (
        <span className="chip" key={g.id}>
          group <Link to={`/groups/${g.id}`}>{g.name}</Link>
          <button type="button" className="link" disabled={busy} onClick={() => onUnassign({ groupIds: [g.id] })} aria-label={`unassign group ${g.name}`}>
            unassign
          </button>
        </span>
      ))}
      {current.udids.map((udid) => (
        <span className="chip" key={udid}>
          <Link to={`/devices/${encodeURIComponent(udid)}`}>{udid}</Link>
          <button type="button" className="link" disabled={busy} onClick={() => onUnassign({ udids: [udid] })} aria-label={`unassign ${udid}`}>
            unassign
          </button>
        </span>
      ))}
    </div>
  );
}
