import { type DynamicModule, Module } from '@nestjs/common';
import { Queue } from '@mdm/contracts';
import { SecretBox } from '@mdm/pki';
import { InfrastructureModule } from '@mdm/service-kit';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysService } from './api-keys/api-keys.service';
import { ApiKeyVerifyController } from './api-keys/api-key-verify.controller';
import { ApnsCertificateController } from './apns-certificate/apns-certificate.controller';
import { ApnsCertificateService } from './apns-certificate/apns-certificate.service';
import { ApnsCertificateExpiryProcessor } from './apns-certificate/apns-certificate-expiry.processor';
import { CheckinController } from './checkin/checkin.controller';
import { CheckinService } from './checkin/checkin.service';
import { DeviceCaController } from './device-ca/device-ca.controller';
import { DeviceCaService } from './device-ca/device-ca.service';
import { DevicesController } from './devices/devices.controller';
import { DevicesService } from './devices/devices.service';
import { DeviceFactsConsumer } from './devices/device-facts.consumer';
import { DeviceSeenProcessor } from './devices/device-seen.processor';
import { EventsController } from './events/events.controller';
import { EnrollmentConfigurationsController } from './enroll/enrollment-configurations.controller';
import { EnrollmentProfileController } from './enroll/enrollment-profile.controller';
import { EnrollmentProfileService } from './enroll/enrollment-profile.service';
import { ChallengeService } from './scep/challenge.service';
import { ScepController } from './scep/scep.controller';
import { ScepService } from './scep/scep.service';
import { ENROLLMENT_CONFIG, type EnrollmentConfig } from './enrollment.config';

/** Check-in, device identity and the server's identity (device CA, push certificates). */
@Module({})
export class EnrollmentModule {
  static forRoot(config: EnrollmentConfig): DynamicModule {
    return {
      module: EnrollmentModule,
      imports: [
        InfrastructureModule.forRoot(config, { consume: [Queue.Enrollment], feed: { intervalMs: config.ENROLLMENT_FEED_INTERVAL_MS } }),
      ],
      controllers: [CheckinController, DevicesController, ApnsCertificateController, DeviceCaController, EventsController, ScepController, EnrollmentProfileController, EnrollmentConfigurationsController, ApiKeysController, ApiKeyVerifyController],
      providers: [
        { provide: ENROLLMENT_CONFIG, useValue: config },
        { provide: SecretBox, useValue: SecretBox.fromKey(config.MDM_SECRET_KEY) },
        CheckinService,
        DevicesService,
        DeviceSeenProcessor,
        DeviceFactsConsumer,
        ApnsCertificateService,
        ApnsCertificateExpiryProcessor,
        DeviceCaService,
        ChallengeService,
        ScepService,
        EnrollmentProfileService,
        ApiKeysService,
      ],
    };
  }
}
