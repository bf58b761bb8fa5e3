import { createHash, createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { certificatesOfDegenerate, generateRsaKeyPair } from '@mdm/pki';
import { buildScepPkiMessage, readCertRep, ScepFailure } from './scep-client-messages';

export * from './scep-client-messages';

export interface ScepEnrollOptions {
  /** e.g. http://127.0.0.1:8080/scep */
  url: string;
  challenge?: string;
  subject?: string;
  /** Default 2048. */
  keyBits?: number;
  /** Default POST when the CA advertises POSTPKIOperation, GET otherwise. */
  method?: 'POST' | 'GET';
  /** Sends a RenewalReq signed with this identity instead of a PKCSReq signed by a throwaway self-signed certificate. */
  renew?: { certPem: string; keyPem: string };
  /** Reuses this key (PKCS#8 PEM) instead of generating one. */
  keyPem?: string;
  /** Signs the PKCSReq with a self-signed certificate on a fresh throwaway key, not the CSR's (some SCEP clients do). */
  throwawaySigner?: boolean;
  /** The profile's CAFingerprint: the GetCACert answer must hold a certificate with this MD5, SHA-1 or SHA-256 hash. */
  caFingerprint?: Buffer;
}

export interface ScepEnrollResult {
  certPem: string;
  keyPem: string;
  caCertPem: string;
}

/** GetCACaps → GetCACert → PKIOperation → CertRep, over HTTP, as an iPhone's SCEP payload does it. */
export async function scepEnroll(opts: ScepEnrollOptions): Promise<ScepEnrollResult> {
  const caps = (await httpGet(opts.url, 'GetCACaps')).body
    .toString('utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  const caCertsRes = await httpGet(opts.url, 'GetCACert');
  const { caCert, recipient, all } = chooseCaCertificates(readCaCertificates(caCertsRes.body));
  if (opts.caFingerprint) checkFingerprint(all, opts.caFingerprint);

  const keys = opts.keyPem
    ? { keyPem: opts.keyPem, publicKeyPem: createPublicKey(opts.keyPem).export({ format: 'pem', type: 'spki' }).toString() }
    : await generateRsaKeyPair(opts.keyBits ?? 2048);
  const pending = await buildScepPkiMessage({
    recipientCertPem: recipient.toString(),
    ...keys,
    subject: opts.subject ?? `CN=scep-client-${randomBytes(4).toString('hex')}`,
    challenge: opts.challenge,
    encryption: caps.includes('AES') ? 'AES-256-CBC' : 'DES-EDE3-CBC',
    digest: caps.includes('SHA-256') ? 'SHA-256' : 'SHA-1',
    renew: opts.renew,
    throwawaySigner: opts.throwawaySigner,
  });

  const method = opts.method ?? (caps.includes('POSTPKIOperation') ? 'POST' : 'GET');
  const reply =
    method === 'POST'
      ? await httpSend(`${opts.url}?operation=PKIOperation`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-pki-message' },
          body: pending.message,
        })
      : await httpSend(`${opts.url}?operation=PKIOperation&message=${encodeURIComponent(pending.message.toString('base64'))}`, {
          method: 'GET',
        });
  const certPem = readCertRep(reply.body, pending, all.map((c) => c.toString()));
  return { certPem, keyPem: pending.keyPem, caCertPem: caCert.toString() };
}

/** GetCACert answers a DER certificate (x-x509-ca-cert) or a certs-only PKCS#7 (x-x509-ca-ra-cert); PEM is tolerated. */
export function readCaCertificates(body: Buffer): X509Certificate[] {
  const text = body.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]));
  }
  try {
    return [new X509Certificate(body)];
  } catch {
    return certificatesOfDegenerate(body);
  }
}

function checkFingerprint(certs: X509Certificate[], pinned: Buffer): void {
  const hash = ({ 16: 'md5', 20: 'sha1', 32: 'sha256' } as Record<number, string>)[pinned.length];
  if (!hash || !certs.some((c) => createHash(hash).update(c.raw).digest().equals(pinned))) {
    throw new Error('GetCACert returned no certificate matching the CAFingerprint');
  }
}

/** With an RA, the envelope goes to the RA (the certificate that is not a CA); the CA is the one that issues. */
function chooseCaCertificates(certs: X509Certificate[]): { caCert: X509Certificate; recipient: X509Certificate; all: X509Certificate[] } {
  if (certs.length === 0) throw new Error('GetCACert returned no certificate');
  const caCert = certs.find((c) => c.ca) ?? certs[0];
  const recipient = certs.find((c) => !c.ca) ?? caCert;
  return { caCert, recipient, all: certs };
}

async function httpGet(url: string, operation: string): Promise<{ body: Buffer; contentType: string }> {
  return httpSend(`${url}?operation=${operation}`, { method: 'GET' });
}

async function httpSend(url: string, init: RequestInit): Promise<{ body: Buffer; contentType: string }> {
  const res = await fetch(url, init);
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new ScepFailure('http', res.status);
  return { body, contentType: res.headers.get('content-type') ?? '' };
}
