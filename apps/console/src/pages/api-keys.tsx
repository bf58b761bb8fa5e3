import { type FormEvent, useState } from 'react';
import { api, get } from '../api';
import { Badge, Notice } from '../components/badges';
import { timeColumn } from '../components/columns';
import { type Column, DataTable, Pager } from '../components/table';
import { useAction, useLoad } from '../hooks';
import type { ApiKeyScope, ApiKeyView } from '@mdm/contracts';

const SCOPES: Array<{ scope: ApiKeyScope; hint: string }> = [
  { scope: 'read', hint: 'every GET' },
  { scope: 'commands', hint: 'queue, cancel, push' },
  { scope: 'profiles', hint: 'profiles, assignments, groups' },
  { scope: 'admin', hint: 'everything, keys and certificates included' },
];

const LIMIT = 50;

function keyState(k: ApiKeyView) {
  if (k.revokedAt) return <Badge tone="neutral">revoked</Badge>;
  if (k.expiresAt && Date.parse(k.expiresAt) <= Date.now()) return <Badge tone="bad">expired</Badge>;
  return <Badge tone="ok">active</Badge>;
}

/** API keys: the list (scopes, expiry, last use), create (the secret shown once), revoke. Listing takes `admin`. */
export function ApiKeysPage() {
  const [offset, setOffset] = useState(0);
  const [showRevoked, setShowRevoked] = useState(false);
  const keys = useLoad(() => get<{ keys: ApiKeyView[]; total: number }>('/v1/api-keys', { limit: LIMIT, offset, revoked: showRevoked ? undefined : false, order: 'desc' }), [offset, showRevoked]);
  const action = useAction();

  const revoke = (k: ApiKeyView): void => {
    if (!window.confirm(`Revoke the API key "${k.name}"? Every client using it is refused from now on; this cannot be undone.`)) return;
    void action.run(async () => {
      await api('DELETE', `/v1/api-keys/${k.id}`);
      keys.reload();
      return `Key "${k.name}" revoked.`;
    });
  };

  const columns: Array<Column<ApiKeyView>> = [
    { label: 'Name', render: (k) => k.name },
    { label: 'Scopes', render: (k) => k.scopes.join(', ') },
    { label: 'State', render: keyState },
    timeColumn('Created', (k) => k.createdAt),
    timeColumn('Last used', (k) => k.lastUsedAt),
    { label: 'Expires', render: (k) => (k.expiresAt ? new Date(k.expiresAt).toLocaleString() : 'never') },
    {
      label: '',
      render: (k) =>
        k.revokedAt ? null : (
          <button type="button" className="danger" onClick={() => revoke(k)} disabled={action.busy}>
            Revoke
          </button>
        ),
    },
  ];

  return (
    <section>
      <h1>API keys</h1>
      <p className="muted">Keys for scripts, mdmctl and this console. The secret is shown once, when the key is made; the server keeps only its hash.</p>
      <CreateKey onCreated={keys.reload} />
      <label>
        <input type="checkbox" checked={showRevoked} onChange={(e) => (setShowRevoked(e.target.checked), setOffset(0))} /> show revoked keys
      </label>
      <Notice error={keys.error ?? action.error} message={action.message} />
      <DataTable label="API keys" testId="api-keys-table" columns={columns} rows={keys.data?.keys ?? []} rowKey={(k) => k.id} empty={keys.loading ? 'Loading…' : 'No API keys yet.'} />
      {keys.data ? <Pager total={keys.data.total} limit={LIMIT} offset={offset} onOffset={setOffset} /> : null}
    </section>
  );
}

function CreateKey({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<ApiKeyScope>>(new Set(['read']));
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<{ name: string; secret: string } | undefined>(undefined);
  const [copied, setCopied] = useState(false);
  const action = useAction();

  const toggle = (s: ApiKeyScope): void => {
    const next = new Set(scopes);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    setScopes(next);
  };
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void action.run(async () => {
      const body = { name: name.trim(), scopes: [...scopes], ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}) };
      const key = await api<ApiKeyView & { secret: string }>('POST', '/v1/api-keys', body);
      setCreated({ name: key.name, secret: key.secret });
      setCopied(false);
      setName('');
      setExpires('');
      onCreated();
    });
  };
  // The clipboard API exists only in secure contexts (https, localhost): elsewhere the secret is selected to copy by hand.
  const copy = (): void =>
    void action.run(async () => {
      if (!created) return;
      if (!window.isSecureContext) {
        window.getSelection()?.selectAllChildren(document.getElementById('new-key-secret-value')!);
        return 'Selected: press Ctrl+C (or ⌘C) to copy; the browser allows the clipboard only over https.';
      }
      await navigator.clipboard.writeText(created.secret);
      setCopied(true);
    });

  return (
    <div className="card">
      <h2>New key</h2>
      <form onSubmit={submit} aria-label="create API key">
        <label htmlFor="key-name">Name</label>
        <input id="key-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} placeholder="ci-deploy" />
        <ScopeChoices scopes={scopes} onToggle={toggle} />
        <label htmlFor="key-expires">Expires (optional)</label>
        <input id="key-expires" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
        <button type="submit" className="primary" disabled={action.busy || !name.trim() || scopes.size === 0}>
          Create key
        </button>
      </form>
      <Notice error={action.error} message={action.message} />
      {created ? <NewKeySecret created={created} copied={copied} onCopy={copy} onDone={() => setCreated(undefined)} /> : null}
    </div>
  );
}

function ScopeChoices({ scopes, onToggle }: { scopes: Set<ApiKeyScope>; onToggle: (scope: ApiKeyScope) => void }) {
  return (
    <fieldset>
      <legend>Scopes</legend>
      {SCOPES.map(({ scope, hint }) => (
        <label key={scope}>
          <input type="checkbox" checked={scopes.has(scope)} onChange={() => onToggle(scope)} /> {scope} <span className="muted small">({hint})</span>
        </label>
      ))}
    </fieldset>
  );
}

/** The new key's secret, shown once. */
function NewKeySecret({ created, copied, onCopy, onDone }: { created: { name: string; secret: string }; copied: boolean; onCopy: () => void; onDone: () => void }) {
  return (
    <div className="notice warn" role="status" data-testid="new-key-secret">
      <p>
        The secret of <strong>{created.name}</strong>: copy it now, it is not shown again.
      </p>
      <div className="secret">
        <code id="new-key-secret-value">{created.secret}</code>
        <button type="button" onClick={onCopy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
