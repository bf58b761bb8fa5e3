import { type FormEvent, useState } from 'react';
import { get } from '../api';
import { Badge, Explanation, LiveState, Notice } from '../components/badges';
import { Ago, timeColumn } from '../components/columns';
import { CommandForm } from '../components/command-form';
import { type Column, DataTable, Pager, type SortState } from '../components/table';
import { ago, yesNo } from '../format';
import { LIVE_INTERVAL_MS, useLoad } from '../hooks';
import { navigate } from '../router';
import { explainPush } from '../push-errors';
import type { DeviceList, DeviceView } from '@mdm/contracts';

interface Filters {
  enrolled: string;
  supervised: string;
  model: string;
  serial: string;
  osMin: string;
}
const NO_FILTERS: Filters = { enrolled: '', supervised: '', model: '', serial: '', osMin: '' };
const LIMIT = 25;

/** The push state as a badge; a failed last push also as a sentence (`explainPush`) with APNs's code. */
export function PushState({ d }: { d: DeviceView }) {
  if (!d.enrolled) return <Badge>not enrolled</Badge>;
  if (d.push.tokenInvalidReason) {
    return (
      <span>
        <Badge tone="bad">token invalid</Badge> <Explanation explained={explainPush(d.push.tokenInvalidReason)} />
      </span>
    );
  }
  if (!d.push.pushable) {
    const noCertificate = d.push.statusReason?.startsWith('no push certificate') ?? false;
    return <Badge tone="warn" title={d.push.statusReason ?? undefined}>{noCertificate ? 'no push certificate' : 'no token'}</Badge>;
  }
  const failed = d.push.lastOutcome && d.push.lastOutcome !== 'sent' ? explainPush(d.push.lastOutcome) : null;
  return (
    <span title={d.push.lastPushAt ?? undefined}>
      <Badge tone={failed?.tone ?? 'ok'}>{failed ? 'last push failed' : (d.push.lastOutcome ?? 'pushable')}</Badge>
      {d.push.lastPushAt ? <span className="muted"> {ago(d.push.lastPushAt)}</span> : null} <Explanation explained={failed} />
    </span>
  );
}

/** Any, yes or no: the API's `true`/`false` filters. */
function YesNoFilter({ label, value, onChange }: { label: string; value: string; onChange: (value: string) => void }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">any</option>
        <option value="true">yes</option>
        <option value="false">no</option>
      </select>
    </label>
  );
}

export function DevicesPage() {
  const [sort, setSort] = useState<SortState>({ sort: 'lastSeenAt', order: 'desc' });
  const [offset, setOffset] = useState(0);
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [find, setFind] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const list = useLoad(
    () => get<DeviceList>('/v1/devices', { limit: LIMIT, offset, sort: sort.sort, order: sort.order, ...filters }),
    [sort.sort, sort.order, offset, JSON.stringify(filters)],
    LIVE_INTERVAL_MS,
  );
  const rows = findOnPage(list.data?.devices ?? [], find);
  const toggle = (udid: string): void => {
    const next = new Set(selected);
    if (next.has(udid)) next.delete(udid);
    else next.add(udid);
    setSelected(next);
  };

  const columns: Array<Column<DeviceView>> = [
    {
      label: 'Select',
      className: 'narrow',
      render: (d) => <input type="checkbox" aria-label={`select ${d.deviceName ?? d.udid}`} checked={selected.has(d.udid)} onChange={() => toggle(d.udid)} />,
    },
    ...DEVICE_COLUMNS,
  ];

  const apply = (e: FormEvent): void => {
    e.preventDefault();
    setOffset(0);
    setFilters({ ...draft, serial: draft.serial.trim(), model: draft.model.trim(), osMin: draft.osMin.trim() });
  };

  return (
    <section>
      <h1>
        Devices <span className="muted">{list.data ? `(${list.data.total})` : ''}</span>
      </h1>
      <LiveState />
      <DeviceFilters draft={draft} setDraft={setDraft} onApply={apply} onClear={() => (setDraft(NO_FILTERS), setFilters(NO_FILTERS), setOffset(0))} find={find} setFind={setFind} />
      <Notice error={list.error} />
      <SelectionBar rows={rows} selected={selected} onSelect={setSelected} />
      <DataTable label="devices" testId="devices-table" columns={columns} rows={rows} rowKey={(d) => d.udid} onOpen={(d) => navigate(`/devices/${encodeURIComponent(d.udid)}`)} sort={sort} onSort={(s) => (setSort(s), setOffset(0))} empty={list.loading ? 'Loading…' : 'No devices match.'} />
      {list.data ? <Pager total={list.data.total} limit={LIMIT} offset={offset} onOffset={setOffset} /> : null}
      {selected.size > 0 ? <BulkCommand udids={[...selected]} /> : null}
    </section>
  );
}

