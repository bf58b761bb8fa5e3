import { createPrivateKey, createPublicKey, generateKeyPair, KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import { ensureCryptoEngine, toArrayBuffer } from './crypto-engine';
import { OID_UID, describe } from './certificates';
import { PkiError } from './errors';

/** Lets subject strings name UID, which @peculiar/x509 does not know (APNs topics live there). */
const EXTRA_NAMES = { UID: OID_UID };

/** Certificates start a little in the past so a peer whose clock lags a few minutes still accepts them. */
const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface KeyPairPem {
  publicKeyPem: string;
  /** PKCS#8 PEM */
  keyPem: string;
}

export interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

export type ExtendedKeyUsageName = 'clientAuth' | 'serverAuth' | 'codeSigning' | 'emailProtection';

export interface IssueCertificateOptions {
  issuer: CertificateAndKey;
  /** RFC 4514-style, in encoding order, e.g. `CN=device,O=x` or `UID=com.apple.mgmt.External.<uuid>, CN=APSP:<uuid>, C=US` */
  subject: string;
  publicKeyPem: string;
  validityDays?: number;
  notBefore?: Date;
  notAfter?: Date;
  extendedKeyUsage?: ExtendedKeyUsageName[];
  subjectAltNames?: { dns?: string[]; ip?: string[] };
  /** hex; random 128-bit positive serial when absent */
  serialNumber?: string;
}

const generateKeyPairAsync = promisify(generateKeyPair);

export async function generateRsaKeyPair(bits = 2048): Promise<KeyPairPem> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKeyPem: publicKey, keyPem: privateKey };
}

export async function createCertificateAuthority(opts: {
  commonName: string;
  organization?: string;
  validityDays?: number;
}): Promise<CertificateAndKey> {
  ensureCryptoEngine();
  const { publicKeyPem, keyPem } = await generateRsaKeyPair(2048);
  const signingKey = await importSigningKey(createPrivateKey(keyPem));
  const publicKey = await importPublicKey(publicKeyPem);
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const name = new x509.Name(
    [`CN=${escapeRdnValue(opts.commonName)}`, ...(opts.organization ? [`O=${escapeRdnValue(opts.organization)}`] : [])].join(', '),
  );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: name,
    issuer: name,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (opts.validityDays ?? 3650) * DAY_MS),
    publicKey,
    signingKey,
    signingAlgorithm: signingAlgorithmFor(signingKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      // A SCEP CA also signs CertRep messages and receives envelopes encrypted to its key.
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem };
}

/** Issues an end-entity certificate (SHA-256 signature) for a public key, signed by `issuer`. */
export async function issueCertificate(opts: IssueCertificateOptions): Promise<{ certPem: string }> {
  ensureCryptoEngine();
  let issuerCert: x509.X509Certificate;
  try {
    issuerCert = new x509.X509Certificate(opts.issuer.certPem);
  } catch (err) {
    throw new PkiError(`issuer certificate is not a valid PEM certificate: ${describe(err)}`, 'malformed');
  }
  const signingKey = await importSigningKey(parsePrivateKey(opts.issuer.keyPem));
  const publicKey = await importPublicKey(opts.publicKeyPem);
  let subject: x509.Name;
  try {
    subject = new x509.Name(opts.subject, EXTRA_NAMES);
  } catch (err) {
    throw new PkiError(`subject "${opts.subject}" is not a valid distinguished name: ${describe(err)}`, 'malformed');
  }
  const notBefore = opts.notBefore ?? new Date(Date.now() - BACKDATE_MS);
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + (opts.validityDays ?? 365) * DAY_MS);

  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    await authorityKeyIdentifier(issuerCert),
  ];
  if (opts.extendedKeyUsage?.length) {
    extensions.push(new x509.ExtendedKeyUsageExtension(opts.extendedKeyUsage.map((u) => x509.ExtendedKeyUsage[u])));
  }
  const altNames = [
    ...(opts.subjectAltNames?.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.subjectAltNames?.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (altNames.length) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: opts.serialNumber ?? randomSerial(),
    subject,
    // Byte-for-byte the issuer's subject, so chain building by name matches whatever encoding it used.
    issuer: issuerCert.subjectName,
    notBefore,
    notAfter,
    publicKey,
    signingKey,
    signingAlgorithm: signingAlgorithmFor(signingKey),
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n' };
}

/** Generates a fresh RSA key and issues a certificate for it. */
export async function issueKeyAndCertificate(
  opts: Omit<IssueCertificateOptions, 'publicKeyPem'> & { keyBits?: number },
): Promise<CertificateAndKey> {
  const { keyBits, ...rest } = opts;
  const { publicKeyPem, keyPem } = await generateRsaKeyPair(keyBits ?? 2048);
  const { certPem } = await issueCertificate({ ...rest, publicKeyPem });
  return { certPem, keyPem };
}

function parsePrivateKey(keyPem: string): KeyObject {
  try {
    return createPrivateKey(keyPem);
  } catch (err) {
    throw new PkiError(`issuer private key is not a usable unencrypted PEM key: ${describe(err)}`, 'malformed');
  }
}

async function authorityKeyIdentifier(issuer: x509.X509Certificate): Promise<x509.Extension> {
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
  return x509.AuthorityKeyIdentifierExtension.create(await issuer.publicKey.export());
}

async function importPublicKey(publicKeyPem: string): Promise<x509.PublicKey> {
  try {
    const der = createPublicKey(publicKeyPem).export({ format: 'der', type: 'spki' });
    return new x509.PublicKey(toArrayBuffer(der));
  } catch (err) {
    throw new PkiError(`public key is not a valid PEM public key: ${describe(err)}`, 'malformed');
  }
}

async function importSigningKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType === 'rsa') {
    return webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  }
  if (key.asymmetricKeyType === 'ec') {
    const namedCurve = key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256';
    return webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve }, false, ['sign']);
  }
  throw new PkiError(`unsupported issuer key type ${key.asymmetricKeyType ?? 'unknown'} (expected RSA or EC)`, 'malformed');
}

function signingAlgorithmFor(key: webcrypto.CryptoKey): { name: string; hash?: string } {
  return key.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
}

/** Positive 128-bit serial: the top bit is cleared so the DER INTEGER needs no sign byte and is never negative. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function escapeRdnValue(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1');
}
