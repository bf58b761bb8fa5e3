import { createCertificateAuthority, TrustStore, type CertificateAndKey } from '@mdm/pki';

/**
 * The CA that plays the server's SCEP CA in tests: device identities are issued by it and the
 * gateway is configured to trust it. A second call gives an unrelated CA with which to forge identities.
 */
export async function createTestDeviceCa(opts: { commonName?: string; validityDays?: number } = {}): Promise<CertificateAndKey> {
  return createCertificateAuthority({
    commonName: opts.commonName ?? 'Test Device CA',
    organization: 'mdm testing',
    validityDays: opts.validityDays ?? 30,
  });
}

export function trustStoreFor(...cas: { certPem: string }[]): TrustStore {
  return TrustStore.fromPem(...cas.map((ca) => ca.certPem));
}
