import { createHash, createPrivateKey, KeyObject, sign as cryptoSign, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as cms from '@peculiar/asn1-cms';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { derObjectIdentifier, derSetOf, octetStringValue } from './ber';
import { certificateFromDer, describe, parseCertificatePem } from './certificates';
import { toArrayBuffer } from './crypto-engine';
import { PkiError } from './errors';

export type DigestAlgorithm = 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface VerifiedSignature {
  /** The certificate whose key made the signature (not yet checked against any trust anchor). */
  signer: X509Certificate;
  /** Every certificate carried in the CMS structure, signer included. */
  certificates: X509Certificate[];
  digestAlgorithm: DigestAlgorithm;
}

export interface CmsSigner {
  certPem: string;
  keyPem: string;
}

export interface CmsSignOptions {
  digest?: 'SHA-1' | 'SHA-256';
}

const DIGEST_BY_OID: Record<string, DigestAlgorithm> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
  // Some signers put the signature algorithm where the digest algorithm belongs; the hash is still clear.
  '1.2.840.113549.1.1.5': 'SHA-1',
  '1.2.840.113549.1.1.14': 'SHA-224',
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
};

const DIGEST_OID: Record<'SHA-1' | 'SHA-256', string> = { 'SHA-1': '1.3.14.3.2.26', 'SHA-256': '2.16.840.1.101.3.4.2.1' };
const ECDSA_OID: Record<'SHA-1' | 'SHA-256', string> = { 'SHA-1': '1.2.840.10045.4.1', 'SHA-256': '1.2.840.10045.4.3.2' };
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const RSA_PSS = '1.2.840.113549.1.1.10';
/** DER NULL: RSA and hash algorithm identifiers carry explicit NULL parameters, as most verifiers expect. */
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

/** Algorithms verified as PKCS#1 v1.5 or ECDSA over the signer's digest algorithm (node picks by key type). */
const SIGNATURE_OIDS = new Set([
  RSA_ENCRYPTION,
  '1.2.840.10045.2.1',
  '1.2.840.113549.1.1.5',
  '1.2.840.113549.1.1.14',
  '1.2.840.113549.1.1.11',
  '1.2.840.113549.1.1.12',
  '1.2.840.113549.1.1.13',
  '1.2.840.10045.4.1',
  '1.2.840.10045.4.3.1',
  '1.2.840.10045.4.3.2',
  '1.2.840.10045.4.3.3',
  '1.2.840.10045.4.3.4',
]);

function nodeHashName(digest: DigestAlgorithm): string {
  return digest.replace('-', '').toLowerCase();
}

/**
 * Verifies an `Mdm-Signature` header: base64 of a detached CMS SignedData (BER, often indefinite-length)
 * over `content`. Checks the signature only; whether the signer is trusted is the TrustStore's job.
 */
export async function verifyDetachedSignature(signatureBase64: string, content: Buffer): Promise<VerifiedSignature> {
  const compact = signatureBase64.replace(/\s+/g, '');
  if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new PkiError('signature is not base64', 'malformed');
  }
  return guard(() => verifySignedData(parseSignedData(Buffer.from(compact, 'base64')), content));
}

/** Parses a CMS SignedData with encapsulated content (a signed profile), verifies it and returns the content. */
export async function parseAttachedSignedData(
  der: Buffer,
): Promise<{ content: Buffer; signer: X509Certificate; certificates: X509Certificate[] }> {
  return guard(() => {
    const signedData = parseSignedData(der);
    const content = encapsulatedContent(signedData.encapContentInfo);
    const { signer, certificates } = verifySignedData(signedData, content);
    return { content, signer, certificates };
  });
}

/** Signs like a device does for `Mdm-Signature`: detached, signed attributes, signer certificate included. */
export async function signDetached(content: Buffer, signer: CmsSigner, opts: CmsSignOptions = {}): Promise<string> {
  return buildSignedData(content, signer, opts.digest ?? 'SHA-256', false).toString('base64');
}

/** DER ContentInfo/SignedData with the content encapsulated (e.g. a signed .mobileconfig). */
export async function signAttached(content: Buffer, signer: CmsSigner, opts: CmsSignOptions = {}): Promise<Buffer> {
  return buildSignedData(content, signer, opts.digest ?? 'SHA-256', true);
}

/** Callers get PkiError and nothing else, whatever the decoder throws on hostile input. */
async function guard<T>(fn: () => T): Promise<T> {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PkiError) throw err;
    throw new PkiError(`CMS structure could not be read: ${describe(err)}`, 'malformed');
  }
}

