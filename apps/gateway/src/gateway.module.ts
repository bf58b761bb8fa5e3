import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AdminController } from './admin/admin.controller';
import { DocsController } from './admin/docs.controller';
import { EventStreamController } from './admin/event-stream.controller';
import { ConsoleController } from './console/console.controller';
import { ApiKeyGuard } from './admin/api-key.guard';
import { ApiKeyVerifier } from './admin/api-key-verifier';
import { DeviceAuthService } from './device/device-auth.service';
import { DeviceRelay } from './device/device-relay';
import { DeviceTrustService } from './device/device-trust.service';
import { EnrollmentController } from './device/enrollment.controller';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway.config';
import { GatewayHealthController } from './health/gateway-health.controller';
import { RateLimiter } from './rate-limit/rate-limiter';
import { UpstreamClient } from './upstream/upstream.client';

/**
 * The only HTTP edge: device endpoints and the admin API. Holds no state of its own. Every route needs an
 * API key (ApiKeyGuard, global) unless its controller or handler is marked `@Public` with the reason; the
 * device endpoints are plain Express handlers (DeviceRelay, registered in bootstrap), public by design.
 */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [EnrollmentController, EventStreamController, AdminController, DocsController, ConsoleController, GatewayHealthController],
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }, UpstreamClient, DeviceTrustService, DeviceAuthService, DeviceRelay, { provide: APP_GUARD, useClass: ApiKeyGuard }, ApiKeyVerifier, RateLimiter],
    };
  }
}
