import { type FormEvent, useState } from 'react';
import { api, get } from '../api';
import { Notice, StatusBadge } from '../components/badges';
import { type Column, DataTable, Pager } from '../components/table';
import { ago, dateTime } from '../format';
import { LIVE_INTERVAL_MS, useAction, useLoad } from '../hooks';
import { Link, navigate } from '../router';
import type { WebhookAttemptView, WebhookDeliveryView, WebhookView } from '@mdm/contracts';

export function WebhooksPage() {
  const list = useLoad(() => get<{ webhooks: WebhookView[] }>('/v1/webhooks'), []);
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [events, setEvents] = useState('command.*, profile.*');
  const [format, setFormat] = useState('mdm');
  const action = useAction();
  const create = (e: FormEvent): void => {
    e.preventDefault();
    void action.run(async () => {
      const patterns = events.split(',').map((s) => s.trim()).filter(Boolean);
      await api('POST', '/v1/webhooks', { url, secret, events: patterns, format });
      setUrl('');
      setSecret('');
      list.reload();
      return 'Webhook created.';
    });
  };
  const columns: Array<Column<WebhookView>> = [
    { label: 'URL', render: (w) => <code>{w.url}</code> },
    { label: 'Events', render: (w) => w.events.join(', ') },
    { label: 'Format', render: (w) => w.format },
    { label: 'Enabled', render: (w) => (w.enabled ? 'yes' : 'no') },
    { label: 'Secret', render: (w) => <code>{w.secretHint}</code> },
    { label: 'Created', render: (w) => ago(w.createdAt) },
  ];
  return (
    <section>
      <h1>Webhooks</h1>
      <Notice error={list.error} />
      <DataTable label="webhooks" testId="webhooks-table" columns={columns} rows={list.data?.webhooks ?? []} rowKey={(w) => w.id} onOpen={(w) => navigate(`/webhooks/${w.id}`)} empty="No webhooks." />
      <form className="card" onSubmit={create} aria-label="new webhook">
        <h2>New subscription</h2>
        <div className="row">
          <label>
            URL <input type="url" required size={40} value={url} onChange={(e) => setUrl(e.target.value)} />
          </label>
          <label>
            Signing secret (16+) <input type="password" required minLength={16} value={secret} onChange={(e) => setSecret(e.target.value)} />
          </label>
        </div>
        <div className="row">
          <label>
            Events <input size={40} value={events} onChange={(e) => setEvents(e.target.value)} />
          </label>
          <label>
            Format{' '}
            <select value={format} onChange={(e) => setFormat(e.target.value)}>
              <option value="mdm">mdm</option>
              <option value="nanomdm">nanomdm</option>
            </select>
          </label>
          <button type="submit" className="primary" disabled={action.busy}>
            Create
          </button>
        </div>
        <Notice error={action.error} message={action.message} />
      </form>
    </section>
  );
}

