import { type FormEvent, useEffect, useState } from 'react';
import { api, get } from '../api';
import { Badge, Notice } from '../components/badges';
import { type Drafts, firstProblem, SchemaFields, type Values } from '../components/schema-form';
import { iosKeys, PAYLOADS, payloadSpec } from '../catalog';
import { useAction, useLoad } from '../hooks';
import { Link, navigate } from '../router';
import type { ProfileView } from '@mdm/contracts';

interface PayloadDraft {
  type: string;
  values: Values;
  drafts: Drafts;
}
interface ProfileSettings {
  name: string;
  identifier: string;
  description: string;
  removalDisallowed: boolean;
}
const PASSCODE = 'com.apple.mobiledevice.passwordpolicy';

/** Creates a profile, or changes one (`id`): every payload's form comes from the payload catalog. */
export function ProfileEditorPage({ id }: { id?: string }) {
  const existing = useLoad(() => (id ? get<ProfileView>(`/v1/profiles/${id}`) : Promise.resolve(undefined)), [id]);
  const [settings, setSettings] = useState<ProfileSettings>({ name: '', identifier: '', description: '', removalDisallowed: false });
  const [payloads, setPayloads] = useState<PayloadDraft[]>(id ? [] : [{ type: PASSCODE, values: {}, drafts: {} }]);
  const action = useAction();

  useEffect(() => {
    const p = existing.data;
    if (!p) return;
    setSettings({ name: p.name, identifier: p.identifier, description: p.description ?? '', removalDisallowed: p.removalDisallowed });
    setPayloads(p.payloads.map((x) => ({ type: x.type, values: { ...x.settings }, drafts: {} })));
  }, [existing.data]);

  const problems = payloads.map((p) => firstProblem(iosKeys(payloadSpec(p.type)?.keys ?? []), p.values, p.drafts)).filter(Boolean);
  const update = (i: number, next: Partial<PayloadDraft>): void => setPayloads(payloads.map((p, j) => (j === i ? { ...p, ...next } : p)));

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void action.run(async () => {
      const { name, identifier, description, removalDisallowed } = settings;
      const body = {
        name,
        identifier,
        ...(description ? { description } : {}),
        removalDisallowed,
        payloads: payloads.map((p) => ({ type: p.type, settings: p.values })),
      };
      const saved = id ? await api<ProfileView>('PUT', `/v1/profiles/${id}`, body) : await api<ProfileView>('POST', '/v1/profiles', body);
      navigate(`/profiles/${saved.id}`);
    });
  };

  return (
    <section>
      <p>
        <Link to={id ? `/profiles/${id}` : '/profiles'}>← {id ? 'Profile' : 'Profiles'}</Link>
      </p>
      <h1>{id ? `Edit ${existing.data?.name ?? 'profile'}` : 'New profile'}</h1>
      <Notice error={existing.error} />
      <form onSubmit={submit} aria-label="profile">
        <ProfileSettingsCard settings={settings} identifierLocked={!!id} onChange={(patch) => setSettings((current) => ({ ...current, ...patch }))} />
        {payloads.map((p, i) => (
          <PayloadFieldset key={`${p.type}-${i}`} draft={p} index={i} onChange={(next) => update(i, next)} onRemove={() => setPayloads(payloads.filter((_, j) => j !== i))} />
        ))}
        <AddPayload onAdd={(type) => setPayloads([...payloads, { type, values: {}, drafts: {} }])} />
        <div className="row">
          <button type="submit" className="primary" disabled={action.busy || payloads.length === 0 || problems.length > 0}>
            {id ? 'Save a new version' : 'Create profile'}
          </button>
          {problems.length ? <span className="bad-text">{problems[0]}</span> : null}
        </div>
        <Notice error={action.error} />
      </form>
    </section>
  );
}

/** One payload's form, its fields from the payload catalog. */
function PayloadFieldset({ draft, index, onChange, onRemove }: { draft: PayloadDraft; index: number; onChange: (next: Partial<PayloadDraft>) => void; onRemove: () => void }) {
  const spec = payloadSpec(draft.type);
  return (
    <fieldset className="card payload" data-payload={draft.type}>
      <legend>
        {spec?.title ?? draft.type} <code className="muted">{draft.type}</code> {spec?.supervised ? <Badge tone="warn">requires supervision</Badge> : null}{' '}
        {spec ? <Badge>iOS {spec.iosIntroduced}+</Badge> : <Badge tone="bad">not in the catalog</Badge>}
      </legend>
      <SchemaFields keys={iosKeys(spec?.keys ?? [])} values={draft.values} drafts={draft.drafts} onChange={(values, drafts) => onChange({ values, drafts })} supervised={spec?.supervised} idPrefix={`p${index}`} />
      <button type="button" className="danger" onClick={onRemove}>
        Remove this payload
      </button>
    </fieldset>
  );
}

function AddPayload({ onAdd }: { onAdd: (type: string) => void }) {
  const [adding, setAdding] = useState(PASSCODE);
  return (
    <div className="row">
      <label>
        Add a payload{' '}
        <select value={adding} onChange={(e) => setAdding(e.target.value)}>
          {PAYLOADS.map((p) => (
            <option key={p.type} value={p.type}>
              {p.title} ({p.type}){p.supervised ? ' · supervised' : ''}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={() => onAdd(adding)}>
        Add
      </button>
    </div>
  );
}

/** Name, identifier (fixed once the profile exists), removal and description. */
function ProfileSettingsCard({ settings, identifierLocked, onChange }: { settings: ProfileSettings; identifierLocked: boolean; onChange: (patch: Partial<ProfileSettings>) => void }) {
  return (
    <div className="card">
      <div className="row">
        <label>
          Name <input id="profile-name" required value={settings.name} onChange={(e) => onChange({ name: e.target.value })} />
        </label>
        <label>
          Identifier <input id="profile-identifier" required disabled={identifierLocked} pattern="[A-Za-z0-9.\-]+" placeholder="com.example.passcode" value={settings.identifier} onChange={(e) => onChange({ identifier: e.target.value })} />
        </label>
        <label>
          <input type="checkbox" checked={settings.removalDisallowed} onChange={(e) => onChange({ removalDisallowed: e.target.checked })} /> Users may not remove it
        </label>
      </div>
      <label className="block">
        Description <input value={settings.description} onChange={(e) => onChange({ description: e.target.value })} />
      </label>
    </div>
  );
}
