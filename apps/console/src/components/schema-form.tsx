import { type ReactElement, useId } from 'react';
import type { KeySpec } from '../catalog';
import { Badge } from './badges';

/**
 * Form fields generated from catalog key specs. Values are kept as the JSON the API takes; a key left
 * empty is not sent, so the device keeps Apple's default (shown as the placeholder). Scalars get typed
 * inputs with the schema's range and value list; arrays of strings a line per item (or a multi-select
 * of Apple's known values); anything else is edited as JSON.
 */
export type Values = Record<string, unknown>;
/** Raw text of JSON-edited keys, so a half-typed value is not lost. */
export type Drafts = Record<string, string>;

export function isScalar(k: KeySpec): boolean {
  return k.type === 'boolean' || k.type === 'integer' || k.type === 'real' || k.type === 'string';
}

function stringItems(k: KeySpec): KeySpec | undefined {
  const item = k.type === 'array' && k.subkeys?.length === 1 ? k.subkeys[0] : undefined;
  return item && item.type === 'string' ? item : undefined;
}

/** Checks one value against its spec the way the server will; returns a message or undefined. */
export function checkValue(k: KeySpec, v: unknown): string | undefined {
  if (v === undefined) return k.presence === 'required' ? 'required' : undefined;
  if ((k.type === 'integer' || k.type === 'real') && typeof v === 'number') {
    if (k.type === 'integer' && !Number.isInteger(v)) return 'must be a whole number';
    if (k.range?.min !== undefined && v < k.range.min) return `at least ${k.range.min}`;
    if (k.range?.max !== undefined && v > k.range.max) return `at most ${k.range.max}`;
  }
  if (k.type === 'string' && typeof v === 'string' && k.format) {
    try {
      if (!new RegExp(`^(?:${k.format})$`).test(v)) return `must match ${k.format}`;
    } catch {
      /* a pattern JavaScript can't read: the server decides */
    }
  }
  return undefined;
}

export function SchemaFields(props: {
  keys: KeySpec[];
  values: Values;
  drafts: Drafts;
  onChange: (values: Values, drafts: Drafts) => void;
  /** Whole payload or command needs supervision: every key is shown with the badge. */
  supervised?: boolean;
  idPrefix: string;
}) {
  const { keys, values, drafts } = props;
  const set = (key: string, v: unknown, draft?: string): void => {
    const next = { ...values };
    if (v === undefined) delete next[key];
    else next[key] = v;
    const nextDrafts = { ...drafts };
    if (draft === undefined) delete nextDrafts[key];
    else nextDrafts[key] = draft;
    props.onChange(next, nextDrafts);
  };
  if (keys.length === 0) return <p className="muted">This has no settings besides its type.</p>;
  return (
    <div className="schema-fields">
      {keys.map((k) => (
        <Field key={k.key} spec={k} value={values[k.key]} draft={drafts[k.key]} set={set} supervised={props.supervised} idPrefix={props.idPrefix} />
      ))}
    </div>
  );
}

type SetValue = (key: string, v: unknown, draft?: string) => void;