function parseSignedData(der: Buffer): cms.SignedData {
  let contentInfo: cms.ContentInfo;
  try {
    contentInfo = AsnConvert.parse(der, cms.ContentInfo);
  } catch (err) {
    throw new PkiError(`CMS is not a BER ContentInfo: ${describe(err)}`, 'malformed');
  }
  if (contentInfo.contentType !== cms.id_signedData) {
    throw new PkiError(`CMS content type is ${contentInfo.contentType}, expected SignedData`, 'malformed');
  }
  try {
    return AsnConvert.parse(contentInfo.content, cms.SignedData);
  } catch (err) {
    throw new PkiError(`CMS SignedData could not be read: ${describe(err)}`, 'malformed');
  }
}

function encapsulatedContent(info: cms.EncapsulatedContentInfo): Buffer {
  const eContent = info.eContent;
  if (!eContent) throw new PkiError('SignedData has no encapsulated content (detached signature?)', 'malformed');
  // A segmented (constructed) OCTET STRING, as Apple's tools write it, arrives undecoded in `any`.
  if (eContent.any) return Buffer.from(octetStringValue(Buffer.from(eContent.any)));
  if (eContent.single) return Buffer.from(eContent.single.buffer);
  throw new PkiError('SignedData encapsulated content is empty', 'malformed');
}

function verifySignedData(signedData: cms.SignedData, content: Buffer): VerifiedSignature {
  const carried = (signedData.certificates ?? [])
    .map((choice) => choice.certificate)
    .filter((c): c is Certificate => c !== undefined);
  const signerInfo = signedData.signerInfos[0];
  if (!signerInfo) throw new PkiError('SignedData has no signer', 'malformed');
  if (signedData.signerInfos.length > 1) throw new PkiError('SignedData has more than one signer', 'malformed');

  const certificates = carried.map((c) => certificateFromDer(Buffer.from(AsnConvert.serialize(c))));
  const signerIndex = carried.findIndex((cert, i) => matchesSignerId(cert, certificates[i], signerInfo.sid));
  if (signerIndex < 0) throw new PkiError('the signer certificate is not included in the signature', 'malformed');
  const signer = certificates[signerIndex];

  const digestAlgorithm = DIGEST_BY_OID[signerInfo.digestAlgorithm.algorithm];
  if (!digestAlgorithm) throw new PkiError(`unsupported digest algorithm ${signerInfo.digestAlgorithm.algorithm}`, 'malformed');
  const signatureOid = signerInfo.signatureAlgorithm.algorithm;
  if (!SIGNATURE_OIDS.has(signatureOid)) {
    const hint = signatureOid === RSA_PSS ? ' (RSA-PSS is not supported)' : '';
    throw new PkiError(`unsupported signature algorithm ${signatureOid}${hint}`, 'malformed');
  }
  const hashName = nodeHashName(digestAlgorithm);

  let signedBytes: Buffer = content;
  if (signerInfo.signedAttrs) {
    const attrs = signerInfo.signedAttrs;
    const value = (oid: string) => {
      const found = attrs.find((a) => a.attrType === oid)?.attrValues[0];
      return found ? Buffer.from(found) : undefined;
    };
    const digestValue = value(cms.id_messageDigest);
    if (!digestValue) throw new PkiError('signed attributes have no messageDigest', 'malformed');
    const contentType = value(cms.id_contentType);
    if (contentType && !contentType.equals(derObjectIdentifier(signedData.encapContentInfo.eContentType))) {
      throw new PkiError('signed contentType attribute does not match the content type', 'bad-signature');
    }
    const expected = Buffer.from(AsnConvert.parse(digestValue, OctetString).buffer);
    if (!createHash(hashName).update(content).digest().equals(expected)) {
      throw new PkiError(`message digest (${digestAlgorithm}) does not match the body`, 'bad-signature');
    }
    signedBytes = signedAttributesForVerification(signerInfo);
  }

  let ok: boolean;
  try {
    ok = cryptoVerify(hashName, signedBytes, signer.publicKey, Buffer.from(signerInfo.signature.buffer));
  } catch (err) {
    throw new PkiError(`signature could not be checked: ${describe(err)}`, 'bad-signature');
  }
  if (!ok) throw new PkiError(`signature (${digestAlgorithm}) does not verify over the body`, 'bad-signature');
  return { signer, certificates, digestAlgorithm };
}

/**
 * The signature covers the attributes encoded as a DER SET (tag 0x31), not the [0] IMPLICIT form stored.
 * Use the received bytes when definite-length (re-encoding could differ from what was signed); an
 * indefinite-length form cannot be what was signed, so re-encode it.
 */
