import { type FormEvent, useState } from 'react';
import { api, get } from '../api';
import { Badge, Notice } from '../components/badges';
import { timeColumn } from '../components/columns';
import { DeviceSearch, type FoundDevice } from '../components/device-search';
import { describeRule, EMPTY_RULE, RuleFields, ruleOf } from '../components/group-rule';
import { type Column, DataTable, Pager } from '../components/table';
import { LIVE_INTERVAL_MS, useAction, useLoad } from '../hooks';
import { navigate } from '../router';
import type { DeviceGroupView } from '@mdm/contracts';

const LIMIT = 50;

export function KindBadge({ g }: { g: DeviceGroupView }) {
  return g.rule ? <Badge tone="info">dynamic</Badge> : <Badge>static</Badge>;
}

/** Device groups: static (listed devices) and dynamic (a rule), with their member counts, and a form to make one. */
export function GroupsPage() {
  const [offset, setOffset] = useState(0);
  const groups = useLoad(() => get<{ groups: DeviceGroupView[]; total: number }>('/v1/device-groups', { limit: LIMIT, offset }), [offset], LIVE_INTERVAL_MS);
  const columns: Array<Column<DeviceGroupView>> = [
    { label: 'Name', render: (g) => g.name },
    { label: 'Kind', render: (g) => <KindBadge g={g} /> },
    { label: 'Members', render: (g) => describeRule(g.rule) },
    { label: 'Devices', render: (g) => g.devices },
    timeColumn('Created', (g) => g.createdAt),
  ];
  return (
    <section>
      <h1>Device groups</h1>
      <p className="muted">Assign profiles to groups rather than to devices: a dynamic group follows its rule as devices report new facts.</p>
      <CreateGroup />
      <Notice error={groups.error} />
      <DataTable
        label="device groups"
        testId="groups-table"
        columns={columns}
        rows={groups.data?.groups ?? []}
        rowKey={(g) => g.id}
        onOpen={(g) => navigate(`/groups/${g.id}`)}
        empty={groups.loading ? 'Loading…' : 'No device groups yet.'}
      />
      {groups.data ? <Pager total={groups.data.total} limit={LIMIT} offset={offset} onOffset={setOffset} /> : null}
    </section>
  );
}

function CreateGroup() {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [kind, setKind] = useState<'static' | 'dynamic'>('static');
  const [rule, setRule] = useState(EMPTY_RULE);
  const [members, setMembers] = useState<FoundDevice[]>([]);
  const action = useAction();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void action.run(async () => {
      const body = {
        name: name.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
        ...(kind === 'dynamic' ? { rule: ruleOf(rule) } : members.length ? { udids: members.map((d) => d.udid) } : {}),
      };
      const group = await api<DeviceGroupView>('POST', '/v1/device-groups', body);
      navigate(`/groups/${group.id}`);
    });
  };
  return (
    <details className="card">
      <summary>New group</summary>
      <form onSubmit={submit} aria-label="create device group">
        <label htmlFor="group-name">Name</label>
        <input id="group-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        <label htmlFor="group-description">Description</label>
        <input id="group-description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
        <fieldset>
          <legend>Kind</legend>
          <label>
            <input type="radio" name="kind" checked={kind === 'static'} onChange={() => setKind('static')} /> static: the devices I pick
          </label>
          <label>
            <input type="radio" name="kind" checked={kind === 'dynamic'} onChange={() => setKind('dynamic')} /> dynamic: devices matching a rule
          </label>
        </fieldset>
        {kind === 'dynamic' ? <RuleFields draft={rule} onChange={setRule} /> : <DeviceSearch picked={members} onChange={setMembers} label="Add devices" />}
        <button type="submit" className="primary" disabled={action.busy || !name.trim()}>
          Create group
        </button>
      </form>
      <Notice error={action.error} />
    </details>
  );
}
