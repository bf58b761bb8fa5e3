import { type DynamicModule, Module } from '@nestjs/common';
import { SecretBox } from '@mdm/pki';
import { InfrastructureModule } from '@mdm/service-kit';
import { PROFILE_CONFIG, type ProfileConfig } from './profile.config';
import { ProfileSignerService } from './profiles/profile-signer.service';
import { ProfilesController } from './profiles/profiles.controller';
import { ProfilesService } from './profiles/profiles.service';

/**
 * Configuration profiles: definitions checked against Apple's schema, versions, and the signed
 * .mobileconfig. Assignment to devices and desired vs installed state come next.
 */
@Module({})
export class ProfileModule {
  static forRoot(config: ProfileConfig): DynamicModule {
    return {
      module: ProfileModule,
      imports: [
        InfrastructureModule.forRoot(config),
      ],
      controllers: [ProfilesController],
      providers: [
        { provide: PROFILE_CONFIG, useValue: config },
        { provide: SecretBox, useValue: SecretBox.fromKey(config.MDM_SECRET_KEY) },
        ProfileSignerService,
        ProfilesService,
      ],
    };
  }
}
