import { createHash, type KeyObject, verify as cryptoVerify, type X509Certificate } from 'node:crypto';
import { childrenOf, definiteLengthOf, derSetOf, objectIdentifierOf, octetStringOf, readTlv, type Tlv } from './ber';
import { certificateFromDer, describe } from './certificates';
import { DIGEST_BY_OID, type DigestAlgorithm, nodeHashName, RSA_PSS, SIGNATURE_OIDS } from './cms-algorithms';
import { signerIdentifierOf, type SignerIdentifier } from './cms-signer-id';
import { PkiError } from './errors';

const SIGNED_DATA = '1.2.840.113549.1.7.2';
const CONTENT_TYPE_ATTRIBUTE = '1.2.840.113549.1.9.3';
const MESSAGE_DIGEST_ATTRIBUTE = '1.2.840.113549.1.9.4';

/** What a signer certificate is parsed into once; held in the verifier's cache by fingerprint. */
export interface SignerCertificate {
  certificate: X509Certificate;
  /** Lowercase hex SHA-256 of the DER, as `fingerprintSha256` gives it. */
  fingerprint: string;
  publicKey: KeyObject;
  notAfter: Date;
}

export interface DetachedSignature {
  signer: SignerCertificate;
  /** The DER of every certificate the structure carries, signer included. */
  carried: Buffer[];
  digestAlgorithm: DigestAlgorithm;
}

interface SignerInfo {
  sid: SignerIdentifier;
  digestOid: string;
  signedAttrs: Tlv | undefined;
  signatureOid: string;
  signature: Buffer;
}

/**
 * Verifies `Mdm-Signature` headers (base64 of a detached CMS SignedData, BER, often indefinite-length)
 * by walking the encoding, without an ASN.1 object model. Checks the signature only; whether the signer
 * is trusted is the TrustStore's job. Signer certificates are parsed once and kept (bounded, oldest out),
 * keyed by the SHA-256 of their bytes, so a device's next request costs a hash, a digest and one verify.
 */
export class DetachedSignatureVerifier {
  private readonly signers = new Map<string, SignerCertificate>();

  /** `maxCached`: signer certificates kept; 0 parses every time. */
  constructor(private readonly maxCached = 10_000) {}

  /** Throws PkiError (never anything else) when the header is malformed or the signature does not verify. */
  verify(signatureBase64: string, content: Buffer): DetachedSignature {
    const der = decodeBase64(signatureBase64);
    try {
      return this.verifyDer(der, content);
    } catch (err) {
      if (err instanceof PkiError) throw err;
      throw new PkiError(`CMS structure could not be read: ${describe(err)}`, 'malformed');
    }
  }

  private verifyDer(der: Buffer, content: Buffer): DetachedSignature {
    const { eContentType, certificates, signerInfo } = readSignedData(der);
    const signerTlv = certificates.find((cert) => signerInfo.sid.names(der, cert));
    if (!signerTlv) throw new PkiError('the signer certificate is not included in the signature', 'malformed');
    const signer = this.signerCertificate(der.subarray(signerTlv.offset, signerTlv.next));

    const digestAlgorithm = DIGEST_BY_OID[signerInfo.digestOid];
    if (!digestAlgorithm) throw new PkiError(`unsupported digest algorithm ${signerInfo.digestOid}`, 'malformed');
    if (!SIGNATURE_OIDS.has(signerInfo.signatureOid)) {
      const hint = signerInfo.signatureOid === RSA_PSS ? ' (RSA-PSS is not supported)' : '';
      throw new PkiError(`unsupported signature algorithm ${signerInfo.signatureOid}${hint}`, 'malformed');
    }
    const hashName = nodeHashName(digestAlgorithm);
    const signedBytes = signerInfo.signedAttrs ? checkSignedAttributes(der, signerInfo.signedAttrs, eContentType, content, hashName, digestAlgorithm) : content;

    let ok: boolean;
    try {
      ok = cryptoVerify(hashName, signedBytes, signer.publicKey, signerInfo.signature);
    } catch (err) {
      throw new PkiError(`signature could not be checked: ${describe(err)}`, 'bad-signature');
    }
    if (!ok) throw new PkiError(`signature (${digestAlgorithm}) does not verify over the body`, 'bad-signature');
    return { signer, carried: certificates.map((c) => der.subarray(c.offset, c.next)), digestAlgorithm };
  }

