import { AsnConvert } from '@peculiar/asn1-schema';
import * as cms from '@peculiar/asn1-cms';
import { Certificate } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { toArrayBuffer } from './crypto-engine';

/** Does a SignerIdentifier / RecipientIdentifier (same two choices) name this certificate (DER)? */
export function identifies(id: cms.SignerIdentifier | cms.RecipientIdentifier, certDer: Buffer): boolean {
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

/** How this library names a certificate in a SignerInfo or RecipientInfo. */
export function issuerAndSerialNumberOf(cert: Certificate): cms.IssuerAndSerialNumber {
  return new cms.IssuerAndSerialNumber({ issuer: cert.tbsCertificate.issuer, serialNumber: cert.tbsCertificate.serialNumber });
}

function stripLeadingZeros(value: ArrayBuffer): Buffer {
  const bytes = Buffer.from(value);
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}
