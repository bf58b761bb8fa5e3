import { type FormEvent, useEffect, useState } from 'react';
import QRCode from 'qrcode';
import { api, ApiError, fetchFile, get, saveBlob } from '../api';
import { Badge, Notice, StatusBadge } from '../components/badges';
import { NotIssuedByAppleBadge, PushCertificateWarning } from '../components/push-certificate-warning';
import { dateTime, expiryTone } from '../format';
import { useAction, useLoad } from '../hooks';
import { Link } from '../router';
import type { ApnsCertificateView } from '@mdm/contracts';

interface PushCertificates {
  status: string;
  warnings: string[];
  certificates: ApnsCertificateView[];
  /** Enrolled devices whose topic has no certificate any more (a forced upload of another topic). */
  strandedDevices?: Array<{ topic: string; devices: number }>;
}
interface EnrollmentInfo {
  publicUrl: string;
  scepUrl: string;
  caName: string;
  topic: string;
}

/** Reads what the unsigned enrollment profile says about where devices go and which CA issues them. */
function readEnrollmentProfile(xml: string): EnrollmentInfo {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const valueOf = (dict: Element, key: string): string => {
    const keys = Array.from(dict.children);
    const i = keys.findIndex((el) => el.tagName === 'key' && el.textContent === key);
    return i >= 0 ? (keys[i + 1]?.textContent ?? '') : '';
  };
  const dicts = Array.from(doc.getElementsByTagName('dict'));
  const mdm = dicts.find((d) => valueOf(d, 'PayloadType') === 'com.apple.mdm');
  const scep = dicts.find((d) => valueOf(d, 'PayloadType') === 'com.apple.security.scep');
  const scepContent = scep ? Array.from(scep.getElementsByTagName('dict'))[0] : undefined;
  const serverUrl = mdm ? valueOf(mdm, 'ServerURL') : '';
  return {
    publicUrl: serverUrl.replace(/\/mdm\/connect$/, ''),
    scepUrl: scepContent ? valueOf(scepContent, 'URL') : '',
    caName: scepContent ? valueOf(scepContent, 'Name') : '',
    topic: mdm ? valueOf(mdm, 'Topic') : '',
  };
}

