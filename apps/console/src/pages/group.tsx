import { type FormEvent, useEffect, useState } from 'react';
import { api, get } from '../api';
import { Notice } from '../components/badges';
import { DeviceSearch, type FoundDevice } from '../components/device-search';
import { describeRule, RuleFields, ruleDraft, ruleOf } from '../components/group-rule';
import { type Column, DataTable } from '../components/table';
import { LIVE_INTERVAL_MS, useAction, useLoad } from '../hooks';
import { Link, navigate } from '../router';
import type { DeviceGroupView } from '@mdm/contracts';
import { KindBadge } from './groups';

/** One group: rename or change its rule, its members now (added and taken out by hand when static), delete. */
export function GroupPage({ id }: { id: string }) {
  const group = useLoad(() => get<DeviceGroupView>(`/v1/device-groups/${id}`), [id]);
  const members = useLoad(() => get<{ udids: string[] }>(`/v1/device-groups/${id}/members`), [id], LIVE_INTERVAL_MS);
  const action = useAction();
  const g = group.data;
  const reload = (): void => (group.reload(), members.reload());

  const remove = (): void => {
    if (!g || !window.confirm(`Delete the group "${g.name}"? Its profiles leave the devices that do not get them another way.`)) return;
    void action.run(async () => {
      await api('DELETE', `/v1/device-groups/${id}`);
      navigate('/groups');
    });
  };
  const takeOut = (udid: string): void =>
    void action.run(async () => {
      await api('DELETE', `/v1/device-groups/${id}/members`, { udids: [udid] });
      reload();
      return `${udid} taken out of the group.`;
    });

  const columns = memberColumns(g && !g.rule ? takeOut : undefined, action.busy);

  return (
    <section>
      <p>
        <Link to="/groups">← Device groups</Link>
      </p>
      <Notice error={group.error} />
      {g ? (
        <>
          <h1>
            {g.name} <KindBadge g={g} />
          </h1>
          <p>
            {g.description ? `${g.description} — ` : ''}
            {describeRule(g.rule)}
          </p>
          <EditGroup group={g} onSaved={reload} />
          {g.rule ? null : <AddMembers id={id} current={new Set(members.data?.udids ?? [])} onAdded={reload} />}
          <button type="button" className="danger" onClick={remove} disabled={action.busy}>
            Delete group
          </button>
        </>
      ) : null}
      <Notice error={action.error ?? members.error} message={action.message} />
      <h2>
        Members now <span className="muted">({members.data?.udids.length ?? '…'})</span>
      </h2>
      <DataTable label="group members" testId="group-members-table" columns={columns} rows={members.data?.udids ?? []} rowKey={(u) => u} empty="No devices in this group now." />
    </section>
  );
}

/** The members table's columns; `takeOut` (static groups only) adds a button per device. */
function memberColumns(takeOut: ((udid: string) => void) | undefined, busy: boolean): Array<Column<string>> {
  return [
    { label: 'Device', render: (udid) => <Link to={`/devices/${encodeURIComponent(udid)}`}>{udid}</Link> },
    ...(takeOut
      ? [
          {
            label: '',
            render: (udid: string) => (
              <button type="button" className="link" onClick={() => takeOut(udid)} disabled={busy}>
                take out
              </button>
            ),
          },
        ]
      : []),
  ];
}

function EditGroup({ group, onSaved }: { group: DeviceGroupView; onSaved: () => void }) {
  const [name, setName] = useState(group.name);
  const [description, setDescription] = useState(group.description ?? '');
  const [rule, setRule] = useState(ruleDraft(group.rule));
  useEffect(() => {
    setName(group.name);
    setDescription(group.description ?? '');
    setRule(ruleDraft(group.rule));
  }, [group]);
  const action = useAction();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void action.run(async () => {
      const body = { name: name.trim(), description: description.trim() || null, ...(group.rule ? { rule: ruleOf(rule) } : {}) };
      await api('PATCH', `/v1/device-groups/${group.id}`, body);
      onSaved();
      return 'Saved: profiles follow the new membership.';
    });
  };
  return (
    <details className="card">
      <summary>Edit</summary>
      <form onSubmit={submit} aria-label="edit device group">
        <label htmlFor="edit-group-name">Name</label>
        <input id="edit-group-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        <label htmlFor="edit-group-description">Description</label>
        <input id="edit-group-description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
        {group.rule ? <RuleFields draft={rule} onChange={setRule} /> : null}
        <button type="submit" className="primary" disabled={action.busy || !name.trim()}>
          Save
        </button>
      </form>
      <Notice error={action.error} message={action.message} />
    </details>
  );
}

function AddMembers({ id, current, onAdded }: { id: string; current: ReadonlySet<string>; onAdded: () => void }) {
  const [picked, setPicked] = useState<FoundDevice[]>([]);
  const action = useAction();
  const add = (): void =>
    void action.run(async () => {
      await api('POST', `/v1/device-groups/${id}/members`, { udids: picked.map((d) => d.udid) });
      setPicked([]);
      onAdded();
      return 'Added: the group\'s profiles are being installed.';
    });
  return (
    <div className="card">
      <h2>Add devices</h2>
      <DeviceSearch picked={picked} onChange={setPicked} exclude={current} />
      <button type="button" className="primary" onClick={add} disabled={action.busy || picked.length === 0}>
        Add {picked.length || ''} to the group
      </button>
      <Notice error={action.error} message={action.message} />
    </div>
  );
}
