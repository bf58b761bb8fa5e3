import { useState } from 'react';
import { api, get } from '../api';
import { Badge, Notice } from './badges';
import { type Column, DataTable } from './table';
import { ago, dateTime, yesNo } from '../format';
import { LIVE_INTERVAL_MS, useAction, useLoad } from '../hooks';
import type { CertificateSummaryView, DeviceInventoryView, InventoryChangeView, JsonValue } from '@mdm/contracts';

const GROUP_TITLES: Array<[string, string]> = [
  ['hardware', 'Hardware'],
  ['os', 'OS and settings'],
  ['network', 'Network and cellular'],
  ['security', 'Management and security'],
  ['other', 'Other'],
];
const HISTORY_PAGE = 25;

/** Answers as a person reads them: yes/no, dates, capacities in GB, structures as compact JSON. */
function show(value: JsonValue | undefined, type = 'any'): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return yesNo(value);
  if (typeof value === 'object' && !Array.isArray(value) && typeof value.$date === 'string') return dateTime(value.$date);
  if (typeof value === 'object' && !Array.isArray(value) && typeof value.$data === 'string') return `${Math.floor(value.$data.length * 0.75)} bytes of data`;
  if (type === 'real' && typeof value === 'number') return String(Math.round(value * 100) / 100);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Dictionaries flattened to dotted keys, so SecurityInfo reads as a list of facts. */
function facts(value: { [key: string]: JsonValue }, prefix = ''): Array<[string, JsonValue]> {
  return Object.entries(value).flatMap(([k, v]): Array<[string, JsonValue]> =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && !('$data' in v) && !('$date' in v) ? facts(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]],
  );
}

function expiry(notAfter: string | null) {
  if (!notAfter) return '—';
  const days = Math.floor((Date.parse(notAfter) - Date.now()) / 86_400_000);
  const tone = days < 0 ? 'bad' : days < 30 ? 'warn' : 'ok';
  return <Badge tone={tone} title={notAfter}>{days < 0 ? `expired ${dateTime(notAfter)}` : `${dateTime(notAfter)} (${days} d)`}</Badge>;
}

const CERTIFICATE_COLUMNS: Array<Column<CertificateSummaryView>> = [
  { label: 'Name', render: (c) => c.commonName ?? '—' },
  { label: 'Subject', render: (c) => <span className="small">{c.subject ?? 'unreadable'}</span> },
  { label: 'Issuer', render: (c) => <span className="small">{c.issuer ?? '—'}</span> },
  { label: 'Expires', render: (c) => expiry(c.notAfter) },
  { label: 'Identity', render: (c) => (c.isIdentity ? <Badge tone="info">identity</Badge> : 'no') },
];
const CHANGE_COLUMNS: Array<Column<InventoryChangeView>> = [
  { label: 'When', render: (c) => <span title={c.changedAt}>{dateTime(c.changedAt)}</span> },
  { label: 'Field', render: (c) => <code>{c.field}</code> },
  { label: 'Was', render: (c) => show(c.oldValue) },
  { label: 'Now', render: (c) => show(c.newValue) },
  { label: 'From', render: (c) => <span className="muted">{c.requestType}</span> },
];

/** The device page's inventory: every answer by group, SecurityInfo, certificates, the change history, and a refresh. */
export function DeviceInventory({ udid }: { udid: string }) {
  const enc = encodeURIComponent(udid);
  const inventory = useLoad(() => get<DeviceInventoryView>(`/v1/devices/${enc}/inventory`), [enc], LIVE_INTERVAL_MS);
  const action = useAction();
  const inv = inventory.data;

  const refresh = (): void =>
    void action.run(async () => {
      const res = await api<{ queued: string[]; skipped: Array<{ reason: string }> }>('POST', `/v1/devices/${enc}/inventory/refresh`);
      inventory.reload();
      return res.queued.length ? 'Asked the device for its inventory; answers arrive when it next connects.' : `Not queued: ${res.skipped.map((s) => s.reason).join(', ')}`;
    });

  return (
    <section data-testid="full-inventory">
      <h2>Full inventory</h2>
      <div className="row">
        <button type="button" onClick={refresh} disabled={action.busy || inv?.refreshOpen === true}>
          Refresh inventory
        </button>
        <span className="muted">
          {inv?.refreshOpen ? 'A refresh is waiting for the device. ' : ''}
          {inv?.refreshRequestedAt ? `Last asked ${ago(inv.refreshRequestedAt)} (${inv.refreshSource ?? '?'}); ` : ''}
          answered {ago(inv?.deviceInformationAt ?? null)}.
        </span>
      </div>
      <Notice error={inventory.error ?? action.error} message={action.message} />
      {inv && inv.deviceInformation.length === 0 ? <p className="muted">The device has not answered an inventory yet.</p> : null}
      <InventoryFacts inv={inv} />
      <h3>Certificates</h3>
      <DataTable
        label="device certificates"
        testId="certificates-table"
        columns={CERTIFICATE_COLUMNS}
        rows={inv?.certificates ?? []}
        rowKey={(c) => c.fingerprint}
        empty={inv?.certificatesAt ? 'No certificates.' : 'Not reported yet.'}
      />
      <InventoryHistory enc={enc} />
    </section>
  );
}

/** One card per group of answers, and SecurityInfo's facts. */
function InventoryFacts({ inv }: { inv: DeviceInventoryView | undefined }) {
  return (
    <div className="grid2">
      {GROUP_TITLES.map(([group, title]) => {
        const items = inv?.deviceInformation.filter((i) => i.group === group) ?? [];
        return items.length ? (
          <div className="card" key={group}>
            <h3>{title}</h3>
            <dl className="facts" aria-label={title}>
              {items.map((i) => [<dt key={`${i.query}-t`}>{i.query}</dt>, <dd key={`${i.query}-d`}>{show(i.value, i.type)}</dd>])}
            </dl>
          </div>
        ) : null;
      })}
      {inv?.securityInfo ? (
        <div className="card">
          <h3>Security</h3>
          <dl className="facts" aria-label="Security">
            {facts(inv.securityInfo).map(([k, v]) => [<dt key={`${k}-t`}>{k}</dt>, <dd key={`${k}-d`}>{show(v)}</dd>])}
          </dl>
          <p className="muted small">Answered {ago(inv.securityInfoAt)}.</p>
        </div>
      ) : null}
    </div>
  );
}

/** The change history, a page at a time (`before` holds the cursors of the newer pages). */
function InventoryHistory({ enc }: { enc: string }) {
  const [before, setBefore] = useState<string[]>([]);
  const cursor = before[before.length - 1];
  const history = useLoad(
    () => get<{ changes: InventoryChangeView[]; next: string | null }>(`/v1/devices/${enc}/inventory/history`, { limit: HISTORY_PAGE, ...(cursor ? { before: cursor } : {}) }),
    [enc, cursor],
    LIVE_INTERVAL_MS,
  );
  return (
    <>
      <h3>Inventory changes</h3>
      <Notice error={history.error} />
      <DataTable label="inventory changes" testId="inventory-changes-table" columns={CHANGE_COLUMNS} rows={history.data?.changes ?? []} rowKey={(c) => c.id} empty="No changes recorded." />
      <div className="row">
        <button type="button" disabled={before.length === 0} onClick={() => setBefore(before.slice(0, -1))}>
          Newer
        </button>
        <button type="button" disabled={!history.data?.next} onClick={() => history.data?.next && setBefore([...before, history.data.next])}>
          Older
        </button>
      </div>
    </>
  );
}
