import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign as cryptoSign,
  X509Certificate,
} from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as cms from '@peculiar/asn1-cms';
import { AlgorithmIdentifier, Certificate, DirectoryString } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { derElement, derObjectIdentifier, derSetOf, octetStringValue } from './ber';
import { certificateFromDer, describe, parseCertificatePem, parseCertificatesPem } from './certificates';
import { parseAttachedSignedData, type CmsSigner, type DigestAlgorithm } from './cms';
import { toArrayBuffer } from './crypto-engine';
import { parseCsr, type ParsedCsr } from './csr';
import { PkiError } from './errors';

export type ScepMessageType = 'PKCSReq' | 'RenewalReq' | 'CertPoll';
export type ScepFailInfo = 'badAlg' | 'badMessageCheck' | 'badRequest' | 'badTime' | 'badCertId';
export type ScepContentEncryption = 'AES-128-CBC' | 'AES-192-CBC' | 'AES-256-CBC' | 'DES-EDE3-CBC';

export interface ScepRequest {
  messageType: ScepMessageType;
  transactionId: string;
  senderNonce: Buffer;
  /** Verified to have made the signature, not trusted: self-signed for PKCSReq, the current device cert for RenewalReq. */
  signer: X509Certificate;
  csr: ParsedCsr;
  digestAlgorithm: DigestAlgorithm;
  /** What the client encrypted its envelope with: it can decrypt a reply in the same algorithm. */
  contentEncryption: ScepContentEncryption;
}

/** What a CertRep needs from the request. */
export type ScepReplyTo = Pick<ScepRequest, 'transactionId' | 'senderNonce' | 'signer' | 'digestAlgorithm'>;

export type ScepResult =
  | { status: 'SUCCESS'; certificatePem: string; chainPems?: string[] }
  | { status: 'FAILURE'; failInfo: ScepFailInfo };

/** The GetCACaps answer, one per line. */
export const SCEP_CA_CAPABILITIES: readonly string[] = Object.freeze([
  'POSTPKIOperation',
  'SHA-256',
  'SHA-1',
  'AES',
  'DES3',
  'Renewal',
  'SCEPStandard',
]);

/** Authenticated attributes of RFC 8894 (VeriSign arc 2.16.840.1.113733.1.9). */
export const SCEP_ATTRIBUTE_OIDS = {
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionId: '2.16.840.1.113733.1.9.7',
} as const;

const MESSAGE_TYPES: Record<string, ScepMessageType> = { '19': 'PKCSReq', '17': 'RenewalReq', '20': 'CertPoll' };
const MESSAGE_TYPE_CERT_REP = '3';
const PKI_STATUS = { SUCCESS: '0', FAILURE: '2' } as const;
const FAIL_INFO_CODES: Record<ScepFailInfo, string> = { badAlg: '0', badMessageCheck: '1', badRequest: '2', badTime: '3', badCertId: '4' };

