import { randomUUID } from 'node:crypto';
import { createCertificateAuthority, issueKeyAndCertificate } from '@mdm/pki';

export interface FakeApnsCertificates {
  /** Signs the server certificate; clients trust it through `ca` / APNS_CA_FILE. */
  serverCa: { certPem: string; keyPem: string };
  server: { certPem: string; keyPem: string };
  /** Plays Apple's push-certificate CA: the server accepts only client certificates it signed. */
  clientCa: { certPem: string; keyPem: string };
}

/**
 * Two separate CAs so a test cannot pass by accident with the server certificate as client certificate, and
 * so trusting the fake as a server says nothing about which push certificates it accepts.
 */
export async function createFakeApnsCertificates(host: string, serverNames: string[] = []): Promise<FakeApnsCertificates> {
  const [serverCa, clientCa] = await Promise.all([
    createCertificateAuthority({ commonName: 'Fake APNs Server CA', organization: 'mdm testing', validityDays: 30 }),
    createCertificateAuthority({ commonName: 'Fake Apple Push CA', organization: 'mdm testing', validityDays: 30 }),
  ]);
  const ips = ['127.0.0.1', '::1'];
  const dns = ['localhost'];
  if (/^[\d.]+$/.test(host) || host.includes(':')) {
    if (!ips.includes(host)) ips.push(host);
  } else if (!dns.includes(host)) {
    dns.push(host);
  }
  for (const name of serverNames) if (!dns.includes(name)) dns.push(name);
  const server = await issueKeyAndCertificate({
    issuer: serverCa,
    subject: `CN=${dns[dns.length - 1]}, O=mdm testing`,
    validityDays: 30,
    extendedKeyUsage: ['serverAuth'],
    subjectAltNames: { dns, ip: ips },
  });
  return { serverCa, server, clientCa };
}

export interface PushCertificateOptions {
  /** Default `com.apple.mgmt.External.<random uuid>`, like a certificate from the Apple Push Certificates Portal. */
  topic?: string;
  notBefore?: Date;
  notAfter?: Date;
  /** CN and O of the subject instead of Apple's `CN=APSP:<uuid>`: marks a certificate made for the fake. */
  label?: string;
}

/** An MDM push certificate shaped like Apple's: subject `UID=<topic>, CN=APSP:<uuid>, C=US` (or the label), client auth. */
export async function issueFakePushCertificate(
  clientCa: { certPem: string; keyPem: string },
  opts: PushCertificateOptions = {},
): Promise<{ certPem: string; keyPem: string; topic: string }> {
  const uuid = randomUUID();
  const topic = opts.topic ?? `com.apple.mgmt.External.${uuid}`;
  const issued = await issueKeyAndCertificate({
    issuer: clientCa,
    subject: opts.label === undefined ? `UID=${topic}, CN=APSP:${uuid}, C=US` : `UID=${topic}, CN=${opts.label}, O=${opts.label}, C=US`,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    validityDays: 365,
    extendedKeyUsage: ['clientAuth'],
  });
  return { ...issued, topic };
}
