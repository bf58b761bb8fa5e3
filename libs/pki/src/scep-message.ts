import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as cms from '@peculiar/asn1-cms';
import { Certificate, DirectoryString } from '@peculiar/asn1-x509';
import { derElement, octetStringValue } from './ber';
import { certificateFromDer, describe, parseCertificatesPem } from './certificates';
import { contentInfo, contentOf } from './cms-content-info';
import { PkiError } from './errors';

/* What both ends of SCEP (RFC 8894) write and read: the attributes, their codes and the certs-only reply. */

export type ScepMessageType = 'PKCSReq' | 'RenewalReq' | 'CertPoll';
export type ScepFailInfo = 'badAlg' | 'badMessageCheck' | 'badRequest' | 'badTime' | 'badCertId';

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

export const SCEP_MESSAGE_TYPE_CODES = { PKCSReq: '19', RenewalReq: '17', CertPoll: '20', CertRep: '3' } as const;
export const SCEP_PKI_STATUS_CODES = { SUCCESS: '0', FAILURE: '2', PENDING: '3' } as const;
export const SCEP_FAIL_INFO_CODES: Readonly<Record<ScepFailInfo, string>> = {
  badAlg: '0',
  badMessageCheck: '1',
  badRequest: '2',
  badTime: '3',
  badCertId: '4',
};

/** The SCEP attributes of a message as sent, leniently: whatever cannot be read stays undefined. */
export interface ScepAttributes {
  /** The number as sent ("19", "3", ...). */
  messageType?: string;
  pkiStatus?: string;
  failInfo?: string;
  transactionId?: string;
  senderNonce?: Buffer;
  recipientNonce?: Buffer;
}

export function readScepAttributes(attribute: (oid: string) => Buffer | undefined): ScepAttributes {
  const text = (oid: string) =>
    attempt(() => {
      const raw = attribute(oid);
      return raw ? AsnConvert.parse(raw, DirectoryString).toString() || undefined : undefined;
    });
  const nonce = (oid: string) =>
    attempt(() => {
      const raw = attribute(oid);
      const value = raw ? octetStringValue(raw) : undefined;
      return value && value.length > 0 ? Buffer.from(value) : undefined;
    });
  return {
    messageType: text(SCEP_ATTRIBUTE_OIDS.messageType)?.trim(),
    pkiStatus: text(SCEP_ATTRIBUTE_OIDS.pkiStatus),
    failInfo: text(SCEP_ATTRIBUTE_OIDS.failInfo),
    transactionId: text(SCEP_ATTRIBUTE_OIDS.transactionId),
    senderNonce: nonce(SCEP_ATTRIBUTE_OIDS.senderNonce),
    recipientNonce: nonce(SCEP_ATTRIBUTE_OIDS.recipientNonce),
  };
}

/** A SCEP text attribute value (PrintableString), ready for `buildSignedData`'s attributes. */
export function scepText(value: string): Buffer {
  return derElement(0x13, Buffer.from(value, 'ascii'));
}

/** A SCEP nonce attribute value (OCTET STRING). */
export function scepNonce(value: Buffer): Buffer {
  return derElement(0x04, value);
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
  return contentInfo(cms.id_signedData, signedData);
}

/** The certificates of a certs-only SignedData. */
export function certificatesOfDegenerate(der: Buffer): X509Certificate[] {
  let signedData: cms.SignedData;
  try {
    signedData = contentOf(der, cms.id_signedData, cms.SignedData);
  } catch (err) {
    throw new PkiError(`expected a certs-only SignedData: ${describe(err)}`, 'malformed');
  }
  return (signedData.certificates ?? [])
    .map((choice) => choice.certificate)
    .filter((c): c is Certificate => c !== undefined)
    .map((c) => certificateFromDer(Buffer.from(AsnConvert.serialize(c))));
}

function attempt<T>(fn: () => T | undefined): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
