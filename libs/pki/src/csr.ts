import { createPrivateKey, createPublicKey, KeyObject, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Attribute, AlgorithmIdentifier, DirectoryString, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import * as x509 from '@peculiar/x509';
import { describe, OID_UID } from './certificates';
import { toArrayBuffer } from './crypto-engine';
import { PkiError } from './errors';

export interface ParsedCsr {
  der: Buffer;
  /** Attribute=value pairs in encoding order, joined by ', ' (the form `issueCertificate({ subject })` reads). */
  subject: string;
  /** The subject Name as DER, to copy into a certificate byte for byte. */
  subjectDn: Buffer;
  publicKeyPem: string;
  /** RSA modulus length or EC curve size. */
  keyBits?: number;
  /** PKCS#9 challengePassword: the SCEP challenge. */
  challengePassword?: string;
}

export interface CreateCsrOptions {
  /** e.g. `CN=device, O=x` */
  subject: string;
  keyPem: string;
  publicKeyPem: string;
  challengePassword?: string;
}

const OID_CHALLENGE_PASSWORD = '1.2.840.113549.1.9.7';
/** Lets subjects name UID, which @peculiar/x509 does not know. */
const EXTRA_NAMES = { UID: OID_UID };
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

const HASH_BY_SIGNATURE_OID: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/**
 * Reads a PKCS#10 request (DER or BER) and checks its self-signature, the proof that the requester holds
 * the private key. Whether the subject or challenge is acceptable is the caller's decision.
 */
export function parseCsr(der: Buffer): ParsedCsr {
  let request: CertificationRequest;
  try {
    request = AsnConvert.parse(der, CertificationRequest);
  } catch (err) {
    throw new PkiError(`CSR is not a PKCS#10 CertificationRequest: ${describe(err)}`, 'malformed');
  }
  const info = request.certificationRequestInfo;
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(AsnConvert.serialize(info.subjectPKInfo)), format: 'der', type: 'spki' });
  } catch (err) {
    throw new PkiError(`CSR public key could not be read: ${describe(err)}`, 'malformed');
  }

  const signatureOid = request.signatureAlgorithm.algorithm;
  const hash = HASH_BY_SIGNATURE_OID[signatureOid];
  if (!hash) throw new PkiError(`unsupported CSR signature algorithm ${signatureOid}`, 'malformed');
  // The signature covers the DER of the info; a BER (indefinite-length) copy cannot be what was signed.
  const raw = request.certificationRequestInfoRaw ? Buffer.from(request.certificationRequestInfoRaw) : undefined;
  const signed = raw && raw[1] !== 0x80 ? raw : Buffer.from(AsnConvert.serialize(info));
  let ok: boolean;
  try {
    ok = cryptoVerify(hash, signed, publicKey, Buffer.from(request.signature));
  } catch (err) {
    throw new PkiError(`CSR signature could not be checked: ${describe(err)}`, 'bad-signature');
  }
  if (!ok) throw new PkiError('CSR signature does not verify with its own public key', 'bad-signature');

  const subjectDn = Buffer.from(AsnConvert.serialize(info.subject));
  let subject: string;
  try {
    subject = new x509.Name(toArrayBuffer(subjectDn), EXTRA_NAMES).toString();
  } catch (err) {
    throw new PkiError(`CSR subject could not be read: ${describe(err)}`, 'malformed');
  }
  const details = publicKey.asymmetricKeyDetails;
  const keyBits = details?.modulusLength ?? curveBits(details?.namedCurve);
  return {
    der: Buffer.from(der),
    subject,
    subjectDn,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    ...(keyBits !== undefined ? { keyBits } : {}),
    ...challengeOf(info.attributes),
  };
}

/** Builds a signed PKCS#10 request (SHA-256), as a SCEP client does, with the challenge as challengePassword. */
export async function createCsr(opts: CreateCsrOptions): Promise<Buffer> {
  let key: KeyObject;
  try {
    key = createPrivateKey(opts.keyPem);
  } catch (err) {
    throw new PkiError(`CSR private key is not a usable unencrypted PEM key: ${describe(err)}`, 'malformed');
  }
  let spki: Buffer;
  try {
    spki = createPublicKey(opts.publicKeyPem).export({ format: 'der', type: 'spki' });
  } catch (err) {
    throw new PkiError(`CSR public key is not a valid PEM public key: ${describe(err)}`, 'malformed');
  }
  if (!createPublicKey(key).export({ format: 'der', type: 'spki' }).equals(spki)) {
    throw new PkiError('CSR private key does not match the public key', 'key-mismatch');
  }
  let subject: Name;
  try {
    subject = AsnConvert.parse(new x509.Name(opts.subject, EXTRA_NAMES).toArrayBuffer(), Name);
  } catch (err) {
    throw new PkiError(`subject "${opts.subject}" is not a valid distinguished name: ${describe(err)}`, 'malformed');
  }
  const attributes = new Attributes();
  if (opts.challengePassword !== undefined) {
    attributes.push(
      new Attribute({ type: OID_CHALLENGE_PASSWORD, values: [AsnConvert.serialize(directoryString(opts.challengePassword))] }),
    );
  }
  const info = new CertificationRequestInfo({
    version: 0,
    subject,
    subjectPKInfo: AsnConvert.parse(spki, SubjectPublicKeyInfo),
    attributes,
  });
  const signature = cryptoSign('sha256', Buffer.from(AsnConvert.serialize(info)), key);
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm:
      key.asymmetricKeyType === 'ec'
        ? new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' })
        : new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: DER_NULL }),
    signature: toArrayBuffer(signature),
  });
  return Buffer.from(AsnConvert.serialize(request));
}

/** PrintableString when the text allows it (what most clients send), UTF8String otherwise. */
function directoryString(value: string): DirectoryString {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? new DirectoryString({ printableString: value }) : new DirectoryString({ utf8String: value });
}

function challengeOf(attributes: Attributes | undefined): { challengePassword?: string } {
  const attr = (attributes ?? []).find((a) => a.type === OID_CHALLENGE_PASSWORD);
  const value = attr?.values[0];
  if (!value) return {};
  try {
    return { challengePassword: AsnConvert.parse(value, DirectoryString).toString() };
  } catch (err) {
    throw new PkiError(`CSR challengePassword could not be read: ${describe(err)}`, 'malformed');
  }
}

function curveBits(curve: string | undefined): number | undefined {
  const bits: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };
  return curve ? bits[curve] : undefined;
}
