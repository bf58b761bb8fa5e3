import { createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as cms from '@peculiar/asn1-cms';
import { Certificate } from '@peculiar/asn1-x509';
import { derObjectIdentifier, derSetOf, octetStringValue } from './ber';
import { certificateFromDer, describe } from './certificates';
import { DetachedSignatureVerifier } from './cms-detached';
import { DIGEST_BY_OID, nodeHashName, RSA_PSS, SIGNATURE_OIDS, type DigestAlgorithm } from './cms-algorithms';
import { identifies } from './cms-identity';
import { PkiError } from './errors';

export interface VerifiedSignature {
  /** The certificate whose key made the signature (not yet checked against any trust anchor). */
  signer: X509Certificate;
  /** Every certificate carried in the CMS structure, signer included. */
  certificates: X509Certificate[];
  digestAlgorithm: DigestAlgorithm;
}

/** A verified SignedData with its content and a reader of its signed attributes' first values. */
export interface VerifiedMessage extends VerifiedSignature {
  content: Buffer;
  signedAttribute(oid: string): Buffer | undefined;
}

const uncachedVerifier = new DetachedSignatureVerifier(0);

/**
 * Verifies an `Mdm-Signature` header: base64 of a detached CMS SignedData (BER, often indefinite-length)
 * over `content`. Checks the signature only; whether the signer is trusted is the TrustStore's job.
 * Parses every time: a server verifying many requests keeps a `DetachedSignatureVerifier` instead.
 */
export async function verifyDetachedSignature(signatureBase64: string, content: Buffer): Promise<VerifiedSignature> {
  const { signer, carried, digestAlgorithm } = uncachedVerifier.verify(signatureBase64, content);
  const certificates = carried.map((der) => (der.equals(signer.certificate.raw) ? signer.certificate : certificateFromDer(Buffer.from(der))));
  return { signer: signer.certificate, certificates, digestAlgorithm };
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

/**
 * Parses and verifies a one-signer SignedData with signed attributes, as SCEP messages are; absent content
 * reads as empty (RFC 8894 signs a FAILURE CertRep so).
 */
export function readSignedMessage(der: Buffer): VerifiedMessage {
  return guardSync(() => {
    const signedData = parseSignedData(der);
    const content = signedData.encapContentInfo.eContent ? encapsulatedContent(signedData.encapContentInfo) : Buffer.alloc(0);
    const verified = verifySignedData(signedData, content);
    const attrs = signedData.signerInfos[0].signedAttrs ?? [];
    const signedAttribute = (oid: string) => {
      const found = attrs.find((a) => a.attrType === oid)?.attrValues[0];
      return found ? Buffer.from(found) : undefined;
    };
    return { ...verified, content, signedAttribute };
  });
}

/** Callers get PkiError and nothing else, whatever the decoder throws on hostile input. */
async function guard<T>(fn: () => T): Promise<T> {
  return guardSync(fn);
}

function guardSync<T>(fn: () => T): T {
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
  const signerIndex = carried.findIndex((_, i) => identifies(signerInfo.sid, certificates[i].raw));
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
