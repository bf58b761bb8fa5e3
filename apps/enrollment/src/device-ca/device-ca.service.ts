import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createCertificateAuthority, issueKeyAndCertificate, parseCertificatePem, SecretBox } from '@mdm/pki';
import { CertificateAuthorityStore } from '@mdm/persistence';
import { ENROLLMENT_CONFIG, type EnrollmentConfig } from '../enrollment.config';

const DEVICE_CA = 'device';
const PROFILE_SIGNER = 'profile-signer';

export interface Identity {
  certPem: string;
  keyPem: string;
}

/**
 * The server's own identities, kept in Postgres with keys sealed at rest: the device CA (created
 * on first start, or imported from PEM) and the identity that signs enrollment profiles. Every
 * replica and restart reuses the same ones, so issued device certificates stay valid.
 */
@Injectable()
export class DeviceCaService implements OnModuleInit {
  private readonly logger = new Logger(DeviceCaService.name);
  private readonly cache = new Map<string, Identity>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(ENROLLMENT_CONFIG) private readonly config: EnrollmentConfig,
    private readonly secrets: SecretBox,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.importedCa) await this.importCa(this.config.importedCa);
    await this.ca();
    // Created now rather than on the first download: the profile service signs with it too.
    await this.profileSigner();
  }

  /** The device CA: it issues device identities through SCEP and is what the gateway trusts. */
  ca(): Promise<Identity> {
    return this.ensure(DEVICE_CA, () =>
      createCertificateAuthority({ commonName: this.config.MDM_DEVICE_CA_NAME, organization: this.config.MDM_ORGANIZATION, validityDays: 3650 }),
    );
  }

  async certificatePem(): Promise<string> {
    return (await this.ca()).certPem;
  }

  /** The identity that signs enrollment profiles: the operator's, or one the device CA issued. */
  async profileSigner(): Promise<Identity> {
    if (this.config.profileSigner) return this.config.profileSigner;
    return this.ensure(PROFILE_SIGNER, async () =>
      issueKeyAndCertificate({
        issuer: await this.ca(),
        subject: `CN=${this.config.MDM_ORGANIZATION} Profile Signing,O=${this.config.MDM_ORGANIZATION}`,
        validityDays: 3650,
        extendedKeyUsage: ['codeSigning', 'emailProtection'],
      }),
    );
  }

  private async importCa(pair: Identity): Promise<void> {
    const cert = parseCertificatePem(pair.certPem);
    if (!cert.ca) throw new Error('MDM_DEVICE_CA_CERT_FILE: the certificate is not a CA (basicConstraints cA is false)');
    await CertificateAuthorityStore.replace(this.dataSource, { name: DEVICE_CA, certPem: pair.certPem, keySealed: this.secrets.seal(pair.keyPem) });
    this.cache.delete(DEVICE_CA);
    this.logger.log('device CA imported from MDM_DEVICE_CA_CERT_FILE');
  }

  private async ensure(name: string, create: () => Promise<Identity>): Promise<Identity> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    let row = await CertificateAuthorityStore.byName(this.dataSource, name);
    if (!row) {
      const created = await create();
      // Two replicas starting together: the first insert wins, the other reads it back.
      await CertificateAuthorityStore.insertIfMissing(this.dataSource, { name, certPem: created.certPem, keySealed: this.secrets.seal(created.keyPem) });
      row = await CertificateAuthorityStore.byName(this.dataSource, name);
      if (!row) throw new Error(`the ${name} identity was neither inserted nor found`);
      this.logger.log(`${name} identity created`);
    }
    let keyPem: string;
    try {
      keyPem = this.secrets.openString(row.keySealed);
    } catch {
      throw new Error(`the stored ${name} key cannot be opened with MDM_SECRET_KEY: the key changed since it was sealed (restore the original MDM_SECRET_KEY)`);
    }
    const identity = { certPem: row.certPem, keyPem };
    this.cache.set(name, identity);
    return identity;
  }
}
