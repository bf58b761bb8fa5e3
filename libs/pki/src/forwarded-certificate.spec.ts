import { createCertificateAuthority, issueKeyAndCertificate } from './authority';
import { parseCertificatePem } from './certificates';
import { PkiError } from './errors';
import { parseForwardedCertificate } from './forwarded-certificate';

describe('parseForwardedCertificate', () => {
  let pem: string;
  let der: Buffer;

  beforeAll(async () => {
    const ca = await createCertificateAuthority({ commonName: 'Proxy CA' });
    pem = (await issueKeyAndCertificate({ issuer: ca, subject: 'CN=device+1' })).certPem;
    der = parseCertificatePem(pem).raw;
  });

  const formats: [string, () => string][] = [
    ['nginx $ssl_client_escaped_cert (URL-escaped PEM)', () => encodeURIComponent(pem)],
    ['PEM with newlines turned into spaces', () => pem.trim().replace(/\n/g, ' ')],
    ['PEM with newlines turned into tabs (nginx $ssl_client_cert)', () => pem.trim().replace(/\n/g, '\t')],
    ['plain PEM', () => pem],
    ['bare base64 DER', () => der.toString('base64')],
    ['URL-escaped bare base64 DER, chain comma-separated (Traefik)', () => `${encodeURIComponent(der.toString('base64'))},${encodeURIComponent('AAAA')}`],
  ];

  it.each(formats)('reads %s', (_label, header) => {
    expect(parseForwardedCertificate(header()).raw.equals(der)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['broken URL escaping', '%E0%A4%A'],
    ['not base64', 'hello world!'],
    ['base64 of garbage', Buffer.from('not a certificate').toString('base64')],
    ['truncated PEM', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'],
  ])('rejects %s as malformed', (_label, header) => {
    let caught: unknown;
    try {
      parseForwardedCertificate(header);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PkiError);
    expect((caught as PkiError).code).toBe('malformed');
  });
});
