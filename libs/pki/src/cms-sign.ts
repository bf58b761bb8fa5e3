import { createHash, createPrivateKey, KeyObject, sign as cryptoSign } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as cms from '@peculiar/asn1-cms';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { derElement, derObjectIdentifier, derSetOf } from './ber';
import { describe, parseCertificatePem } from './certificates';
import { contentInfo } from './cms-content-info';
import { DER_NULL, DIGEST_OID, ECDSA_OID, nodeHashName, RSA_ENCRYPTION, type DigestAlgorithm } from './cms-algorithms';
import { issuerAndSerialNumberOf } from './cms-identity';
import { toArrayBuffer } from './crypto-engine';
import { PkiError } from './errors';

export interface CmsSigner {
  certPem: string;
  keyPem: string;
}

export interface CmsSignOptions {
  digest?: 'SHA-1' | 'SHA-256';
}

/** A signed attribute beyond contentType, signingTime and messageDigest: its OID and DER-encoded value. */
export type SignedAttribute = [oid: string, value: Buffer];

/** Signs like a device does for `Mdm-Signature`: detached, signed attributes, signer certificate included. */
export async function signDetached(content: Buffer, signer: CmsSigner, opts: CmsSignOptions = {}): Promise<string> {
  return buildSignedData({ content, signer, digest: opts.digest ?? 'SHA-256', attached: false }).toString('base64');
}

/** DER ContentInfo/SignedData with the content encapsulated (e.g. a signed .mobileconfig). */
export async function signAttached(content: Buffer, signer: CmsSigner, opts: CmsSignOptions = {}): Promise<Buffer> {
  return buildSignedData({ content, signer, digest: opts.digest ?? 'SHA-256', attached: true });
}

/**
 * DER ContentInfo/SignedData by one signer (certificate included) with signed attributes, `attributes` among
 * them (SCEP's). An absent content is signed as empty and not encapsulated, as RFC 8894 signs a FAILURE.
 */
export function buildSignedData(input: {
  content: Buffer | undefined;
  signer: CmsSigner;
  digest: DigestAlgorithm;
  attached: boolean;
  attributes?: SignedAttribute[];
}): Buffer {
  const { content, digest } = input;
  const { cert, key } = signerKey(input.signer);
  const hashName = nodeHashName(digest);
  const attributes = [
    new cms.Attribute({ attrType: cms.id_contentType, attrValues: [toArrayBuffer(derObjectIdentifier(cms.id_data))] }),
    new cms.Attribute({ attrType: cms.id_signingTime, attrValues: [AsnConvert.serialize(new cms.SigningTime(new Date()))] }),
    new cms.Attribute({
      attrType: cms.id_messageDigest,
      attrValues: [toArrayBuffer(derElement(0x04, createHash(hashName).update(content ?? Buffer.alloc(0)).digest()))],
    }),
    ...(input.attributes ?? []).map(([attrType, value]) => new cms.Attribute({ attrType, attrValues: [toArrayBuffer(value)] })),
  ];
  const encoded = attributes.map((a) => Buffer.from(AsnConvert.serialize(a)));
  // Stored in DER SET order, so a verifier that reuses the received bytes hashes what was signed.
  const sorted = encoded.map((bytes, i) => ({ bytes, attr: attributes[i] })).sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const signature = cryptoSign(hashName, derSetOf(encoded), key);
  const digestAlgorithm = new cms.DigestAlgorithmIdentifier({ algorithm: DIGEST_OID[digest], parameters: DER_NULL });
  const signerInfo = new cms.SignerInfo({
    version: cms.CMSVersion.v1,
    sid: new cms.SignerIdentifier({ issuerAndSerialNumber: issuerAndSerialNumberOf(cert) }),
    digestAlgorithm,
    signedAttrs: sorted.map((s) => s.attr),
    signatureAlgorithm:
      key.asymmetricKeyType === 'ec'
        ? new AlgorithmIdentifier({ algorithm: ECDSA_OID[digest] })
        : new AlgorithmIdentifier({ algorithm: RSA_ENCRYPTION, parameters: DER_NULL }),
    signature: new OctetString(signature),
  });
  const signed = new cms.SignedData({
    version: cms.CMSVersion.v1,
    digestAlgorithms: new cms.DigestAlgorithmIdentifiers([digestAlgorithm]),
    encapContentInfo: new cms.EncapsulatedContentInfo({
      eContentType: cms.id_data,
      eContent: input.attached && content ? new cms.EncapsulatedContent({ single: new OctetString(content) }) : undefined,
    }),
    certificates: new cms.CertificateSet([new cms.CertificateChoices({ certificate: cert })]),
    signerInfos: new cms.SignerInfos([signerInfo]),
  });
  return contentInfo(cms.id_signedData, signed);
}

function signerKey(signer: CmsSigner): { cert: Certificate; key: KeyObject } {
  const signerCert = parseCertificatePem(signer.certPem);
  let key: KeyObject;
  try {
    key = createPrivateKey(signer.keyPem);
  } catch (err) {
    throw new PkiError(`signer private key is not a usable unencrypted PEM key: ${describe(err)}`, 'malformed');
  }
  if (!signerCert.checkPrivateKey(key)) throw new PkiError('signer key does not match the signer certificate', 'key-mismatch');
  return { cert: AsnConvert.parse(signerCert.raw, Certificate), key };
}
