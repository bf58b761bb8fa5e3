import type { INestApplication } from '@nestjs/common';
import { type Application, raw } from 'express';
import { DEVICE_ROUTES, DeviceRelay } from './device/device-relay';
import { applyHttpTimeouts, serveFastRoutes, startHttpService } from '@mdm/service-kit';
import { loadGatewayConfig } from './gateway.config';
import { GatewayModule } from './gateway.module';
import { RateLimiter } from './rate-limit/rate-limiter';

export async function bootstrap(env?: NodeJS.ProcessEnv): Promise<INestApplication> {
  const config = loadGatewayConfig(env);
  return startHttpService(GatewayModule.forRoot(config), {
    name: 'gateway',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    logFormat: config.LOG_FORMAT,
    // The public port must not show the process's internals: Prometheus scrapes an internal port instead.
    metricsListener: { port: config.METRICS_PORT, host: config.METRICS_HOST },
    configure: (app) => {
      // The public edge: a client trickling headers or a body a byte at a time is cut off
      // (408) instead of holding a socket forever. The idle timeout outlasts the longest an
      // upstream may take to answer, so a waiting device is never cut off by it.
      applyHttpTimeouts(app.getHttpServer(), {
        headersTimeoutMs: config.MDM_HEADERS_TIMEOUT_MS,
        requestTimeoutMs: config.MDM_REQUEST_TIMEOUT_MS,
        keepAliveTimeoutMs: config.MDM_KEEPALIVE_TIMEOUT_MS,
        socketIdleTimeoutMs: Math.max(config.MDM_REQUEST_TIMEOUT_MS, config.UPSTREAM_TIMEOUT_MS) + 30_000,
      });
      // Rates per client address before anything else, so a flood costs no body read.
      // /openapi.json too: every key it is asked with may cost a lookup in the enrollment service.
      app.use(['/mdm', '/v1', '/scep', '/openapi.json'], app.get(RateLimiter).addressMiddleware);
      // Bodies stay raw: device signatures cover the exact bytes, and admin bodies are forwarded as sent.
      app.use(['/mdm', '/v1', '/scep'], raw({ type: () => true, limit: config.MDM_MAX_BODY_BYTES }));
      // Device endpoints ahead of Express and Nest: the hot path, authenticated by the device itself.
      const devices = app.get(DeviceRelay);
      serveFastRoutes(app, devices.fastRoutes(config.MDM_MAX_BODY_BYTES));
      const express = app.getHttpAdapter().getInstance() as Application;
      for (const route of Object.keys(DEVICE_ROUTES)) express.put(route, devices.expressHandler(route));
    },
  });
}
