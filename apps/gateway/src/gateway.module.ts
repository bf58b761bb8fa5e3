import { type DynamicModule, Module } from '@nestjs/common';
import { AdminController } from './admin/admin.controller';
import { DocsController } from './admin/docs.controller';
import { ApiKeyGuard } from './admin/api-key.guard';
import { DeviceAuthService } from './device/device-auth.service';
import { DeviceController } from './device/device.controller';
import { DeviceTrustService } from './device/device-trust.service';
import { EnrollmentController } from './device/enrollment.controller';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway.config';
import { GatewayHealthController } from './health/gateway-health.controller';
import { UpstreamClient } from './upstream/upstream.client';

/** The only HTTP edge: device endpoints and the admin API. Holds no state of its own. */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [DeviceController, EnrollmentController, AdminController, DocsController, GatewayHealthController],
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }, UpstreamClient, DeviceTrustService, DeviceAuthService, ApiKeyGuard],
    };
  }
}