  private signerCertificate(certDer: Buffer): SignerCertificate {
    const fingerprint = createHash('sha256').update(certDer).digest('hex');
    const known = this.signers.get(fingerprint);
    if (known) return known;
    const certificate = certificateFromDer(Buffer.from(certDer));
    const parsed: SignerCertificate = { certificate, fingerprint, publicKey: certificate.publicKey, notAfter: new Date(certificate.validTo) };
    if (this.maxCached > 0) {
      if (this.signers.size >= this.maxCached) this.signers.delete(this.signers.keys().next().value as string);
      this.signers.set(fingerprint, parsed);
    }
    return parsed;
  }
}

function decodeBase64(signatureBase64: string): Buffer {
  // Node's decoder skips what is not base64: the decoded length shows whether anything was skipped.
  const fast = Buffer.from(signatureBase64, 'base64');
  if (fast.length > 0 && fast.length === base64Length(signatureBase64)) return fast;
  const compact = signatureBase64.replace(/\s+/g, '');
  if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new PkiError('signature is not base64', 'malformed');
  }
  return Buffer.from(compact, 'base64');
}

/** What `text` decodes to when every character of it is base64 (padding at the end only). */
function base64Length(text: string): number {
  let data = text.length;
  if (text.charCodeAt(data - 1) === 0x3d) data--;
  if (text.charCodeAt(data - 1) === 0x3d) data--;
  return Math.floor((data * 3) / 4);
}

function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new PkiError(`CMS ${what} is missing or not where expected`, 'malformed');
  return tlv;
}

/** ContentInfo { signedData, [0] SignedData { version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls, signerInfos } }. */
function readSignedData(der: Buffer): { eContentType: Tlv; certificates: Tlv[]; signerInfo: SignerInfo } {
  let contentInfo: Tlv[];
  try {
    contentInfo = childrenOf(der, expectTag(readTlv(der, 0), 0x30, 'ContentInfo'));
  } catch (err) {
    throw new PkiError(`CMS is not a BER ContentInfo: ${describe(err)}`, 'malformed');
  }
  const contentType = objectIdentifierOf(der, expectTag(contentInfo[0], 0x06, 'content type'));
  if (contentType !== SIGNED_DATA) throw new PkiError(`CMS content type is ${contentType}, expected SignedData`, 'malformed');
  const [signedDataTlv] = childrenOf(der, expectTag(contentInfo[1], 0xa0, 'content'), 1);
  const fields = childrenOf(der, expectTag(signedDataTlv, 0x30, 'SignedData'), 2);
  expectTag(fields[0], 0x02, 'SignedData version');
  expectTag(fields[1], 0x31, 'SignedData digestAlgorithms');
  const eContentType = expectTag(childrenOf(der, expectTag(fields[2], 0x30, 'encapContentInfo'), 3)[0], 0x06, 'eContentType');
  let certificates: Tlv[] = [];
  let signerInfos: Tlv | undefined;
  for (const field of fields.slice(3)) {
    // Certificate choices other than a plain X.509 certificate (attribute certificates, ...) are not signers.
    if (field.tag === 0xa0 && !signerInfos) certificates = childrenOf(der, field, 3).filter((c) => c.tag === 0x30);
    else if (field.tag === 0xa1 && !signerInfos) continue;
    else if (field.tag === 0x31 && !signerInfos) signerInfos = field;
    else throw new PkiError(`CMS SignedData has an unexpected field (tag 0x${field.tag.toString(16)})`, 'malformed');
  }
  const signers = childrenOf(der, expectTag(signerInfos, 0x31, 'signerInfos'), 3);
  if (signers.length === 0) throw new PkiError('SignedData has no signer', 'malformed');
  if (signers.length > 1) throw new PkiError('SignedData has more than one signer', 'malformed');
  return { eContentType, certificates, signerInfo: readSignerInfo(der, expectTag(signers[0], 0x30, 'SignerInfo')) };
}

