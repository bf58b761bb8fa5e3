import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign as cryptoSign,
  verify as cryptoVerify,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as cms from '@peculiar/asn1-cms';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { createCsr, generateRsaKeyPair, type CertificateAndKey } from '@mdm/pki';

/*
 * A SCEP client written from RFC 8894 independently of the server in @mdm/pki: it shares only the ASN.1
 * schema classes and createCsr, so a misreading of the RFC on one side is not mirrored on the other.
 */

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

/** A FAILURE CertRep (`failInfo` is badAlg, badRequest, ...; `pending` for PENDING) or an HTTP error (`http`). */
export class ScepFailure extends Error {
  constructor(
    readonly failInfo: string,
    readonly httpStatus: number,
  ) {
    super(failInfo === 'http' ? `SCEP server answered HTTP ${httpStatus}` : `SCEP enrollment failed: ${failInfo}`);
    this.name = 'ScepFailure';
  }
}

export type ScepClientEncryption = 'AES-128-CBC' | 'AES-256-CBC' | 'DES-EDE3-CBC';

export interface ScepPkiMessageOptions {
  /** Who the envelope is encrypted to: the CA (or its RA) certificate from GetCACert. */
  recipientCertPem: string;
  /** The key pair the CSR asks a certificate for. */
  keyPem: string;
  publicKeyPem: string;
  subject: string;
  challenge?: string;
  encryption: ScepClientEncryption;
  digest: 'SHA-1' | 'SHA-256';
  /** RenewalReq signed with this identity. */
  renew?: CertificateAndKey;
  /** Hostile tests: sign a PKCSReq with this identity instead of a self-signed certificate for `keyPem`. */
  signer?: CertificateAndKey;
  /** Sign a PKCSReq with a self-signed certificate on a fresh key of its own instead of `keyPem`. */
  throwawaySigner?: boolean;
  /** Hostile or interoperability tests: this CSR (DER) instead of one built from the options. */
  csr?: Buffer;
  /** Interoperability tests: this pkcsPKIEnvelope (e.g. built by openssl) instead of one built here. */
  envelope?: Buffer;
}

/** What the client keeps between sending a PKIMessage and reading the CertRep. */
export interface ScepPendingRequest {
  message: Buffer;
  messageType: 'PKCSReq' | 'RenewalReq';
  transactionId: string;
  senderNonce: Buffer;
  /** Signed the request; the CertRep envelope is encrypted to it. */
  signer: CertificateAndKey;
  keyPem: string;
  publicKeyPem: string;
}

