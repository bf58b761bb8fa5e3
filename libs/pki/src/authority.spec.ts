import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createCertificateAuthority, issueCertificate, issueKeyAndCertificate, generateRsaKeyPair, type CertificateAndKey } from './authority';
import { certificateToPem, fingerprintSha256, parseCertificatePem, parseCertificatesPem, subjectUid } from './certificates';
import { PkiError } from './errors';

describe('certificate authority', () => {
  let ca: CertificateAndKey;
  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Unit CA', organization: 'Example, Inc.', validityDays: 30 });
  });

  it('creates a self-signed RSA CA with critical CA constraints and key usage', () => {
    const cert = parseCertificatePem(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('CN=Unit CA');
    expect(new x509.X509Certificate(cert.raw).subjectName.getField('O')).toEqual(['Example, Inc.']);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const parsed = new x509.X509Certificate(cert.raw);
    const bc = parsed.getExtension(x509.BasicConstraintsExtension);
    expect(bc?.ca).toBe(true);
    expect(bc?.critical).toBe(true);
    const ku = parsed.getExtension(x509.KeyUsagesExtension);
    // keyCertSign and cRLSign for a CA; digitalSignature and keyEncipherment because it serves SCEP.
    expect(ku?.usages).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    );
    expect(parsed.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull();
    expect(new Date(cert.validTo).getTime() - Date.now()).toBeLessThan(31 * 86400_000);
  });

  it('issues leaf certificates chained to the CA, with AKI = CA SKI, EKU and SANs', async () => {
    const keys = await generateRsaKeyPair();
    const { certPem } = await issueCertificate({
      issuer: ca,
      subject: 'CN=mdm.example.com,O=x',
      publicKeyPem: keys.publicKeyPem,
      extendedKeyUsage: ['serverAuth', 'clientAuth'],
      subjectAltNames: { dns: ['mdm.example.com'], ip: ['127.0.0.1'] },
      serialNumber: '0abc01',
    });
    const cert = parseCertificatePem(certPem);
    const caCert = parseCertificatePem(ca.certPem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.serialNumber.toLowerCase()).toBe('0abc01');
    expect(cert.subjectAltName).toContain('DNS:mdm.example.com');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.checkHost('mdm.example.com')).toBe('mdm.example.com');
    const parsed = new x509.X509Certificate(cert.raw);
    expect(parsed.signatureAlgorithm.hash.name).toBe('SHA-256');
    expect(parsed.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
    expect(parsed.getExtension(x509.KeyUsagesExtension)?.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    const aki = parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
    const ski = new x509.X509Certificate(caCert.raw).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    expect(aki).toBeDefined();
    expect(aki).toBe(ski);
  });

  it('encodes a UID attribute (APNs push certificate subjects)', async () => {
    const topic = 'com.apple.mgmt.External.2a1fa5a9-6a3e-4c1b-9d4e-4c3e6a0b1d2f';
    const { certPem } = await issueKeyAndCertificate({ issuer: ca, subject: `UID=${topic}, CN=APSP:2a1fa5a9, C=US` });
    const cert = parseCertificatePem(certPem);
    expect(subjectUid(cert)).toBe(topic);
    expect(subjectUid(parseCertificatePem(ca.certPem))).toBeUndefined();
  });

  it('honours explicit validity dates', async () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const notAfter = new Date('2030-02-01T00:00:00Z');
    const { certPem } = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=later', notBefore, notAfter });
    const cert = parseCertificatePem(certPem);
    expect(new Date(cert.validFrom).toISOString()).toBe(notBefore.toISOString());
    expect(new Date(cert.validTo).toISOString()).toBe(notAfter.toISOString());
  });

  it('rejects a bad issuer key or subject with PkiError', async () => {
    const keys = await generateRsaKeyPair();
    await expect(issueCertificate({ issuer: { certPem: ca.certPem, keyPem: 'nope' }, subject: 'CN=x', publicKeyPem: keys.publicKeyPem })).rejects.toBeInstanceOf(PkiError);
    await expect(issueCertificate({ issuer: ca, subject: 'CN=x', publicKeyPem: 'not a key' })).rejects.toMatchObject({ code: 'malformed' });
  });
});

describe('certificate helpers', () => {
  it('parses bundles, fingerprints and re-encodes PEM', async () => {
    const a = await createCertificateAuthority({ commonName: 'A' });
    const b = await createCertificateAuthority({ commonName: 'B' });
    const certs = parseCertificatesPem(`junk\n${a.certPem}\n${a.keyPem}\n${b.certPem}`);
    expect(certs.map((c) => c.subject)).toEqual(['CN=A', 'CN=B']);
    const fp = fingerprintSha256(certs[0]);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(fp).toBe(certs[0].fingerprint256.replace(/:/g, '').toLowerCase());
    expect(new X509Certificate(certificateToPem(certs[1].raw)).raw.equals(certs[1].raw)).toBe(true);
    expect(() => parseCertificatesPem('nothing here')).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => parseCertificatePem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow(PkiError);
  });
});