export function WebhookPage({ id }: { id: string }) {
  const hook = useLoad(() => get<WebhookView>(`/v1/webhooks/${id}`), [id]);
  const [offset, setOffset] = useState(0);
  const [statusFilter, setStatusFilter] = useState('');
  const [openId, setOpenId] = useState<string | undefined>(undefined);
  const deliveries = useLoad(() => get<{ deliveries: WebhookDeliveryView[]; total: number }>(`/v1/webhooks/${id}/deliveries`, { limit: 50, offset, status: statusFilter, order: 'desc' }), [id, offset, statusFilter], LIVE_INTERVAL_MS);
  const detail = useLoad(() => (openId ? get<WebhookDeliveryView & { attemptLog: WebhookAttemptView[] }>(`/v1/webhooks/${id}/deliveries/${openId}`) : Promise.resolve(undefined)), [id, openId], openId ? LIVE_INTERVAL_MS : 0);
  const action = useAction();
  const w = hook.data;

  const toggle = (): void =>
    void action.run(async () => {
      await api('PATCH', `/v1/webhooks/${id}`, { enabled: !w?.enabled });
      hook.reload();
      return w?.enabled ? 'Disabled.' : 'Enabled.';
    });
  const remove = (): void => {
    if (!window.confirm('Delete this webhook and its deliveries?')) return;
    void action.run(async () => {
      await api('DELETE', `/v1/webhooks/${id}`);
      navigate('/webhooks');
    });
  };
  const retry = (deliveryId: string): void =>
    void action.run(async () => {
      await api('POST', `/v1/webhooks/${id}/deliveries/${deliveryId}/retry`);
      deliveries.reload();
      detail.reload();
      return 'Sent again now, with a fresh retry window.';
    });

  const columns = webhookDeliveryColumns(action.busy, retry);

  return (
    <section>
      <p>
        <Link to="/webhooks">← Webhooks</Link>
      </p>
      <Notice error={hook.error} />
      {w ? <WebhookSummary w={w} busy={action.busy} toggle={toggle} remove={remove} /> : null}
      <Notice error={action.error} message={action.message} />
      <h2>
        Deliveries <span className="muted">({deliveries.data?.total ?? '…'})</span>
      </h2>
      <DeliveryStatusFilter value={statusFilter} onChange={(status) => (setStatusFilter(status), setOffset(0))} />
      <Notice error={deliveries.error} />
      <DataTable label="deliveries" testId="deliveries-table" columns={columns} rows={deliveries.data?.deliveries ?? []} rowKey={(d) => d.id} onOpen={(d) => setOpenId(d.id)} empty="No deliveries." />
      {deliveries.data ? <Pager total={deliveries.data.total} limit={50} offset={offset} onOffset={setOffset} /> : null}
      {detail.data ? <DeliveryDetail delivery={detail.data} /> : null}
    </section>
  );
}

/** The deliveries table's columns; a delivery in flight (or any action running) can't be retried. */
function webhookDeliveryColumns(busy: boolean, retry: (deliveryId: string) => void): Array<Column<WebhookDeliveryView>> {
  return [
    { label: 'Event', render: (d) => <code>{d.eventType}</code> },
    { label: 'Device', render: (d) => (d.udid ? <Link to={`/devices/${encodeURIComponent(d.udid)}`}>{d.udid}</Link> : '—') },
    { label: 'Status', render: (d) => <StatusBadge status={d.status} /> },
    { label: 'Attempts', render: (d) => d.attempts },
    { label: 'Last', render: (d) => (d.lastAttemptAt ? `${d.lastHttpStatus ?? d.lastError ?? ''} ${ago(d.lastAttemptAt)}` : '—') },
    { label: 'Next', render: (d) => (d.status === 'retrying' || d.status === 'pending' ? ago(d.nextAttemptAt) : '—') },
    {
      label: 'Retry',
      render: (d) => (
        <button type="button" disabled={d.inFlight || busy} onClick={() => retry(d.id)}>
          Retry now
        </button>
      ),
    },
  ];
}

function DeliveryStatusFilter({ value, onChange }: { value: string; onChange: (status: string) => void }) {
  return (
    <label>
      Status{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">all</option>
        {['pending', 'retrying', 'delivered', 'dead'].map((s) => (
          <option key={s}>{s}</option>
        ))}
      </select>
    </label>
  );
}

/** The webhook's URL, events, format and secret hint, with enable/disable and delete. */
function WebhookSummary({ w, busy, toggle, remove }: { w: WebhookView; busy: boolean; toggle: () => void; remove: () => void }) {
  return (
    <>
      <h1>
        <code>{w.url}</code>
      </h1>
      <p>
        {w.events.join(', ')} · {w.format} · {w.enabled ? 'enabled' : 'disabled'} · secret <code>{w.secretHint}</code>
      </p>
      <div className="row">
        <button type="button" onClick={toggle} disabled={busy}>
          {w.enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" className="danger" onClick={remove} disabled={busy}>
          Delete
        </button>
      </div>
    </>
  );
}

/** One delivery opened from the table, with its attempt log. */
function DeliveryDetail({ delivery }: { delivery: WebhookDeliveryView & { attemptLog: WebhookAttemptView[] } }) {
  return (
    <div className="card">
      <h3>Delivery {delivery.id}</h3>
      <p>
        {delivery.eventType} · <StatusBadge status={delivery.status} /> · created {dateTime(delivery.createdAt)}
      </p>
      <pre>{JSON.stringify(delivery.attemptLog, null, 2)}</pre>
    </div>
  );
}
