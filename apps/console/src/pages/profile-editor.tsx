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
const PASSCODE = 'com.apple.mobiledevice.passwordpolicy';

/** Creates a profile, or changes one (`id`): every payload's form comes from the payload catalog. */
export function ProfileEditorPage({ id }: { id?: string }) {
  const existing = useLoad(() => (id ? get<ProfileView>(`/v1/profiles/${id}`) : Promise.resolve(undefined)), [id]);
  const [name, setName] = useState('');
  const [identifier, setIdentifier] = useState('');
  const [description, setDescription] = useState('');
  const [removalDisallowed, setRemovalDisallowed] = useState(false);
  const [payloads, setPayloads] = useState<PayloadDraft[]>(id ? [] : [{ type: PASSCODE, values: {}, drafts: {} }]);
  const [adding, setAdding] = useState(PASSCODE);
  const action = useAction();

  useEffect(() => {
    const p = existing.data;
    if (!p) return;
    setName(p.name);
    setIdentifier(p.identifier);
    setDescription(p.description ?? '');
    setRemovalDisallowed(p.removalDisallowed);
    setPayloads(p.payloads.map((x) => ({ type: x.type, values: { ...x.settings }, drafts: {} })));
  }, [existing.data]);

  const problems = payloads.map((p) => firstProblem(iosKeys(payloadSpec(p.type)?.keys ?? []), p.values, p.drafts)).filter(Boolean);
  const update = (i: number, next: Partial<PayloadDraft>): void => setPayloads(payloads.map((p, j) => (j === i ? { ...p, ...next } : p)));

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void action.run(async () => {
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
        <div className="card">
          <div className="row">
            <label>
              Name <input id="profile-name" required value={name} onChange={(e) => setName(e.target.value)} />
            </label>
            <label>
              Identifier <input id="profile-identifier" required disabled={!!id} pattern="[A-Za-z0-9.\-]+" placeholder="com.example.passcode" value={identifier} onChange={(e) => setIdentifier(e.target.value)} />
            </label>
            <label>
              <input type="checkbox" checked={removalDisallowed} onChange={(e) => setRemovalDisallowed(e.target.checked)} /> Users may not remove it
            </label>
          </div>
          <label className="block">
            Description <input value={description} onChange={(e) => setDescription(e.target.value)} />
          </label>
        </div>
        {payloads.map((p, i) => {
          const spec = payloadSpec(p.type);
          return (
            <fieldset key={`${p.type}-${i}`} className="card payload" data-payload={p.type}>
              <legend>
                {spec?.title ?? p.type} <code className="muted">{p.type}</code> {spec?.supervised ? <Badge tone="warn">requires supervision</Badge> : null}{' '}
                {spec ? <Badge>iOS {spec.iosIntroduced}+</Badge> : <Badge tone="bad">not in the catalog</Badge>}
              </legend>
              <SchemaFields keys={iosKeys(spec?.keys ?? [])} values={p.values} drafts={p.drafts} onChange={(values, drafts) => update(i, { values, drafts })} supervised={spec?.supervised} idPrefix={`p${i}`} />
              <button type="button" className="danger" onClick={() => setPayloads(payloads.filter((_, j) => j !== i))}>
                Remove this payload
              </button>
            </fieldset>
          );
        })}
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
          <button type="button" onClick={() => setPayloads([...payloads, { type: adding, values: {}, drafts: {} }])}>
            Add
          </button>
        </div>
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