/** SignerInfo { version, sid, digestAlgorithm, [0] signedAttrs OPTIONAL, signatureAlgorithm, signature, [1] unsignedAttrs OPTIONAL }. */
function readSignerInfo(der: Buffer, tlv: Tlv): SignerInfo {
  const fields = childrenOf(der, tlv, 4);
  expectTag(fields[0], 0x02, 'SignerInfo version');
  const sid = signerIdentifierOf(der, fields[1]);
  const digestOid = algorithmOf(der, fields[2], 'digestAlgorithm');
  let at = 3;
  const signedAttrs = fields[at]?.tag === 0xa0 ? fields[at++] : undefined;
  const signatureOid = algorithmOf(der, fields[at++], 'signatureAlgorithm');
  const signatureTlv = fields[at];
  if (!signatureTlv || (signatureTlv.tag !== 0x04 && signatureTlv.tag !== 0x24)) throw new PkiError('CMS SignerInfo has no signature', 'malformed');
  return { sid, digestOid, signedAttrs, signatureOid, signature: octetStringOf(der, signatureTlv, 5) };
}

function algorithmOf(der: Buffer, tlv: Tlv | undefined, what: string): string {
  return objectIdentifierOf(der, expectTag(childrenOf(der, expectTag(tlv, 0x30, what), 5)[0], 0x06, `${what} OID`));
}

/**
 * Checks the messageDigest (and contentType, when present) attributes against the body and returns what the
 * signature covers: the attributes as a DER SET (tag 0x31), not the [0] IMPLICIT form stored. The received
 * bytes when definite-length (re-encoding could differ from what was signed); an indefinite-length form
 * cannot be what was signed, so it is re-encoded.
 */
function checkSignedAttributes(der: Buffer, attrs: Tlv, eContentType: Tlv, content: Buffer, hashName: string, digestAlgorithm: DigestAlgorithm): Buffer {
  const attributes = childrenOf(der, attrs, 5);
  const valueOf = (oid: string): Tlv | undefined => {
    for (const attribute of attributes) {
      const [type, values] = childrenOf(der, expectTag(attribute, 0x30, 'signed attribute'), 6);
      if (objectIdentifierOf(der, expectTag(type, 0x06, 'signed attribute type')) !== oid) continue;
      return childrenOf(der, expectTag(values, 0x31, 'signed attribute values'), 7)[0];
    }
    return undefined;
  };
  const digestValue = valueOf(MESSAGE_DIGEST_ATTRIBUTE);
  if (!digestValue) throw new PkiError('signed attributes have no messageDigest', 'malformed');
  const contentType = valueOf(CONTENT_TYPE_ATTRIBUTE);
  if (contentType && !(contentType.tag === 0x06 && der.subarray(contentType.start, contentType.end).equals(der.subarray(eContentType.start, eContentType.end)))) {
    throw new PkiError('signed contentType attribute does not match the content type', 'bad-signature');
  }
  const expected = octetStringOf(der, digestValue, 8);
  if (!createHash(hashName).update(content).digest().equals(expected)) {
    throw new PkiError(`message digest (${digestAlgorithm}) does not match the body`, 'bad-signature');
  }
  if (!attrs.indefinite) {
    const copy = Buffer.from(der.subarray(attrs.offset, attrs.next));
    copy[0] = 0x31;
    return copy;
  }
  return derSetOf(attributes.map((a) => definiteLengthOf(der, a, 6)));
}
