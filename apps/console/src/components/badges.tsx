import type { ReactNode } from 'react';

/** Command statuses as operators know them, and profile statuses; the class picks the colour. */
const TONES: Record<string, string> = {
  QUEUED: 'neutral',
  SENT: 'info',
  PUSH: 'info',
  NOTNOW: 'warn',
  ACKNOWLEDGED: 'ok',
  ERROR: 'bad',
  FORMAT_ERROR: 'bad',
  CANCELED: 'neutral',
  EXPIRED: 'warn',
  BLOCKED: 'warn',
  pending: 'info',
  installed: 'ok',
  failed: 'bad',
  blocked: 'warn',
  removing: 'info',
  removed: 'neutral',
  delivered: 'ok',
  retrying: 'warn',
  dead: 'bad',
  ok: 'ok',
  expiring: 'warn',
  expired: 'bad',
};

export function StatusBadge({ status }: { status: string | null | undefined }) {
  if (!status) return <span className="muted">—</span>;
  return <span className={`badge tone-${TONES[status] ?? 'neutral'}`}>{status}</span>;
}

export function Badge({ tone = 'neutral', children, title }: { tone?: 'ok' | 'warn' | 'bad' | 'info' | 'neutral'; children: ReactNode; title?: string }) {
  return (
    <span className={`badge tone-${tone}`} title={title}>
      {children}
    </span>
  );
}

/** Apple's error chain: one line per error, outermost first. */
export function ErrorChain({ chain }: { chain: Array<Record<string, unknown>> | null | undefined }) {
  if (!chain || chain.length === 0) return null;
  return (
    <ol className="error-chain">
      {chain.map((e, i) => (
        <li key={i}>
          <code>
            {String(e['ErrorDomain'] ?? '?')} {String(e['ErrorCode'] ?? '')}
          </code>{' '}
          {String(e['USEnglishDescription'] ?? e['LocalizedDescription'] ?? '')}
        </li>
      ))}
    </ol>
  );
}

export function Notice({ error, message }: { error?: string | undefined; message?: string | undefined }) {
  return (
    <>
      {error ? (
        <p className="notice bad" role="alert">
          {error}
        </p>
      ) : null}
      {message ? (
        <p className="notice ok" role="status">
          {message}
        </p>
      ) : null}
    </>
  );
}