interface CipherSpec {
  oid: string;
  node: string;
  keyLength: number;
  ivLength: number;
}
const CIPHERS: Record<ScepContentEncryption, CipherSpec> = {
  'AES-128-CBC': { oid: '2.16.840.1.101.3.4.1.2', node: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  'AES-192-CBC': { oid: '2.16.840.1.101.3.4.1.22', node: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  'AES-256-CBC': { oid: '2.16.840.1.101.3.4.1.42', node: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  'DES-EDE3-CBC': { oid: '1.2.840.113549.3.7', node: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};

const DIGEST_BY_OID: Record<string, DigestAlgorithm> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
  '1.2.840.113549.1.1.5': 'SHA-1',
  '1.2.840.113549.1.1.11': 'SHA-256',
};
const DIGEST_OID: Record<DigestAlgorithm, string> = {
  'SHA-1': '1.3.14.3.2.26',
  'SHA-224': '2.16.840.1.101.3.4.2.4',
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};
const ECDSA_OID: Record<DigestAlgorithm, string> = {
  'SHA-1': '1.2.840.10045.4.1',
  'SHA-224': '1.2.840.10045.4.3.1',
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

interface RequestContext {
  transactionId?: string;
  senderNonce?: Buffer;
  signer?: X509Certificate;
  digestAlgorithm?: DigestAlgorithm;
  messageType?: ScepMessageType;
}

/**
 * A request that could not be honoured but was read far enough to answer it with a FAILURE CertRep
 * (`replyTo`), which is what clients expect instead of an HTTP error.
 */
export class ScepRequestError extends PkiError {
  readonly transactionId?: string;
  readonly senderNonce?: Buffer;
  readonly signer?: X509Certificate;
  readonly digestAlgorithm?: DigestAlgorithm;
  readonly messageType?: ScepMessageType;

  constructor(
    message: string,
    code: string,
    readonly failInfo: ScepFailInfo,
    context: RequestContext,
  ) {
    super(message, code);
    this.name = 'ScepRequestError';
    Object.assign(this, context);
  }

  /** Input for `buildCertRep` when transactionID, senderNonce and the signer certificate were read. */
  get replyTo(): ScepReplyTo | undefined {
    if (!this.transactionId || !this.senderNonce || !this.signer) return undefined;
    const { transactionId, senderNonce, signer } = this;
    return { transactionId, senderNonce, signer, digestAlgorithm: this.digestAlgorithm ?? 'SHA-256' };
  }
}

/**
 * Reads a SCEP PKIOperation body: checks the outer signature with the certificate it carries, decrypts the
 * envelope with the CA key and checks the CSR's own signature. Trust in the signer (RenewalReq), the
 * challenge and the subject are the caller's policy.
 */
export async function parseScepRequest(pkiMessage: Buffer, ca: CmsSigner): Promise<ScepRequest> {
  const caCert = parseCertificatePem(ca.certPem);
  let caKey: KeyObject;
  try {
    caKey = createPrivateKey(ca.keyPem);
  } catch (err) {
    throw new PkiError(`SCEP CA key is not a usable unencrypted PEM key: ${describe(err)}`, 'malformed');
  }

  const signedData = readSignedData(pkiMessage);
  const context = readContext(signedData);
  const fail = (message: string, code: string, failInfo: ScepFailInfo) => new ScepRequestError(message, code, failInfo, context);

  let content: Buffer;
  try {
    const verified = await parseAttachedSignedData(pkiMessage);
    content = verified.content;
    context.signer = verified.signer;
  } catch (err) {
    if (err instanceof PkiError) throw fail(`SCEP message signature: ${err.message}`, err.code, 'badMessageCheck');
    throw err;
  }
  if (!context.digestAlgorithm) throw fail('SCEP message uses an unsupported digest algorithm', 'malformed', 'badAlg');
  if (!context.transactionId || !context.senderNonce) {
    throw fail('SCEP message lacks transactionID or senderNonce', 'malformed', 'badRequest');
  }
  if (!context.messageType) throw fail('SCEP messageType is missing or not a request this CA serves', 'malformed', 'badRequest');
  // Issuing is synchronous (never PENDING), so no client has a reason to poll.
  if (context.messageType === 'CertPoll') throw fail('CertPoll is not supported: this CA never answers PENDING', 'unsupported', 'badRequest');

  const { plaintext, contentEncryption } = openEnvelope(content, caCert, caKey, fail);
  let csr: ParsedCsr;
  try {
    csr = parseCsr(plaintext);
  } catch (err) {
    if (err instanceof PkiError) {
      throw fail(`SCEP CSR: ${err.message}`, err.code, err.code === 'bad-signature' ? 'badMessageCheck' : 'badRequest');
    }
    throw err;
  }
  const { transactionId, senderNonce, signer, digestAlgorithm, messageType } = context;
  if (!signer) throw fail('SCEP signer certificate missing', 'malformed', 'badMessageCheck');
  return { messageType, transactionId, senderNonce, signer, csr, digestAlgorithm, contentEncryption };
}

/**
 * The CertRep: SignedData by the CA with the SCEP attributes; on success it carries an envelope, encrypted to
 * the request's signer certificate, of a certs-only SignedData with the issued certificate (and chain).
 */
export async function buildCertRep(input: {
  request: ScepReplyTo;
  ca: CmsSigner;
  result: ScepResult;
  /** AES-256-CBC unless the client is known to need less (e.g. `request.contentEncryption`). */
  encryption?: ScepContentEncryption;
}): Promise<Buffer> {
  const { request, ca, result } = input;
  if (request.senderNonce.length === 0) throw new PkiError('request senderNonce is empty', 'malformed');
  let content: Buffer | undefined;
  const attributes: Array<[string, Buffer]> = [
    [SCEP_ATTRIBUTE_OIDS.messageType, printable(MESSAGE_TYPE_CERT_REP)],
    [SCEP_ATTRIBUTE_OIDS.transactionId, printable(request.transactionId)],
    [SCEP_ATTRIBUTE_OIDS.recipientNonce, derElement(0x04, request.senderNonce)],
    [SCEP_ATTRIBUTE_OIDS.senderNonce, derElement(0x04, randomBytes(16))],
  ];
  switch (result.status) {
    case 'SUCCESS': {
      const degenerate = degenerateCertificates([result.certificatePem, ...(result.chainPems ?? [])]);
      content = envelope(degenerate, request.signer, input.encryption ?? 'AES-256-CBC');
      attributes.push([SCEP_ATTRIBUTE_OIDS.pkiStatus, printable(PKI_STATUS.SUCCESS)]);
      break;
    }
    case 'FAILURE':
      attributes.push([SCEP_ATTRIBUTE_OIDS.pkiStatus, printable(PKI_STATUS.FAILURE)]);
      attributes.push([SCEP_ATTRIBUTE_OIDS.failInfo, printable(FAIL_INFO_CODES[result.failInfo])]);
      break;
  }
  return signWithAttributes(content, ca, request.digestAlgorithm, attributes);
}

/** A certs-only ("degenerate") PKCS#7 SignedData: the GetCACert answer for a chain, and the CertRep payload. */
export function degenerateCertificates(certPems: string[]): Buffer {
  const certs = certPems.flatMap((pem) => parseCertificatesPem(pem)).map((c) => AsnConvert.parse(c.raw, Certificate));
  if (certs.length === 0) throw new PkiError('no certificate to put in a certs-only SignedData', 'malformed');
  const signedData = new cms.SignedData({
    version: cms.CMSVersion.v1,
    digestAlgorithms: new cms.DigestAlgorithmIdentifiers([]),
    encapContentInfo: new cms.EncapsulatedContentInfo({ eContentType: cms.id_data }),
    certificates: new cms.CertificateSet(certs.map((certificate) => new cms.CertificateChoices({ certificate }))),
    signerInfos: new cms.SignerInfos([]),
  });
  return Buffer.from(AsnConvert.serialize(new cms.ContentInfo({ contentType: cms.id_signedData, content: AsnConvert.serialize(signedData) })));
}

function readSignedData(der: Buffer): cms.SignedData {
  let signedData: cms.SignedData;
  try {
    const info = AsnConvert.parse(der, cms.ContentInfo);
    if (info.contentType !== cms.id_signedData) throw new Error(`content type ${info.contentType} is not SignedData`);
    signedData = AsnConvert.parse(info.content, cms.SignedData);
  } catch (err) {
    throw new PkiError(`SCEP message is not a CMS SignedData: ${describe(err)}`, 'malformed');
  }
  if (signedData.signerInfos.length !== 1) throw new PkiError('SCEP message must have exactly one signer', 'malformed');
  return signedData;
}

/** Reads what a failure answer needs, leniently: whatever cannot be read stays undefined. */
function readContext(signedData: cms.SignedData): RequestContext {
  const signerInfo = signedData.signerInfos[0];
  const attrs = signerInfo.signedAttrs ?? [];
  const value = (oid: string) => {
    const found = attrs.find((a) => a.attrType === oid)?.attrValues[0];
    return found ? Buffer.from(found) : undefined;
  };
  const attempt = <T>(fn: () => T | undefined): T | undefined => {
    try {
      return fn();
    } catch {
      return undefined;
    }
  };
  const text = (oid: string) => attempt(() => {
    const raw = value(oid);
    return raw ? AsnConvert.parse(raw, DirectoryString).toString() : undefined;
  });
  const messageTypeNumber = text(SCEP_ATTRIBUTE_OIDS.messageType);
  return {
    transactionId: text(SCEP_ATTRIBUTE_OIDS.transactionId) || undefined,
    senderNonce: attempt(() => {
      const raw = value(SCEP_ATTRIBUTE_OIDS.senderNonce);
      const nonce = raw ? octetStringValue(raw) : undefined;
      return nonce && nonce.length > 0 ? Buffer.from(nonce) : undefined;
    }),
    signer: attempt(() => signerCertificate(signedData, signerInfo.sid)),
    digestAlgorithm: DIGEST_BY_OID[signerInfo.digestAlgorithm.algorithm],
    messageType: messageTypeNumber ? MESSAGE_TYPES[messageTypeNumber.trim()] : undefined,
  };
}

function signerCertificate(signedData: cms.SignedData, sid: cms.SignerIdentifier): X509Certificate | undefined {
  for (const choice of signedData.certificates ?? []) {
    if (!choice.certificate) continue;
    const raw = Buffer.from(AsnConvert.serialize(choice.certificate));
    if (identifies(sid, raw)) return certificateFromDer(raw);
  }
  return undefined;
}

/** Does a SignerIdentifier / RecipientIdentifier (same two choices) name this certificate? */
function identifies(id: cms.SignerIdentifier | cms.RecipientIdentifier, certDer: Buffer): boolean {
  const cert = AsnConvert.parse(certDer, Certificate);
  if (id.issuerAndSerialNumber) {
    const { issuer, serialNumber } = id.issuerAndSerialNumber;
    return (
      Buffer.from(AsnConvert.serialize(issuer)).equals(Buffer.from(AsnConvert.serialize(cert.tbsCertificate.issuer))) &&
      stripLeadingZeros(serialNumber).equals(stripLeadingZeros(cert.tbsCertificate.serialNumber))
    );
  }
  if (id.subjectKeyIdentifier) {
    const ski = new x509.X509Certificate(toArrayBuffer(certDer)).getExtension(x509.SubjectKeyIdentifierExtension);
    return ski !== null && ski.keyId === Buffer.from(id.subjectKeyIdentifier.buffer).toString('hex');
  }
  return false;
}

function openEnvelope(
  content: Buffer,
  caCert: X509Certificate,
  caKey: KeyObject,
  fail: (message: string, code: string, failInfo: ScepFailInfo) => ScepRequestError,
): { plaintext: Buffer; contentEncryption: ScepContentEncryption } {
  let enveloped: cms.EnvelopedData;
  try {
    const info = AsnConvert.parse(content, cms.ContentInfo);
    if (info.contentType !== cms.id_envelopedData) throw new Error(`content type ${info.contentType} is not EnvelopedData`);
    enveloped = AsnConvert.parse(info.content, cms.EnvelopedData);
  } catch (err) {
    throw fail(`SCEP pkcsPKIEnvelope could not be read: ${describe(err)}`, 'malformed', 'badRequest');
  }
  const recipient = enveloped.recipientInfos.map((r) => r.ktri).find((k) => k !== undefined && identifies(k.rid, caCert.raw));
  if (!recipient) throw fail('SCEP envelope is not encrypted to this CA certificate', 'malformed', 'badMessageCheck');
  if (recipient.keyEncryptionAlgorithm.algorithm !== RSA_ENCRYPTION) {
    throw fail(`unsupported key transport ${recipient.keyEncryptionAlgorithm.algorithm} (expected rsaEncryption)`, 'malformed', 'badAlg');
  }
  const info = enveloped.encryptedContentInfo;
  const entry = Object.entries(CIPHERS).find(([, spec]) => spec.oid === info.contentEncryptionAlgorithm.algorithm);
  if (!entry) throw fail(`unsupported content encryption ${info.contentEncryptionAlgorithm.algorithm}`, 'malformed', 'badAlg');
  const [contentEncryption, spec] = entry as [ScepContentEncryption, CipherSpec];
  let iv: Buffer;
  let ciphertext: Buffer;
  try {
    const params = info.contentEncryptionAlgorithm.parameters;
    iv = params ? Buffer.from(octetStringValue(Buffer.from(params))) : Buffer.alloc(0);
    const encrypted = info.encryptedContent;
    ciphertext = encrypted?.value
      ? Buffer.from(encrypted.value.buffer)
      : Buffer.concat((encrypted?.constructedValue ?? []).map((part) => Buffer.from(part.buffer)));
  } catch (err) {
    throw fail(`SCEP envelope parameters could not be read: ${describe(err)}`, 'malformed', 'badRequest');
  }
  if (iv.length !== spec.ivLength) throw fail(`${contentEncryption} IV must be ${spec.ivLength} bytes`, 'malformed', 'badRequest');
  const cek = rsaPkcs1DecryptImplicit(caKey, Buffer.from(recipient.encryptedKey.buffer), spec.keyLength);
  try {
    const decipher = createDecipheriv(spec.node, cek, iv);
    return { plaintext: Buffer.concat([decipher.update(ciphertext), decipher.final()]), contentEncryption };
  } catch {
    // One message for a wrong key and bad padding alike: the difference must not reach the client.
    throw fail('SCEP envelope could not be decrypted', 'malformed', 'badMessageCheck');
  }
}

/**
 * RSAES-PKCS1-v1_5 decryption of a content-encryption key with implicit rejection (RFC 3218 section 2.3.2):
 * bad padding or a wrong length yields a random key, so the failure shows up exactly like a wrong key and
 * the endpoint is no Bleichenbacher oracle against the CA key. Node 20 refuses PKCS#1 v1.5 private decryption
 * for that reason, so the padding is checked here without data-dependent branches.
 */
function rsaPkcs1DecryptImplicit(key: KeyObject, encrypted: Buffer, keyLength: number): Buffer {
  const fallback = randomBytes(keyLength);
  const k = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  let em: Buffer;
  try {
    em = encrypted.length === k ? privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, encrypted) : Buffer.alloc(k);
  } catch {
    em = Buffer.alloc(k);
  }
  if (em.length !== k || k < keyLength + 11) return fallback;
  const isZero = (b: number) => ((b - 1) >>> 31) & 1;
  const equals = (a: number, b: number) => isZero(a ^ b);
  let good = isZero(em[0]) & equals(em[1], 2);
  let found = 0;
  let separator = 0;
  for (let i = 2; i < k; i++) {
    const zero = isZero(em[i]);
    const first = zero & (found ^ 1);
    separator |= i * first;
    found |= zero;
  }
  good &= found;
  // At least 8 bytes of padding, then exactly the key length the content cipher needs.
  good &= ((9 - separator) >>> 31) & 1;
  good &= equals(k - separator - 1, keyLength);
  const mask = -good & 0xff;
  const out = Buffer.alloc(keyLength);
  for (let j = 0; j < keyLength; j++) out[j] = (em[k - keyLength + j] & mask) | (fallback[j] & ~mask);
  return out;
}

function envelope(plaintext: Buffer, recipient: X509Certificate, algorithm: ScepContentEncryption): Buffer {
  if (recipient.publicKey.asymmetricKeyType !== 'rsa') {
    throw new PkiError('the request signer has no RSA key to encrypt the certificate to', 'malformed');
  }
  const spec = CIPHERS[algorithm];
  const cek = randomBytes(spec.keyLength);
  const iv = randomBytes(spec.ivLength);
  const cipher = createCipheriv(spec.node, cek, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const cert = AsnConvert.parse(recipient.raw, Certificate);
  const enveloped = new cms.EnvelopedData({
    version: cms.CMSVersion.v0,
    recipientInfos: new cms.RecipientInfos([
      new cms.RecipientInfo({
        ktri: new cms.KeyTransRecipientInfo({
          version: cms.CMSVersion.v0,
          rid: new cms.RecipientIdentifier({
            issuerAndSerialNumber: new cms.IssuerAndSerialNumber({
              issuer: cert.tbsCertificate.issuer,
              serialNumber: cert.tbsCertificate.serialNumber,
            }),
          }),
          keyEncryptionAlgorithm: new cms.KeyEncryptionAlgorithmIdentifier({ algorithm: RSA_ENCRYPTION, parameters: DER_NULL }),
          encryptedKey: new OctetString(publicEncrypt({ key: recipient.publicKey, padding: constants.RSA_PKCS1_PADDING }, cek)),
        }),
      }),
    ]),
    encryptedContentInfo: new cms.EncryptedContentInfo({
      contentType: cms.id_data,
      contentEncryptionAlgorithm: new cms.ContentEncryptionAlgorithmIdentifier({
        algorithm: spec.oid,
        parameters: toArrayBuffer(derElement(0x04, iv)),
      }),
      encryptedContent: new cms.EncryptedContent({ value: new OctetString(ciphertext) }),
    }),
  });
  return Buffer.from(AsnConvert.serialize(new cms.ContentInfo({ contentType: cms.id_envelopedData, content: AsnConvert.serialize(enveloped) })));
}

/** Like `signAttached`, plus the SCEP attributes; an absent content (FAILURE) is signed as empty, per RFC 8894. */
function signWithAttributes(content: Buffer | undefined, signer: CmsSigner, digest: DigestAlgorithm, extra: Array<[string, Buffer]>): Buffer {
  const signerCert = parseCertificatePem(signer.certPem);
  let key: KeyObject;
  try {
    key = createPrivateKey(signer.keyPem);
  } catch (err) {
    throw new PkiError(`SCEP CA key is not a usable unencrypted PEM key: ${describe(err)}`, 'malformed');
  }
  if (!signerCert.checkPrivateKey(key)) throw new PkiError('SCEP CA key does not match the CA certificate', 'key-mismatch');
  const cert = AsnConvert.parse(signerCert.raw, Certificate);
  const hashName = digest.replace('-', '').toLowerCase();
  const attributes = [
    new cms.Attribute({ attrType: cms.id_contentType, attrValues: [toArrayBuffer(derObjectIdentifier(cms.id_data))] }),
    new cms.Attribute({ attrType: cms.id_signingTime, attrValues: [AsnConvert.serialize(new cms.SigningTime(new Date()))] }),
    new cms.Attribute({
      attrType: cms.id_messageDigest,
      attrValues: [toArrayBuffer(derElement(0x04, createHash(hashName).update(content ?? Buffer.alloc(0)).digest()))],
    }),
    ...extra.map(([attrType, value]) => new cms.Attribute({ attrType, attrValues: [toArrayBuffer(value)] })),
  ];
  const encoded = attributes.map((a) => Buffer.from(AsnConvert.serialize(a)));
  // Stored in DER SET order, so a verifier that reuses the received bytes hashes what was signed.
  const sorted = encoded.map((bytes, i) => ({ bytes, attr: attributes[i] })).sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const signature = cryptoSign(hashName, derSetOf(encoded), key);
  const digestAlgorithm = new cms.DigestAlgorithmIdentifier({ algorithm: DIGEST_OID[digest], parameters: DER_NULL });
  const signedData = new cms.SignedData({
    version: cms.CMSVersion.v1,
    digestAlgorithms: new cms.DigestAlgorithmIdentifiers([digestAlgorithm]),
    encapContentInfo: new cms.EncapsulatedContentInfo({
      eContentType: cms.id_data,
      eContent: content ? new cms.EncapsulatedContent({ single: new OctetString(content) }) : undefined,
    }),
    certificates: new cms.CertificateSet([new cms.CertificateChoices({ certificate: cert })]),
    signerInfos: new cms.SignerInfos([
      new cms.SignerInfo({
        version: cms.CMSVersion.v1,
        sid: new cms.SignerIdentifier({
          issuerAndSerialNumber: new cms.IssuerAndSerialNumber({ issuer: cert.tbsCertificate.issuer, serialNumber: cert.tbsCertificate.serialNumber }),
        }),
        digestAlgorithm,
        signedAttrs: sorted.map((s) => s.attr),
        signatureAlgorithm:
          key.asymmetricKeyType === 'ec'
            ? new AlgorithmIdentifier({ algorithm: ECDSA_OID[digest] })
            : new AlgorithmIdentifier({ algorithm: RSA_ENCRYPTION, parameters: DER_NULL }),
        signature: new OctetString(signature),
      }),
    ]),
  });
  return Buffer.from(AsnConvert.serialize(new cms.ContentInfo({ contentType: cms.id_signedData, content: AsnConvert.serialize(signedData) })));
}

function printable(value: string): Buffer {
  return derElement(0x13, Buffer.from(value, 'ascii'));
}

function stripLeadingZeros(value: ArrayBuffer): Buffer {
  const bytes = Buffer.from(value);
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}
