import { Inject, Injectable, InternalServerErrorException, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CertificateAuthorityStore } from '@mdm/persistence';
import { type CmsSigner, SecretBox } from '@mdm/pki';
import { PROFILE_CONFIG, type ProfileConfig } from '../profile.config';

// The row the enrollment service writes (apps/enrollment/src/device-ca/device-ca.service.ts).
const PROFILE_SIGNER = 'profile-signer';

/**
 * The identity configuration profiles are signed with: the same one that signs enrollment profiles,
 * so devices see one signer. The enrollment service owns it; this service reads its sealed row and
 * opens it with the shared MDM_SECRET_KEY rather than asking enrollment for a private key over HTTP.
 */
@Injectable()
export class ProfileSignerService {
  private cached: CmsSigner | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(PROFILE_CONFIG) private readonly config: ProfileConfig,
    private readonly secrets: SecretBox,
  ) {}

  async signer(): Promise<CmsSigner> {
    if (this.config.profileSigner) return this.config.profileSigner;
    if (this.cached) return this.cached;
    const row = await CertificateAuthorityStore.byName(this.db, PROFILE_SIGNER);
    if (!row) {
      // The enrollment service creates it at its first start, right after the device CA.
      throw new ServiceUnavailableException(
        'no profile-signing identity yet: the enrollment service creates it on its first start; start it, then retry',
      );
    }
    this.cached = { certPem: row.certPem, keyPem: this.open(PROFILE_SIGNER, row.keySealed) };
    return this.cached;
  }

  private open(name: string, sealed: string): string {
    try {
      return this.secrets.openString(sealed);
    } catch {
      throw new InternalServerErrorException(
        `the stored ${name} key cannot be opened with MDM_SECRET_KEY: the profile service must run with the same MDM_SECRET_KEY as enrollment`,
      );
    }
  }
}