const readText = (f: File): Promise<string> => f.text();
async function readBase64(f: File): Promise<string> {
  const bytes = new Uint8Array(await f.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function SetupPage() {
  const certs = useLoad(() => get<PushCertificates>('/v1/apns/certificate'), []);
  const hasCert = (certs.data?.certificates.length ?? 0) > 0;
  const topics = certs.data?.certificates.map((c) => c.topic).join(',') ?? '';
  const enrollment = useLoad(async () => (hasCert ? readEnrollmentProfile(await (await fetchFile('/v1/enrollment/profile?unsigned=true')).text()) : undefined), [hasCert, topics]);
  const enrolled = useLoad(() => get<{ total: number }>('/v1/devices', { enrolled: true, limit: 1 }), [], 5000);

  return (
    <section>
      <h1>Setup</h1>
      <ol className="checklist">
        <li className={hasCert ? 'done' : 'todo'} data-testid="step-push-certificate">
          <h2>
            <span className="check" aria-hidden="true">{hasCert ? '✓' : '1'}</span> Push certificate
          </h2>
          <PushCertificateCard data={certs.data} error={certs.error} onChanged={certs.reload} />
        </li>
        <li className={enrollment.data ? 'done' : 'todo'} data-testid="step-device-ca">
          <h2>
            <span className="check" aria-hidden="true">{enrollment.data ? '✓' : '2'}</span> Device CA
          </h2>
          {enrollment.data ? (
            <p>
              Devices get their identity from <strong>{enrollment.data.caName || 'the server’s device CA'}</strong> over SCEP at <code>{enrollment.data.scepUrl}</code>. The CA was created by the
              enrollment service at its first start (or imported from <code>MDM_DEVICE_CA_CERT_FILE</code>).
            </p>
          ) : (
            <p className="muted">Shown once a push certificate is in: the enrollment profile names the CA and its SCEP address.</p>
          )}
          <Notice error={enrollment.error} />
        </li>
        <li className={enrollment.data ? 'done' : 'todo'} data-testid="step-enrollment-profile">
          <h2>
            <span className="check" aria-hidden="true">{enrollment.data ? '✓' : '3'}</span> Enrollment profile
          </h2>
          {enrollment.data ? <EnrollmentCard info={enrollment.data} /> : <p className="muted">Needs a push certificate: its topic goes into the profile.</p>}
        </li>
        <li className={(enrolled.data?.total ?? 0) > 0 ? 'done' : 'todo'} data-testid="step-devices">
          <h2>
            <span className="check" aria-hidden="true">{(enrolled.data?.total ?? 0) > 0 ? '✓' : '4'}</span> Devices
          </h2>
          <p>
            <strong data-testid="enrolled-count">{enrolled.data?.total ?? '…'}</strong> enrolled. <Link to="/devices">Open the device list</Link>
          </p>
          {(certs.data?.strandedDevices ?? []).map((s) => (
            <p key={s.topic} className="warn-text" data-testid="stranded-devices">
              <strong>{s.devices}</strong> {s.devices === 1 ? 'device' : 'devices'} on topic <code>{s.topic}</code> {s.devices === 1 ? 'has' : 'have'} no push certificate: re-enroll{' '}
              {s.devices === 1 ? 'it' : 'them'}, or upload a certificate for that topic again. Until then commands for them stay queued.
            </p>
          ))}
        </li>
      </ol>
    </section>
  );
}

function PushCertificateCard({ data, error, onChanged }: { data: PushCertificates | undefined; error: string | undefined; onChanged: () => void }) {
  const [mode, setMode] = useState<'pem' | 'p12'>('pem');
  const [certFile, setCertFile] = useState<File | null>(null);
  const [keyFile, setKeyFile] = useState<File | null>(null);
  const [p12File, setP12File] = useState<File | null>(null);
  const [password, setPassword] = useState('');
  const [topicConflict, setTopicConflict] = useState<string | undefined>(undefined);
  const action = useAction();

  const upload = async (force: boolean): Promise<void> => {
    setTopicConflict(undefined);
    await action.run(async () => {
      try {
        const res = await api<{ topic: string; notAfter: string; action?: string }>('PUT', `/v1/apns/certificate${force ? '?force=true' : ''}`, await uploadBody({ mode, certFile, keyFile, p12File, password }));
        onChanged();
        return `Stored: ${res.topic}${res.action ? ` (${res.action})` : ''}, valid until ${dateTime(res.notAfter)}.`;
      } catch (err) {
        // A different topic would orphan the enrolled devices: the operator has to say so explicitly.
        if (err instanceof ApiError && err.status === 409 && !force) setTopicConflict(err.message);
        throw err;
      }
    });
  };

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void upload(false);
  };

  return (
    <div>
      <Notice error={error} />
      <PushCertificateWarning certificates={data?.certificates ?? []} />
      <PushCertificateTable certificates={data?.certificates ?? []} />
      <form onSubmit={submit} className="upload" aria-label="upload push certificate">
        <fieldset>
          <legend>{data?.certificates.length ? 'Renew (same topic) or replace' : 'Upload'}</legend>
          <UploadFields mode={mode} setMode={setMode} setCertFile={setCertFile} setKeyFile={setKeyFile} setP12File={setP12File} password={password} setPassword={setPassword} />
          <div className="row">
            <button type="submit" className="primary" disabled={action.busy}>
              Upload push certificate
            </button>
            <button type="button" onClick={() => void action.run(downloadCsr)} disabled={action.busy}>
              Download a CSR
            </button>
          </div>
        </fieldset>
      </form>
      <Notice error={action.error} message={action.message} />
      {topicConflict ? <TopicConflictNotice onReplace={() => void upload(true)} /> : null}
    </div>
  );
}

/** The PUT body: a PKCS#12 file with its password, or a PEM certificate with its key when a key file was chosen. */
async function uploadBody(form: { mode: 'pem' | 'p12'; certFile: File | null; keyFile: File | null; p12File: File | null; password: string }): Promise<Record<string, unknown>> {
  if (form.mode === 'p12') {
    if (!form.p12File) throw new Error('choose the PKCS#12 (.p12) file');
    return { pkcs12: await readBase64(form.p12File), password: form.password };
  }
  if (!form.certFile) throw new Error('choose the certificate (PEM) file');
  const certificate = await readText(form.certFile);
  // A key file is optional: the certificate file may hold the key too, or the key may be the server's (CSR flow).
  const privateKey = form.keyFile ? await readText(form.keyFile) : undefined;
  return privateKey ? { certificate, privateKey } : { certificate };
}

async function downloadCsr(): Promise<string> {
  const res = await api<{ csr: string }>('POST', '/v1/apns/csr', {});
  saveBlob(new Blob([res.csr], { type: 'application/pkcs10' }), 'mdm-push.csr');
  return 'CSR downloaded. Have it signed (vendor, then Apple’s Push Certificates Portal) and upload the certificate alone: the key stays on the server.';
}

/** A different topic would orphan the enrolled devices: the operator has to say so explicitly. */
function TopicConflictNotice({ onReplace }: { onReplace: () => void }) {
  return (
    <div className="notice warn" role="alert">
      <p>This certificate is for another topic. Replacing it leaves every device enrolled under the old topic unreachable until it re-enrolls.</p>
      <button type="button" className="danger" onClick={onReplace}>
        Replace the topic anyway
      </button>
    </div>
  );
}

function EnrollmentCard({ info }: { info: EnrollmentInfo }) {
  const url = `${info.publicUrl}/mdm/enroll`;
  const [qr, setQr] = useState<string | undefined>(undefined);
  const action = useAction();
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(url, { margin: 1, width: 168, errorCorrectionLevel: 'M' }).then((d) => live && setQr(d), () => undefined);
    return () => {
      live = false;
    };
  }, [url]);
  const download = (): void => {
    void action.run(async () => {
      saveBlob(await fetchFile('/v1/enrollment/profile'), 'enroll.mobileconfig');
      return 'Signed enrollment profile downloaded (it carries a one-time SCEP challenge).';
    });
  };
  return (
    <div className="enroll">
      <div>
        <p>
          Open <a href={url}>{url}</a> on the iPhone or iPad, or scan the code. Topic <code>{info.topic}</code>.
        </p>
        <button type="button" onClick={download} disabled={action.busy}>
          Download the signed profile
        </button>
        <Notice error={action.error} message={action.message} />
        {info.publicUrl.startsWith('http://') ? <Badge tone="warn">MDM_PUBLIC_URL is not HTTPS: devices need TLS in front of the gateway</Badge> : null}
      </div>
      {qr ? <img src={qr} alt={`QR code of ${url}`} width={168} height={168} data-testid="enroll-qr" /> : null}
    </div>
  );
}