const OID = {
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionId: '2.16.840.1.113733.1.9.7',
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

const CIPHERS: Record<ScepClientEncryption, { oid: string; node: string; keyLength: number; ivLength: number }> = {
  'AES-128-CBC': { oid: '2.16.840.1.101.3.4.1.2', node: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  'AES-256-CBC': { oid: '2.16.840.1.101.3.4.1.42', node: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  'DES-EDE3-CBC': { oid: '1.2.840.113549.3.7', node: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};
const REPLY_CIPHERS: Record<string, string> = {
  '2.16.840.1.101.3.4.1.2': 'aes-128-cbc',
  '2.16.840.1.101.3.4.1.22': 'aes-192-cbc',
  '2.16.840.1.101.3.4.1.42': 'aes-256-cbc',
  '1.2.840.113549.3.7': 'des-ede3-cbc',
};
const REPLY_HASHES: Record<string, string> = {
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const FAIL_INFO_NAMES: Record<string, string> = { '0': 'badAlg', '1': 'badMessageCheck', '2': 'badRequest', '3': 'badTime', '4': 'badCertId' };
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

/** GetCACaps → GetCACert → PKIOperation → CertRep, over HTTP, as an iPhone's SCEP payload does it. */
export async function scepEnroll(opts: ScepEnrollOptions): Promise<ScepEnrollResult> {
  const caps = (await httpGet(opts.url, 'GetCACaps')).body
    .toString('utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  const caCertsRes = await httpGet(opts.url, 'GetCACert');
  const { caCert, recipient, all } = chooseCaCertificates(readCaCertificates(caCertsRes.body));
  const pinned = opts.caFingerprint;
  if (pinned) {
    const hash = ({ 16: 'md5', 20: 'sha1', 32: 'sha256' } as Record<number, string>)[pinned.length];
    if (!hash || !all.some((c) => createHash(hash).update(c.raw).digest().equals(pinned))) {
      throw new Error('GetCACert returned no certificate matching the CAFingerprint');
    }
  }

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

/** The request body of a PKIOperation, and what is needed to read the answer. No HTTP. */
export async function buildScepPkiMessage(opts: ScepPkiMessageOptions): Promise<ScepPendingRequest> {
  const messageType = opts.renew ? 'RenewalReq' : 'PKCSReq';
  const signerKeys = opts.throwawaySigner ? await generateRsaKeyPair(2048) : opts;
  const signer = opts.renew ?? opts.signer ?? (await selfSignedCertificate(opts.subject, signerKeys.keyPem, signerKeys.publicKeyPem));
  const csr =
    opts.csr ??
    (await createCsr({ subject: opts.subject, keyPem: opts.keyPem, publicKeyPem: opts.publicKeyPem, challengePassword: opts.challenge }));
  const envelope = opts.envelope ?? buildScepEnvelope(csr, opts.recipientCertPem, opts.encryption);
  // RFC 8894: the transaction ID is a hash of the public key being certified.
  const spki = createPublicKey(opts.publicKeyPem).export({ format: 'der', type: 'spki' });
  const transactionId = createHash('sha256').update(spki).digest('hex').toUpperCase();
  const senderNonce = randomBytes(16);
  const message = signScepMessage({
    content: envelope,
    signer,
    digest: opts.digest,
    attributes: [
      [OID.messageType, printableString(messageType === 'PKCSReq' ? '19' : '17')],
      [OID.transactionId, printableString(transactionId)],
      [OID.senderNonce, der(0x04, senderNonce)],
    ],
  });
  return { message, messageType, transactionId, senderNonce, signer, keyPem: opts.keyPem, publicKeyPem: opts.publicKeyPem };
}

/** pkcsPKIEnvelope: EnvelopedData with RSA (PKCS#1 v1.5) key transport to `recipientCertPem`. */
export function buildScepEnvelope(plaintext: Buffer, recipientCertPem: string, encryption: ScepClientEncryption): Buffer {
  const recipient = new X509Certificate(recipientCertPem);
  const spec = CIPHERS[encryption];
  const key = randomBytes(spec.keyLength);
  const iv = randomBytes(spec.ivLength);
  const cipher = createCipheriv(spec.node, key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const cert = AsnConvert.parse(recipient.raw, Certificate);
  const enveloped = new cms.EnvelopedData({
    version: cms.CMSVersion.v0,
    recipientInfos: new cms.RecipientInfos([
      new cms.RecipientInfo({
        ktri: new cms.KeyTransRecipientInfo({
          version: cms.CMSVersion.v0,
          rid: new cms.RecipientIdentifier({
            issuerAndSerialNumber: new cms.IssuerAndSerialNumber({ issuer: cert.tbsCertificate.issuer, serialNumber: cert.tbsCertificate.serialNumber }),
          }),
          keyEncryptionAlgorithm: new cms.KeyEncryptionAlgorithmIdentifier({ algorithm: OID.rsaEncryption, parameters: DER_NULL }),
          encryptedKey: new OctetString(publicEncrypt({ key: recipient.publicKey, padding: constants.RSA_PKCS1_PADDING }, key)),
        }),
      }),
    ]),
    encryptedContentInfo: new cms.EncryptedContentInfo({
      contentType: OID.data,
      contentEncryptionAlgorithm: new cms.ContentEncryptionAlgorithmIdentifier({ algorithm: spec.oid, parameters: arrayBuffer(der(0x04, iv)) }),
      encryptedContent: new cms.EncryptedContent({ value: new OctetString(ciphertext) }),
    }),
  });
  return contentInfo(OID.envelopedData, Buffer.from(AsnConvert.serialize(enveloped)));
}

/** SignedData over `content` with the SCEP attributes, the signer certificate included. */
export function signScepMessage(input: {
  content: Buffer;
  signer: CertificateAndKey;
  digest: 'SHA-1' | 'SHA-256';
  attributes: Array<[string, Buffer]>;
}): Buffer {
  const signerCert = new X509Certificate(input.signer.certPem);
  const cert = AsnConvert.parse(signerCert.raw, Certificate);
  const hash = input.digest === 'SHA-1' ? 'sha1' : 'sha256';
  const attributes = [
    [OID.contentType, oid(OID.data)] as [string, Buffer],
    [OID.messageDigest, der(0x04, createHash(hash).update(input.content).digest())] as [string, Buffer],
    ...input.attributes,
  ].map(([attrType, value]) => new cms.Attribute({ attrType, attrValues: [arrayBuffer(value)] }));
  const encoded = attributes.map((a) => Buffer.from(AsnConvert.serialize(a)));
  const order = encoded.map((_, i) => i).sort((a, b) => Buffer.compare(encoded[a], encoded[b]));
  const signedAttributes = der(0x31, Buffer.concat(order.map((i) => encoded[i])));
  const digestAlgorithm = new cms.DigestAlgorithmIdentifier({ algorithm: hash === 'sha1' ? OID.sha1 : OID.sha256, parameters: DER_NULL });
  const signedData = new cms.SignedData({
    version: cms.CMSVersion.v1,
    digestAlgorithms: new cms.DigestAlgorithmIdentifiers([digestAlgorithm]),
    encapContentInfo: new cms.EncapsulatedContentInfo({
      eContentType: OID.data,
      eContent: new cms.EncapsulatedContent({ single: new OctetString(input.content) }),
    }),
    certificates: new cms.CertificateSet([new cms.CertificateChoices({ certificate: cert })]),
    signerInfos: new cms.SignerInfos([
      new cms.SignerInfo({
        version: cms.CMSVersion.v1,
        sid: new cms.SignerIdentifier({
          issuerAndSerialNumber: new cms.IssuerAndSerialNumber({ issuer: cert.tbsCertificate.issuer, serialNumber: cert.tbsCertificate.serialNumber }),
        }),
        digestAlgorithm,
        signedAttrs: order.map((i) => attributes[i]),
        signatureAlgorithm: new AlgorithmIdentifier({ algorithm: OID.rsaEncryption, parameters: DER_NULL }),
        signature: new OctetString(cryptoSign(hash, signedAttributes, createPrivateKey(input.signer.keyPem))),
      }),
    ]),
  });
  return contentInfo(OID.signedData, Buffer.from(AsnConvert.serialize(signedData)));
}

/**
 * Checks a CertRep the way a device must before trusting it (signed by one of the GetCACert certificates,
 * our transactionID and nonce echoed), then returns the issued certificate or throws ScepFailure.
 */
export function readCertRep(certRep: Buffer, pending: ScepPendingRequest, caCertPems: string[]): string {
  const info = AsnConvert.parse(certRep, cms.ContentInfo);
  if (info.contentType !== OID.signedData) throw new Error(`CertRep is a ${info.contentType}, not SignedData`);
  const signedData = AsnConvert.parse(info.content, cms.SignedData);
  if (signedData.signerInfos.length !== 1) throw new Error('CertRep must have exactly one signer');
  const signerInfo = signedData.signerInfos[0];
  const caCerts = caCertPems.map((pem) => new X509Certificate(pem));
  const signerCert = caCerts.find((c) => namedBy(signerInfo.sid, c));
  if (!signerCert) throw new Error('CertRep is not signed by the CA certificate from GetCACert');

  const content = signedData.encapContentInfo.eContent?.single
    ? Buffer.from(signedData.encapContentInfo.eContent.single.buffer)
    : Buffer.alloc(0);
  const hash = REPLY_HASHES[signerInfo.digestAlgorithm.algorithm];
  if (!hash) throw new Error(`CertRep digest ${signerInfo.digestAlgorithm.algorithm} is not supported`);
  const attr = (type: string): Buffer | undefined => {
    const found = signerInfo.signedAttrs?.find((a) => a.attrType === type)?.attrValues[0];
    return found ? Buffer.from(found) : undefined;
  };
  const digest = attr(OID.messageDigest);
  if (!digest || !primitiveValue(digest, 0x04).equals(createHash(hash).update(content).digest())) {
    throw new Error('CertRep messageDigest does not match its content');
  }
  if (!signerInfo.signedAttrs?.length) throw new Error('CertRep has no signed attributes');
  // Signed as a DER SET; the schema layer does not keep the received bytes, so re-encode in received order,
  // which a DER signer must already have sorted.
  const signed = der(0x31, Buffer.concat(signerInfo.signedAttrs.map((a) => Buffer.from(AsnConvert.serialize(a)))));
  if (!cryptoVerify(hash, signed, signerCert.publicKey, Buffer.from(signerInfo.signature.buffer))) {
    throw new Error('CertRep signature does not verify with the CA certificate');
  }

  const text = (type: string) => {
    const raw = attr(type);
    return raw ? primitiveValue(raw, 0x13).toString('ascii') : undefined;
  };
  if (text(OID.messageType) !== '3') throw new Error(`CertRep messageType is ${text(OID.messageType)}, expected 3`);
  if (text(OID.transactionId) !== pending.transactionId) throw new Error('CertRep transactionID is not ours');
  const recipientNonce = attr(OID.recipientNonce);
  if (!recipientNonce || !primitiveValue(recipientNonce, 0x04).equals(pending.senderNonce)) {
    throw new Error('CertRep recipientNonce does not echo our senderNonce');
  }
  const status = text(OID.pkiStatus);
  if (status === '2') {
    const code = text(OID.failInfo) ?? '';
    throw new ScepFailure(FAIL_INFO_NAMES[code] ?? `failInfo ${code}`, 200);
  }
  if (status === '3') throw new ScepFailure('pending', 200);
  if (status !== '0') throw new Error(`CertRep pkiStatus is ${status}`);

  const degenerate = openEnvelope(content, pending.signer);
  const certs = certificatesOf(degenerate);
  const ours = createPublicKey(pending.publicKeyPem).export({ format: 'der', type: 'spki' });
  const issued = certs.find((c) => c.publicKey.export({ format: 'der', type: 'spki' }).equals(ours));
  if (!issued) throw new Error('CertRep holds no certificate for our key');
  return issued.toString();
}

function openEnvelope(content: Buffer, recipient: CertificateAndKey): Buffer {
  const info = AsnConvert.parse(content, cms.ContentInfo);
  if (info.contentType !== OID.envelopedData) throw new Error('CertRep content is not EnvelopedData');
  const enveloped = AsnConvert.parse(info.content, cms.EnvelopedData);
  const cert = new X509Certificate(recipient.certPem);
  const ktri = enveloped.recipientInfos.map((r) => r.ktri).find((k) => k !== undefined && namedBy(k.rid, cert));
  if (!ktri) throw new Error('CertRep envelope is not encrypted to our certificate');
  const key = pkcs1Unpad(privateDecrypt({ key: createPrivateKey(recipient.keyPem), padding: constants.RSA_NO_PADDING }, Buffer.from(ktri.encryptedKey.buffer)));
  const alg = enveloped.encryptedContentInfo.contentEncryptionAlgorithm;
  const cipher = REPLY_CIPHERS[alg.algorithm];
  if (!cipher || !alg.parameters) throw new Error(`CertRep content encryption ${alg.algorithm} is not supported`);
  const iv = primitiveValue(Buffer.from(alg.parameters), 0x04);
  const encrypted = enveloped.encryptedContentInfo.encryptedContent;
  const ciphertext = encrypted?.value
    ? Buffer.from(encrypted.value.buffer)
    : Buffer.concat((encrypted?.constructedValue ?? []).map((p) => Buffer.from(p.buffer)));
  const decipher = createDecipheriv(cipher, key, iv);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

/**
 * Node 20 refuses PKCS#1 v1.5 private decryption (CVE-2023-46809) because a server doing it is an oracle;
 * a client reading its own reply is not, so the padding is removed here by hand.
 */
function pkcs1Unpad(em: Buffer): Buffer {
  if (em[0] !== 0 || em[1] !== 2) throw new Error('CertRep key transport padding is invalid');
  const separator = em.indexOf(0, 2);
  if (separator < 10) throw new Error('CertRep key transport padding is invalid');
  return em.subarray(separator + 1);
}

function certificatesOf(degenerate: Buffer): X509Certificate[] {
  const info = AsnConvert.parse(degenerate, cms.ContentInfo);
  if (info.contentType !== OID.signedData) throw new Error('expected a certs-only SignedData');
  const signedData = AsnConvert.parse(info.content, cms.SignedData);
  return (signedData.certificates ?? [])
    .map((c) => c.certificate)
    .filter((c): c is Certificate => c !== undefined)
    .map((c) => new X509Certificate(Buffer.from(AsnConvert.serialize(c))));
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
    return certificatesOf(body);
  }
}

/** With an RA, the envelope goes to the RA (the certificate that is not a CA); the CA is the one that issues. */
function chooseCaCertificates(certs: X509Certificate[]): { caCert: X509Certificate; recipient: X509Certificate; all: X509Certificate[] } {
  if (certs.length === 0) throw new Error('GetCACert returned no certificate');
  const caCert = certs.find((c) => c.ca) ?? certs[0];
  const recipient = certs.find((c) => !c.ca) ?? caCert;
  return { caCert, recipient, all: certs };
}

async function selfSignedCertificate(subject: string, keyPem: string, publicKeyPem: string): Promise<CertificateAndKey> {
  x509.cryptoProvider.set(webcrypto);
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8Der(keyPem), alg, true, ['sign']);
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    createPublicKey(publicKeyPem).export({ format: 'der', type: 'spki' }),
    alg,
    true,
    ['verify'],
  );
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    name: subject,
    notBefore: new Date(now - 5 * 60 * 1000),
    notAfter: new Date(now + 24 * 60 * 60 * 1000),
    keys: { privateKey, publicKey },
    signingAlgorithm: alg,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem };
}

function pkcs8Der(keyPem: string): Buffer {
  return createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
}

function namedBy(id: cms.SignerIdentifier | cms.RecipientIdentifier, cert: X509Certificate): boolean {
  const parsed = AsnConvert.parse(cert.raw, Certificate);
  const serial = (b: ArrayBuffer) => Buffer.from(b).toString('hex').replace(/^(00)+(?=.)/, '');
  if (id.issuerAndSerialNumber) {
    return (
      Buffer.from(AsnConvert.serialize(id.issuerAndSerialNumber.issuer)).equals(Buffer.from(AsnConvert.serialize(parsed.tbsCertificate.issuer))) &&
      serial(id.issuerAndSerialNumber.serialNumber) === serial(parsed.tbsCertificate.serialNumber)
    );
  }
  return false;
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

function contentInfo(contentType: string, content: Buffer): Buffer {
  return Buffer.from(AsnConvert.serialize(new cms.ContentInfo({ contentType, content: arrayBuffer(content) })));
}

function printableString(value: string): Buffer {
  return der(0x13, Buffer.from(value, 'ascii'));
}

function oid(value: string): Buffer {
  const arcs = value.split('.').map(Number);
  const bytes: number[] = [];
  for (const arc of [arcs[0] * 40 + arcs[1], ...arcs.slice(2)]) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

function der(tag: number, contents: Buffer): Buffer {
  const n = contents.length;
  if (n < 0x80) return Buffer.concat([Buffer.from([tag, n]), contents]);
  const length: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) length.unshift(v % 256);
  return Buffer.concat([Buffer.from([tag, 0x80 | length.length, ...length]), contents]);
}

/** Contents of a definite-length primitive element of the expected tag (the server answers in DER). */
function primitiveValue(element: Buffer, tag: number): Buffer {
  if (element[0] !== tag) throw new Error(`expected ASN.1 tag 0x${tag.toString(16)}, got 0x${element[0]?.toString(16)}`);
  let pos = 2;
  let length = element[1];
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + element[pos++];
  }
  if (pos + length > element.length) throw new Error('truncated ASN.1 element');
  return element.subarray(pos, pos + length);
}

function arrayBuffer(buf: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(buf.length);
  new Uint8Array(out).set(buf);
  return out;
}

