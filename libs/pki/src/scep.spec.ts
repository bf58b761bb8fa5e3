import { X509Certificate } from 'node:crypto';
import * as cms from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { createCertificateAuthority, issueKeyAndCertificate, type CertificateAndKey } from './authority';
import { degenerateCertificates, SCEP_ATTRIBUTE_OIDS, SCEP_CA_CAPABILITIES } from './scep-message';
import { buildCertRep } from './scep-reply';
import { ScepRequestError } from './scep-request';

/* The client ↔ server round trips live in libs/testing (scep-client.spec.ts); this checks the wire encodings. */

function signedData(der: Buffer): cms.SignedData {
  const info = AsnConvert.parse(der, cms.ContentInfo);
  expect(info.contentType).toBe(cms.id_signedData);
  return AsnConvert.parse(info.content, cms.SignedData);
}

describe('SCEP server encodings (RFC 8894)', () => {
  let ca: CertificateAndKey;
  let device: CertificateAndKey;

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'SCEP CA' });
    device = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=device' });
  });

  it('advertises what iOS looks for in GetCACaps', () => {
    expect(SCEP_CA_CAPABILITIES).toEqual(expect.arrayContaining(['POSTPKIOperation', 'SHA-256', 'AES', 'DES3', 'Renewal', 'SCEPStandard']));
  });

  it('writes a FAILURE CertRep with PrintableString messageType/pkiStatus/failInfo/transactionID, OCTET STRING nonces and no content', async () => {
    const senderNonce = Buffer.alloc(16, 7);
    const der = await buildCertRep({
      request: { transactionId: 'TX-1', senderNonce, signer: new X509Certificate(device.certPem), digestAlgorithm: 'SHA-1' },
      ca,
      result: { status: 'FAILURE', failInfo: 'badCertId' },
    });
    const sd = signedData(der);
    expect(sd.encapContentInfo.eContent).toBeUndefined();
    const signer = sd.signerInfos[0];
    expect(signer.digestAlgorithm.algorithm).toBe('1.3.14.3.2.26');
    const attr = (oid: string) => Buffer.from(signer.signedAttrs?.find((a) => a.attrType === oid)?.attrValues[0] ?? new ArrayBuffer(0));
    expect(attr(SCEP_ATTRIBUTE_OIDS.messageType)).toEqual(Buffer.from([0x13, 0x01, 0x33]));
    expect(attr(SCEP_ATTRIBUTE_OIDS.pkiStatus)).toEqual(Buffer.from([0x13, 0x01, 0x32]));
    expect(attr(SCEP_ATTRIBUTE_OIDS.failInfo)).toEqual(Buffer.from([0x13, 0x01, 0x34]));
    expect(attr(SCEP_ATTRIBUTE_OIDS.transactionId)).toEqual(Buffer.from([0x13, 0x04, ...Buffer.from('TX-1')]));
    expect(attr(SCEP_ATTRIBUTE_OIDS.recipientNonce)).toEqual(Buffer.concat([Buffer.from([0x04, 0x10]), senderNonce]));
    const fresh = attr(SCEP_ATTRIBUTE_OIDS.senderNonce);
    expect(fresh.subarray(0, 2)).toEqual(Buffer.from([0x04, 0x10]));
    expect(fresh.subarray(2).equals(senderNonce)).toBe(false);
  });

  it('puts every certificate in a certs-only SignedData, with no signer', () => {
    const sd = signedData(degenerateCertificates([device.certPem + ca.certPem]));
    expect(sd.signerInfos).toHaveLength(0);
    expect(sd.certificates).toHaveLength(2);
    expect(() => degenerateCertificates([])).toThrow();
  });

  it('offers a reply only when transactionID, senderNonce and the signer were read', () => {
    const signer = new X509Certificate(device.certPem);
    expect(new ScepRequestError('x', 'malformed', 'badRequest', { transactionId: 'T', senderNonce: Buffer.from([1]) }).replyTo).toBeUndefined();
    expect(new ScepRequestError('x', 'malformed', 'badRequest', { transactionId: 'T', senderNonce: Buffer.from([1]), signer }).replyTo).toMatchObject({
      transactionId: 'T',
      digestAlgorithm: 'SHA-256',
    });
  });
});
