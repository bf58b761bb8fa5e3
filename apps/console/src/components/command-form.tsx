import { type FormEvent, useMemo, useState } from 'react';
import { api } from '../api';
import { COMMANDS, commandSpec, iosKeys } from '../catalog';
import { useAction } from '../hooks';
import { Badge, Notice } from './badges';
import { type Drafts, firstProblem, SchemaFields, type Values } from './schema-form';

export interface CommandQueued {
  commandUuid: string;
  devices: Array<{ udid: string; status: string }>;
}

/**
 * Sends one command to the given devices: the request type from the server's command catalog, its keys
 * as generated fields, and any further keys as JSON (merged over the fields).
 */
export function CommandForm({ udids, onQueued }: { udids: string[]; onQueued: (res: CommandQueued) => void }) {
  const [requestType, setRequestType] = useState('DeviceInformation');
  const [values, setValues] = useState<Values>({ Queries: ['DeviceName', 'OSVersion', 'ModelName', 'ProductName', 'SerialNumber', 'IsSupervised'] });
  const [drafts, setDrafts] = useState<Drafts>({});
  const [extra, setExtra] = useState('');
  const [push, setPush] = useState(true);
  const action = useAction();
  const spec = commandSpec(requestType);
  const keys = useMemo(() => (spec ? iosKeys(spec.keys) : []), [spec]);

  const { extraKeys, extraError } = parseExtraKeys(extra);
  const problem = extraError ?? firstProblem(keys, values, drafts);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void action.run(async () => {
      const command = { ...values, ...extraKeys, RequestType: requestType };
      const res = await api<CommandQueued>('POST', '/v1/commands', { udids, command, push });
      onQueued(res);
      return `Queued ${requestType} (${res.commandUuid}) for ${res.devices.length} device${res.devices.length === 1 ? '' : 's'}.`;
    });
  };

  return (
    <form onSubmit={submit} className="command-form" aria-label="send command">
      <RequestTypePicker
        requestType={requestType}
        onChange={(type) => {
          setRequestType(type);
          setValues({});
          setDrafts({});
        }}
      />
      <SchemaFields keys={keys} values={values} drafts={drafts} onChange={(v, d) => (setValues(v), setDrafts(d))} supervised={spec?.supervised} idPrefix="cmd" />
      <label className="block">
        Further keys as JSON (merged over the fields)
        <textarea className="mono" rows={2} value={extra} onChange={(e) => setExtra(e.target.value)} placeholder='{"Key": "value"}' />
      </label>
      <div className="row">
        <label>
          <input type="checkbox" checked={push} onChange={(e) => setPush(e.target.checked)} /> Push the devices now
        </label>
        <button type="submit" className="primary" disabled={action.busy || udids.length === 0 || problem !== undefined}>
          Send {requestType} to {udids.length} device{udids.length === 1 ? '' : 's'}
        </button>
        {problem ? <span className="bad-text">{problem}</span> : null}
      </div>
      <Notice error={action.error} message={action.message} />
    </form>
  );
}

/** The further keys typed as JSON: an object, or the reason it is not one. */
function parseExtraKeys(extra: string): { extraKeys?: Record<string, unknown>; extraError?: string } {
  if (!extra.trim()) return {};
  try {
    const parsed: unknown = JSON.parse(extra);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return { extraKeys: parsed as Record<string, unknown> };
    return { extraError: 'extra keys must be a JSON object' };
  } catch (err) {
    return { extraError: `extra keys: ${(err as Error).message}` };
  }
}

function RequestTypePicker({ requestType, onChange }: { requestType: string; onChange: (requestType: string) => void }) {
  const spec = commandSpec(requestType);
  return (
    <div className="row">
      <label>
        Request type{' '}
        <select data-testid="request-type" value={requestType} onChange={(e) => onChange(e.target.value)}>
          {COMMANDS.map((c) => (
            <option key={c.requestType} value={c.requestType}>
              {c.requestType}
              {c.supervised ? ' (supervised)' : ''}
            </option>
          ))}
        </select>
      </label>
      {spec?.supervised ? <Badge tone="warn">requires supervision</Badge> : null}
      {spec?.requiresDep ? <Badge tone="warn">Automated Device Enrollment only</Badge> : null}
      {spec ? <span className="muted">{spec.title}, iOS {spec.iosIntroduced}+</span> : null}
    </div>
  );
}