/** The stored push certificates, with how long each has left. */
function PushCertificateTable({ certificates }: { certificates: ApnsCertificateView[] }) {
  return certificates.length ? (
    <table className="compact" aria-label="push certificates">
      <thead>
        <tr>
          <th scope="col">Topic</th>
          <th scope="col">Expires</th>
          <th scope="col">Days left</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {certificates.map((c) => (
          <tr key={c.topic}>
            <td>
              <code>{c.topic}</code>
            </td>
            <td>{dateTime(c.notAfter)}</td>
            <td>
              <span className={`days tone-${expiryTone(c.daysLeft)}`} data-testid="days-left">
                {c.daysLeft}
              </span>
            </td>
            <td>
              <StatusBadge status={c.status} /> <NotIssuedByAppleBadge certificate={c} />
              {c.warnings.map((w) => (
                <div key={w} className="warn-text">
                  {w}
                </div>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  ) : (
    <p>No push certificate yet. Upload the one from Apple’s Push Certificates Portal, or start with a CSR.</p>
  );
}

/** The files (PEM certificate and key, or PKCS#12 and its password) an upload sends. */
function UploadFields(props: {
  mode: 'pem' | 'p12';
  setMode: (mode: 'pem' | 'p12') => void;
  setCertFile: (file: File | null) => void;
  setKeyFile: (file: File | null) => void;
  setP12File: (file: File | null) => void;
  password: string;
  setPassword: (password: string) => void;
}) {
  const { mode, setMode, setCertFile, setKeyFile, setP12File, password, setPassword } = props;
  return (
    <>
      <div className="row">
        <label>
          <input type="radio" name="mode" checked={mode === 'pem'} onChange={() => setMode('pem')} /> PEM certificate and key
        </label>
        <label>
          <input type="radio" name="mode" checked={mode === 'p12'} onChange={() => setMode('p12')} /> PKCS#12 (.p12)
        </label>
      </div>
      {mode === 'pem' ? (
        <div className="row">
          <label>
            Certificate (PEM) <input type="file" data-testid="cert-file" accept=".pem,.crt,.cer" onChange={(e) => setCertFile(e.target.files?.[0] ?? null)} />
          </label>
          <label>
            Private key (PEM, not needed after a CSR) <input type="file" data-testid="key-file" accept=".pem,.key" onChange={(e) => setKeyFile(e.target.files?.[0] ?? null)} />
          </label>
        </div>
      ) : (
        <div className="row">
          <label>
            PKCS#12 file <input type="file" data-testid="p12-file" accept=".p12,.pfx" onChange={(e) => setP12File(e.target.files?.[0] ?? null)} />
          </label>
          <label>
            Password <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
        </div>
      )}
    </>
  );
}