function signedAttributesForVerification(signerInfo: cms.SignerInfo): Buffer {
  const received = signerInfo.signedAttrsRaw ? Buffer.from(signerInfo.signedAttrsRaw) : undefined;
  if (received && received.length > 1 && received[1] !== 0x80) {
    const copy = Buffer.from(received);
    copy[0] = 0x31;
    return copy;
  }
  return derSetOf((signerInfo.signedAttrs ?? []).map((a) => Buffer.from(AsnConvert.serialize(a))));
}

function matchesSignerId(cert: Certificate, parsed: X509Certificate, sid: cms.SignerIdentifier): boolean {
  if (sid.issuerAndSerialNumber) {
    const { issuer, serialNumber } = sid.issuerAndSerialNumber;
    return (
      Buffer.from(AsnConvert.serialize(issuer)).equals(Buffer.from(AsnConvert.serialize(cert.tbsCertificate.issuer))) &&
      stripLeadingZeros(serialNumber).equals(stripLeadingZeros(cert.tbsCertificate.serialNumber))
    );
  }
  if (sid.subjectKeyIdentifier) {
    const ski = new x509.X509Certificate(parsed.raw).getExtension(x509.SubjectKeyIdentifierExtension);
    return ski !== null && ski.keyId === Buffer.from(sid.subjectKeyIdentifier.buffer).toString('hex');
  }
  return false;
}

function stripLeadingZeros(value: ArrayBuffer): Buffer {
  const bytes = Buffer.from(value);
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function buildSignedData(content: Buffer, signer: CmsSigner, digest: 'SHA-1' | 'SHA-256', attached: boolean): Buffer {
  const signerCert = parseCertificatePem(signer.certPem);
  let key: KeyObject;
  try {
    key = createPrivateKey(signer.keyPem);
  } catch (err) {
    throw new PkiError(`signer private key is not a usable unencrypted PEM key: ${describe(err)}`, 'malformed');
  }
  if (!signerCert.checkPrivateKey(key)) throw new PkiError('signer key does not match the signer certificate', 'key-mismatch');
  const cert = AsnConvert.parse(signerCert.raw, Certificate);
  const hashName = nodeHashName(digest);

  const attributes = [
    new cms.Attribute({ attrType: cms.id_contentType, attrValues: [toArrayBuffer(derObjectIdentifier(cms.id_data))] }),
    new cms.Attribute({ attrType: cms.id_signingTime, attrValues: [AsnConvert.serialize(new cms.SigningTime(new Date()))] }),
    new cms.Attribute({
      attrType: cms.id_messageDigest,
      attrValues: [AsnConvert.serialize(new OctetString(createHash(hashName).update(content).digest()))],
    }),
  ];
  const encoded = attributes.map((a) => Buffer.from(AsnConvert.serialize(a)));
  // Store the attributes in the order they were hashed, so a verifier that reuses the bytes agrees.
  const sorted = encoded.map((bytes, i) => ({ bytes, attr: attributes[i] })).sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const signature = cryptoSign(hashName, derSetOf(encoded), key);

  const digestAlgorithm = new cms.DigestAlgorithmIdentifier({ algorithm: DIGEST_OID[digest], parameters: DER_NULL });
  const signerInfo = new cms.SignerInfo({
    version: cms.CMSVersion.v1,
    sid: new cms.SignerIdentifier({
      issuerAndSerialNumber: new cms.IssuerAndSerialNumber({
        issuer: cert.tbsCertificate.issuer,
        serialNumber: cert.tbsCertificate.serialNumber,
      }),
    }),
    digestAlgorithm,
    signedAttrs: sorted.map((s) => s.attr),
    signatureAlgorithm:
      key.asymmetricKeyType === 'ec'
        ? new AlgorithmIdentifier({ algorithm: ECDSA_OID[digest] })
        : new AlgorithmIdentifier({ algorithm: RSA_ENCRYPTION, parameters: DER_NULL }),
    signature: new OctetString(signature),
  });
  const signedData = new cms.SignedData({
    version: cms.CMSVersion.v1,
    digestAlgorithms: new cms.DigestAlgorithmIdentifiers([digestAlgorithm]),
    encapContentInfo: new cms.EncapsulatedContentInfo({
      eContentType: cms.id_data,
      eContent: attached ? new cms.EncapsulatedContent({ single: new OctetString(content) }) : undefined,
    }),
    certificates: new cms.CertificateSet([new cms.CertificateChoices({ certificate: cert })]),
    signerInfos: new cms.SignerInfos([signerInfo]),
  });
  const contentInfo = new cms.ContentInfo({ contentType: cms.id_signedData, content: AsnConvert.serialize(signedData) });
  return Buffer.from(AsnConvert.serialize(contentInfo));
}