/** The page's devices whose name, UDID, serial number or model contains `find` (any case). */
function findOnPage(devices: DeviceView[], find: string): DeviceView[] {
  const needle = find.trim().toLowerCase();
  return devices.filter((d) => !needle || [d.deviceName, d.udid, d.serialNumber, d.modelName, d.productName].some((v) => v?.toLowerCase().includes(needle)));
}

/** Select all on this page (or none), how many are selected, and how to move through the table. */
function SelectionBar({ rows, selected, onSelect }: { rows: DeviceView[]; selected: Set<string>; onSelect: (selected: Set<string>) => void }) {
  const allOnPage = rows.length > 0 && rows.every((d) => selected.has(d.udid));
  return (
    <div className="row">
      <label>
        <input
          type="checkbox"
          checked={allOnPage}
          onChange={() => onSelect(allOnPage ? new Set([...selected].filter((u) => !rows.some((d) => d.udid === u))) : new Set([...selected, ...rows.map((d) => d.udid)]))}
        />{' '}
        Select all on this page
      </label>
      <span className="muted">{selected.size} selected</span>
      <span className="muted">Tab or ↑/↓ to move between rows, Enter to open a device.</span>
    </div>
  );
}

function BulkCommand({ udids }: { udids: string[] }) {
  return (
    <div className="card" data-testid="bulk-command">
      <h2>Send a command to the {udids.length} selected device{udids.length === 1 ? '' : 's'}</h2>
      <CommandForm udids={udids} onQueued={(res) => navigate(`/commands/${res.commandUuid}`)} />
    </div>
  );
}

/** What every device row shows besides its selection box. */
const DEVICE_COLUMNS: Array<Column<DeviceView>> = [
  {
    label: 'Name / UDID',
    render: (d) => (
      <span>
        <strong>{d.deviceName ?? '(unnamed)'}</strong>
        <br />
        <code className="muted small">{d.udid}</code>
      </span>
    ),
    sort: 'udid',
  },
  { label: 'Serial', render: (d) => d.serialNumber ?? '—', sort: 'serialNumber' },
  { label: 'Model', render: (d) => [d.modelName, d.productName].filter(Boolean).join(' · ') || '—' },
  { label: 'OS', render: (d) => (d.osVersion ? `iOS ${d.osVersion}` : '—'), sort: 'osVersion' },
  { label: 'Supervised', render: (d) => yesNo(d.supervised) },
  { label: 'Enrolled', render: (d) => (d.enrolled ? <Ago at={d.enrolledAt} /> : <Badge>no</Badge>), sort: 'enrolledAt' },
  timeColumn('Last seen', (d) => d.lastSeenAt, 'lastSeenAt'),
  { label: 'Push', render: (d) => <PushState d={d} /> },
];

/** The server-side filters (applied on submit) and the find box that narrows the page shown. */
function DeviceFilters(props: {
  draft: Filters;
  setDraft: (draft: Filters) => void;
  onApply: (e: FormEvent) => void;
  onClear: () => void;
  find: string;
  setFind: (find: string) => void;
}) {
  const { draft, setDraft, onApply, onClear, find, setFind } = props;
  return (
    <form className="filters" onSubmit={onApply} aria-label="device filters">
      <YesNoFilter label="Enrolled" value={draft.enrolled} onChange={(enrolled) => setDraft({ ...draft, enrolled })} />
      <YesNoFilter label="Supervised" value={draft.supervised} onChange={(supervised) => setDraft({ ...draft, supervised })} />
      <label>
        Model <input value={draft.model} placeholder="iPad, iPhone15,2" onChange={(e) => setDraft({ ...draft, model: e.target.value })} />
      </label>
      <label>
        Serial <input value={draft.serial} onChange={(e) => setDraft({ ...draft, serial: e.target.value })} />
      </label>
      <label>
        iOS at least <input value={draft.osMin} placeholder="17.2" size={6} onChange={(e) => setDraft({ ...draft, osMin: e.target.value })} />
      </label>
      <button type="submit">Filter</button>
      <button type="button" onClick={onClear}>
        Clear
      </button>
      <label>
        Find on this page <input type="search" value={find} placeholder="name, UDID, serial" onChange={(e) => setFind(e.target.value)} />
      </label>
    </form>
  );
}
