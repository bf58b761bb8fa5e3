import { constants, createCipheriv, createDecipheriv, KeyObject, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as cms from '@peculiar/asn1-cms';
import { Certificate } from '@peculiar/asn1-x509';
import { derElement, octetStringValue } from './ber';
import { describe } from './certificates';
import { DER_NULL, RSA_ENCRYPTION } from './cms-algorithms';
import { contentInfo, contentOf } from './cms-content-info';
import { identifies, issuerAndSerialNumberOf } from './cms-identity';
import { toArrayBuffer } from './crypto-engine';
import { PkiError } from './errors';
import { rsaPkcs1DecryptImplicit } from './rsa-implicit-rejection';

/** The content ciphers of SCEP envelopes (RFC 8894: AES for "AES" in GetCACaps, triple DES for "DES3"). */
export type ContentEncryption = 'AES-128-CBC' | 'AES-192-CBC' | 'AES-256-CBC' | 'DES-EDE3-CBC';

interface CipherSpec {
  oid: string;
  node: string;
  keyLength: number;
  ivLength: number;
}
const CIPHERS: Record<ContentEncryption, CipherSpec> = {
  'AES-128-CBC': { oid: '2.16.840.1.101.3.4.1.2', node: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  'AES-192-CBC': { oid: '2.16.840.1.101.3.4.1.22', node: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  'AES-256-CBC': { oid: '2.16.840.1.101.3.4.1.42', node: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  'DES-EDE3-CBC': { oid: '1.2.840.113549.3.7', node: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};

/** Why an envelope could not be opened, so that a protocol can answer each kind in its own terms. */
export type EnvelopeFault = 'unreadable' | 'other-recipient' | 'unsupported-algorithm' | 'undecryptable';

export class EnvelopeError extends PkiError {
  constructor(
    message: string,
    readonly fault: EnvelopeFault,
  ) {
    super(message, 'malformed');
    this.name = 'EnvelopeError';
  }
}

/** EnvelopedData with RSA (PKCS#1 v1.5) key transport of a fresh content key to `recipient`. */
export function envelopeTo(plaintext: Buffer, recipient: X509Certificate, algorithm: ContentEncryption): Buffer {
  if (recipient.publicKey.asymmetricKeyType !== 'rsa') {
    throw new PkiError('the envelope recipient has no RSA key to encrypt to', 'malformed');
  }
  const spec = CIPHERS[algorithm];
  const cek = randomBytes(spec.keyLength);
  const iv = randomBytes(spec.ivLength);
  const cipher = createCipheriv(spec.node, cek, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const cert = AsnConvert.parse(recipient.raw, Certificate);
  const ktri = new cms.KeyTransRecipientInfo({
    version: cms.CMSVersion.v0,
    rid: new cms.RecipientIdentifier({ issuerAndSerialNumber: issuerAndSerialNumberOf(cert) }),
    keyEncryptionAlgorithm: new cms.KeyEncryptionAlgorithmIdentifier({ algorithm: RSA_ENCRYPTION, parameters: DER_NULL }),
    encryptedKey: new OctetString(publicEncrypt({ key: recipient.publicKey, padding: constants.RSA_PKCS1_PADDING }, cek)),
  });
  const enveloped = new cms.EnvelopedData({
    version: cms.CMSVersion.v0,
    recipientInfos: new cms.RecipientInfos([new cms.RecipientInfo({ ktri })]),
    encryptedContentInfo: new cms.EncryptedContentInfo({
      contentType: cms.id_data,
      contentEncryptionAlgorithm: new cms.ContentEncryptionAlgorithmIdentifier({
        algorithm: spec.oid,
        parameters: toArrayBuffer(derElement(0x04, iv)),
      }),
      encryptedContent: new cms.EncryptedContent({ value: new OctetString(ciphertext) }),
    }),
  });
  return contentInfo(cms.id_envelopedData, enveloped);
}

/**
 * Opens an EnvelopedData (DER or BER) encrypted to `recipient` by RSA key transport. A wrong key and bad
 * padding fail alike ("could not be decrypted"): the difference must not reach whoever sent it.
 */
export function openEnvelope(
  content: Buffer,
  recipient: { cert: X509Certificate; key: KeyObject },
): { plaintext: Buffer; contentEncryption: ContentEncryption } {
  const enveloped = readEnvelopedData(content);
  const ktri = enveloped.recipientInfos.map((r) => r.ktri).find((k) => k !== undefined && identifies(k.rid, recipient.cert.raw));
  if (!ktri) throw new EnvelopeError('envelope is not encrypted to our certificate', 'other-recipient');
  if (ktri.keyEncryptionAlgorithm.algorithm !== RSA_ENCRYPTION) {
    throw new EnvelopeError(`envelope key transport ${ktri.keyEncryptionAlgorithm.algorithm} is not supported (expected rsaEncryption)`, 'unsupported-algorithm');
  }
  const { contentEncryption, spec, iv, ciphertext } = readEncryptedContent(enveloped.encryptedContentInfo);
  const cek = rsaPkcs1DecryptImplicit(recipient.key, Buffer.from(ktri.encryptedKey.buffer), spec.keyLength);
  try {
    const decipher = createDecipheriv(spec.node, cek, iv);
    return { plaintext: Buffer.concat([decipher.update(ciphertext), decipher.final()]), contentEncryption };
  } catch {
    throw new EnvelopeError('envelope could not be decrypted', 'undecryptable');
  }
}

function readEnvelopedData(content: Buffer): cms.EnvelopedData {
  try {
    return contentOf(content, cms.id_envelopedData, cms.EnvelopedData);
  } catch (err) {
    throw new EnvelopeError(`envelope could not be read: ${describe(err)}`, 'unreadable');
  }
}

function readEncryptedContent(info: cms.EncryptedContentInfo): {
  contentEncryption: ContentEncryption;
  spec: CipherSpec;
  iv: Buffer;
  ciphertext: Buffer;
} {
  const algorithm = info.contentEncryptionAlgorithm.algorithm;
  const entry = Object.entries(CIPHERS).find(([, spec]) => spec.oid === algorithm);
  if (!entry) throw new EnvelopeError(`envelope content encryption ${algorithm} is not supported`, 'unsupported-algorithm');
  const [contentEncryption, spec] = entry as [ContentEncryption, CipherSpec];
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
    throw new EnvelopeError(`envelope parameters could not be read: ${describe(err)}`, 'unreadable');
  }
  if (iv.length !== spec.ivLength) throw new EnvelopeError(`envelope ${contentEncryption} IV must be ${spec.ivLength} bytes`, 'unreadable');
  return { contentEncryption, spec, iv, ciphertext };
}
