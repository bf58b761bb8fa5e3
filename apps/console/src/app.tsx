import { type FormEvent, useEffect, useState } from 'react';
import { apiKey, SIGNED_OUT_EVENT, signIn, signOut, verifyKey } from './api';
import { Link, match, usePath } from './router';
import { SetupPage } from './pages/setup';
import { DevicesPage } from './pages/devices';
import { DevicePage } from './pages/device';
import { ProfilesPage } from './pages/profiles';
import { ProfileEditorPage } from './pages/profile-editor';
import { ProfilePage } from './pages/profile';
import { CommandPage, CommandsPage } from './pages/commands';
import { EventsPage } from './pages/events';
import { WebhookPage, WebhooksPage } from './pages/webhooks';
import { GroupsPage } from './pages/groups';
import { GroupPage } from './pages/group';
import { ApiKeysPage } from './pages/api-keys';

const NAV: Array<{ to: string; label: string }> = [
  { to: '/', label: 'Setup' },
  { to: '/devices', label: 'Devices' },
  { to: '/profiles', label: 'Profiles' },
  { to: '/groups', label: 'Groups' },
  { to: '/commands', label: 'Commands' },
  { to: '/events', label: 'Events' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/api-keys', label: 'API keys' },
];

export function App() {
  const [signedIn, setSignedIn] = useState(() => apiKey() !== null);
  const [reason, setReason] = useState<string | undefined>(undefined);
  useEffect(() => {
    const onOut = (e: Event): void => {
      setSignedIn(false);
      setReason((e as CustomEvent<string | undefined>).detail);
    };
    window.addEventListener(SIGNED_OUT_EVENT, onOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, onOut);
  }, []);
  if (!signedIn) return <SignIn reason={reason} onSignedIn={() => setSignedIn(true)} />;
  return <Shell />;
}

function SignIn({ reason, onSignedIn }: { reason?: string | undefined; onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(reason);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    try {
      const verdict = await verifyKey(key.trim());
      if (verdict.ok) {
        signIn(key.trim());
        onSignedIn();
      } else setError(verdict.message);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <form onSubmit={(e) => void submit(e)} className="card">
        <h1>MDM console</h1>
        <p className="muted">Sign in with an API key: the bootstrap <code>MDM_API_KEY</code> or a key made with <code>POST /v1/api-keys</code>. It is kept in this tab only.</p>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" autoFocus value={key} onChange={(e) => setKey(e.target.value)} required />
        {error ? (
          <p className="notice bad" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy || key.trim() === ''}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function Shell() {
  const { path } = usePath();
  const section = '/' + (path.split('/')[1] ?? '');
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">MDM console</span>
        <nav aria-label="sections">
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} aria-current={section === n.to ? 'page' : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <span className="spacer" />
        <a href="/docs" target="_blank" rel="noreferrer">
          API docs
        </a>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Route path={path} />
      </main>
    </div>
  );
}

function Route({ path }: { path: string }) {
  let p: Record<string, string> | null;
  if (path === '/') return <SetupPage />;
  if (path === '/devices') return <DevicesPage />;
  if ((p = match('/devices/:udid', path))) return <DevicePage udid={p['udid']!} />;
  if (path === '/profiles') return <ProfilesPage />;
  if (path === '/profiles/new') return <ProfileEditorPage />;
  if ((p = match('/profiles/:id/edit', path))) return <ProfileEditorPage id={p['id']!} />;
  if ((p = match('/profiles/:id', path))) return <ProfilePage id={p['id']!} />;
  if (path === '/groups') return <GroupsPage />;
  if ((p = match('/groups/:id', path))) return <GroupPage id={p['id']!} />;
  if (path === '/api-keys') return <ApiKeysPage />;
  if (path === '/commands') return <CommandsPage />;
  if ((p = match('/commands/:uuid', path))) return <CommandPage uuid={p['uuid']!} />;
  if (path === '/events') return <EventsPage />;
  if (path === '/webhooks') return <WebhooksPage />;
  if ((p = match('/webhooks/:id', path))) return <WebhookPage id={p['id']!} />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No console page at <code>{path}</code>. <Link to="/">Back to setup</Link>
      </p>
    </section>
  );
}
