import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { createCertificateAuthority, SecretBox } from '@mdm/pki';
import { CertificateAuthorityEntity } from '@mdm/persistence';
import { ENROLLMENT_CONFIG, type EnrollmentConfig } from '../enrollment.config';

const DEVICE_CA = 'device';

/**
 * The server's own device CA. Created on first start (its key sealed at rest); every replica and
 * restart after that reuses the same one, so issued identities stay valid.
 */
@Injectable()
export class DeviceCaService implements OnModuleInit {
  private readonly logger = new Logger(DeviceCaService.name);
  private cached: CertificateAuthorityEntity | undefined;

  constructor(
    @InjectRepository(CertificateAuthorityEntity) private readonly cas: Repository<CertificateAuthorityEntity>,
    @Inject(ENROLLMENT_CONFIG) private readonly config: EnrollmentConfig,
    private readonly secrets: SecretBox,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.ensure();
  }

  async certificatePem(): Promise<string> {
    return (await this.ensure()).certPem;
  }

  private async ensure(): Promise<CertificateAuthorityEntity> {
    if (this.cached) return this.cached;
    let ca = await this.cas.findOneBy({ name: DEVICE_CA });
    if (!ca) {
      const created = await createCertificateAuthority({ commonName: this.config.MDM_DEVICE_CA_NAME, validityDays: 3650 });
      // Two replicas starting together: the first insert wins, the other reads it back.
      await this.cas
        .createQueryBuilder()
        .insert()
        .values({ name: DEVICE_CA, certPem: created.certPem, keySealed: this.secrets.seal(created.keyPem) })
        .orIgnore()
        .execute();
      ca = await this.cas.findOneByOrFail({ name: DEVICE_CA });
      this.logger.log('device CA ready');
    }
    this.cached = ca;
    return ca;
  }
}