function Field({ spec: k, value, draft, set, supervised, idPrefix }: { spec: KeySpec; value: unknown; draft: string | undefined; set: SetValue; supervised?: boolean; idPrefix: string }) {
  const uid = useId();
  const id = `${idPrefix}-${k.key}-${uid}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const problem = draft !== undefined && value === undefined ? 'not valid JSON' : checkValue(k, value);
  const hint: string[] = [];
  if (k.default !== undefined) hint.push(`default ${String(k.default)}`);
  if (k.range && (k.range.min !== undefined || k.range.max !== undefined)) hint.push(`${k.range.min ?? '…'}–${k.range.max ?? '…'}`);
  return (
    <div className={`field${problem ? ' invalid' : ''}`}>
      <label htmlFor={id}>
        <span className="field-title">{k.title ?? k.key}</span> <code className="muted">{k.key}</code>{' '}
        {k.presence === 'required' ? <Badge tone="info">required</Badge> : null}
        {k.supervised || supervised ? <Badge tone="warn" title="iOS honours this only on supervised devices">requires supervision</Badge> : null}
        {k.iosIntroduced ? <Badge>iOS {k.iosIntroduced}+</Badge> : null}
        {k.iosDeprecated ? <Badge tone="warn">deprecated in iOS {k.iosDeprecated}</Badge> : null}
      </label>
      {fieldInput({ id, spec: k, value, draft, set })}
      <span className="field-hint">
        <span className="muted">
          {k.type}
          {hint.length ? `, ${hint.join(', ')}` : ''}
        </span>
        {problem ? <span className="bad-text"> {problem}</span> : null}
      </span>
    </div>
  );
}

interface InputProps {
  id: string;
  spec: KeySpec;
  value: unknown;
  draft: string | undefined;
  set: SetValue;
}

/** The input that fits the key's type (see the comment at the top of the file). */
function fieldInput(p: InputProps): ReactElement {
  const { id, spec: k, value, set } = p;
  if (k.type === 'boolean') return booleanSelect(p);
  if ((k.type === 'string' || k.type === 'integer') && k.rangelist?.length) return rangelistSelect(p, k.rangelist);
  if (k.type === 'integer' || k.type === 'real') return numberInput(p);
  if (k.type === 'string') {
    return <input id={id} data-key={k.key} type="text" placeholder={k.default === undefined ? '' : String(k.default)} value={typeof value === 'string' ? value : ''} onChange={(e) => set(k.key, e.target.value === '' ? undefined : e.target.value)} />;
  }
  const items = stringItems(k);
  if (items?.knownValues?.length) return knownValuesSelect(p, items.knownValues);
  if (items) return linesTextarea(p);
  return jsonTextarea(p);
}

function booleanSelect({ id, spec: k, value, set }: InputProps): ReactElement {
  return (
    <select id={id} data-key={k.key} value={value === undefined ? '' : String(value)} onChange={(e) => set(k.key, e.target.value === '' ? undefined : e.target.value === 'true')}>
      <option value="">{k.default === undefined ? '(not set)' : `(not set: ${String(k.default)})`}</option>
      <option value="true">true</option>
      <option value="false">false</option>
    </select>
  );
}

function rangelistSelect({ id, spec: k, value, set }: InputProps, rangelist: NonNullable<KeySpec['rangelist']>): ReactElement {
  return (
    <select id={id} data-key={k.key} value={value === undefined ? '' : String(value)} onChange={(e) => set(k.key, e.target.value === '' ? undefined : k.type === 'integer' ? Number(e.target.value) : e.target.value)}>
      <option value="">{k.default === undefined ? '(not set)' : `(not set: ${String(k.default)})`}</option>
      {rangelist.map((v) => (
        <option key={String(v)} value={String(v)}>
          {String(v)}
        </option>
      ))}
    </select>
  );
}

function numberInput({ id, spec: k, value, set }: InputProps): ReactElement {
  return (
    <input
      id={id}
      data-key={k.key}
      type="number"
      step={k.type === 'integer' ? 1 : 'any'}
      min={k.range?.min}
      max={k.range?.max}
      placeholder={k.default === undefined ? '' : String(k.default)}
      value={typeof value === 'number' ? value : ''}
      onChange={(e) => set(k.key, e.target.value === '' ? undefined : Number(e.target.value))}
    />
  );
}

/** An array of strings with Apple's known values: a multi-select. */
function knownValuesSelect({ id, spec: k, value, set }: InputProps, knownValues: string[]): ReactElement {
  const chosen = Array.isArray(value) ? (value as string[]) : [];
  return (
    <select id={id} data-key={k.key} multiple size={8} value={chosen} onChange={(e) => {
      const picked = Array.from(e.target.selectedOptions, (o) => o.value);
      set(k.key, picked.length ? picked : undefined);
    }}>
      {knownValues.map((v) => (
        <option key={v} value={v}>
          {v}
        </option>
      ))}
    </select>
  );
}

/** An array of strings: one per line. */
function linesTextarea({ id, spec: k, value, draft, set }: InputProps): ReactElement {
  const text = draft ?? (Array.isArray(value) ? (value as string[]).join('\n') : '');
  return (
    <textarea id={id} data-key={k.key} rows={3} placeholder="one per line" value={text} onChange={(e) => {
      const lines = e.target.value.split('\n').map((l) => l.trim()).filter(Boolean);
      set(k.key, lines.length ? lines : undefined, e.target.value);
    }} />
  );
}

/** Anything else, as JSON; the half-typed text is kept as the draft. */
function jsonTextarea({ id, spec: k, value, draft, set }: InputProps): ReactElement {
  const text = draft ?? (value === undefined ? '' : JSON.stringify(value, null, 2));
  return (
    <textarea id={id} data-key={k.key} rows={3} className="mono" placeholder={`${k.type} as JSON`} value={text} onChange={(e) => {
      const t = e.target.value;
      if (t.trim() === '') return set(k.key, undefined);
      try {
        set(k.key, JSON.parse(t), t);
      } catch {
        set(k.key, undefined, t);
      }
    }} />
  );
}

/** The first problem of a set of values, for disabling submit. */
export function firstProblem(keys: KeySpec[], values: Values, drafts: Drafts): string | undefined {
  for (const k of keys) {
    if (drafts[k.key] !== undefined && values[k.key] === undefined && !stringItems(k)) return `${k.key}: not valid JSON`;
    const p = checkValue(k, values[k.key]);
    if (p) return `${k.key}: ${p}`;
  }
  return undefined;
}
