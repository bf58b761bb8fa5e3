import { type DynamicModule, Module } from '@nestjs/common';
import { SecretBox } from '@mdm/pki';
import { InfrastructureModule } from '@mdm/service-kit';
import { ProfileMetrics } from './metrics/profile-metrics.service';
import { PROFILE_CONFIG, type ProfileConfig } from './profile.config';
import { AssignmentsController } from './assignments/assignments.controller';
import { AssignmentsService } from './assignments/assignments.service';
import { DeviceGroupsController } from './assignments/device-groups.controller';
import { DeviceGroupsService } from './assignments/device-groups.service';
import { DeviceResultsConsumer } from './assignments/device-results.consumer';
import { ProfileCommandsSubmitter } from './assignments/profile-commands.submitter';
import { ReconcileSweep } from './assignments/reconcile-sweep';
import { ReconcilerService } from './assignments/reconciler.service';
import { ProfileSignerService } from './profiles/profile-signer.service';
import { ProfilesController } from './profiles/profiles.controller';
import { ProfilesService } from './profiles/profiles.service';

/**
 * Configuration profiles: definitions checked against Apple's schema, versions, and the signed
 * .mobileconfig; assignment to devices and groups, and the desired vs installed state per device,
 * reconciled through InstallProfile / RemoveProfile / ProfileList commands of the command service.
 */
@Module({})
export class ProfileModule {
  static forRoot(config: ProfileConfig): DynamicModule {
    return {
      module: ProfileModule,
      imports: [
        InfrastructureModule.forRoot(config, { feed: { intervalMs: config.PROFILE_FEED_INTERVAL_MS } }),
      ],
      controllers: [ProfilesController, AssignmentsController, DeviceGroupsController],
      providers: [
        { provide: PROFILE_CONFIG, useValue: config },
        { provide: SecretBox, useValue: SecretBox.fromKey(config.MDM_SECRET_KEY) },
        ProfileSignerService,
        ProfilesService,
        ReconcilerService,
        ProfileCommandsSubmitter,
        AssignmentsService,
        DeviceGroupsService,
        DeviceResultsConsumer,
        ReconcileSweep,
        ProfileMetrics,
      ],
    };
  }
}
