import type { ReactNode } from 'react';
import { LIVE_INTERVAL_MS, useStreamState } from '../hooks';
import { type ErrorChainEntry, type Explained, explainErrorChain } from '../push-errors';

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

/** A failure as one sentence, with the raw code beside it (and in the title) so it can still be looked up. */
export function Explanation({ explained }: { explained: Explained | null }) {
  if (!explained) return null;
  return (
    <span className={`explained tone-text-${explained.tone}`} title={explained.code}>
      {explained.text} <code className="raw-code">{explained.code}</code>
    </span>
  );
}

/** Apple's error chain: one sentence, then each error, outermost first. */
export function ErrorChain({ chain }: { chain: ErrorChainEntry[] | null | undefined }) {
  const explained = explainErrorChain(chain);
  if (!chain || !explained) return null;
  return (
    <div className="error-chain">
      <div>{explained.text}</div>
      <ol>
        {chain.map((e, i) => (
          <li key={i}>
            <code>
              {String(e['ErrorDomain'] ?? '?')} {String(e['ErrorCode'] ?? '')}
            </code>{' '}
            {String(e['USEnglishDescription'] ?? e['LocalizedDescription'] ?? '')}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** Whether the views follow the event stream, or poll because it is down. */
export function LiveState() {
  const state = useStreamState();
  if (state === 'live') return <span className="live" data-testid="live-state">live (event stream)</span>;
  return (
    <span className="live-down" data-testid="live-state">
      {state === 'down' ? 'event stream down: re-reading' : 'connecting to the event stream; re-reading'} every {LIVE_INTERVAL_MS / 1000} s
    </span>
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
