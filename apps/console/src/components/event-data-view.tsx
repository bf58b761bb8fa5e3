import { decodedFields, summarize } from '../event-data';
import type { StreamedEvent } from '../event-stream';
import { explainPush } from '../push-errors';
import { Explanation } from './badges';

/** An event of the log: `GET /v1/events` lists them as the stream sends them. */
export type EventRow = StreamedEvent;

/** Why a push failed, in words, for `push.failed` events. */
function pushFailure(e: EventRow): string | null {
  if (e.type !== 'push.failed') return null;
  const { outcome, reason } = e.data;
  return [outcome, reason].filter((v) => typeof v === 'string').join(': ') || null;
}

/** The collapsed summary; expanded: the data as pretty JSON and every base64 text field decoded. */
export function EventDataView({ event }: { event: EventRow }) {
  const decoded = decodedFields(event.data);
  return (
    <details className="event-data">
      <summary>{summarize(event.data)}</summary>
      <Explanation explained={explainPush(pushFailure(event))} />
      <pre data-testid="event-json">{JSON.stringify(event.data, null, 2)}</pre>
      {decoded.map((f) => (
        <div key={f.path}>
          <div className="muted small">
            <code>{f.path}</code> decoded from base64
          </div>
          <pre>{f.text}</pre>
        </div>
      ))}
    </details>
  );
}
