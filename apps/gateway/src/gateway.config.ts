import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BaseEnv, ConfigError, loadConfig } from '@mdm/service-kit';
import { TrustedProxies } from './device/trusted-proxies';

const ServiceUrl = z.string().url().regex(/^https?:\/\//, 'must be an http(s):// URL');

export const GatewayEnv = BaseEnv.omit({ DATABASE_URL: true, DB_MIGRATE: true, DB_POOL_SIZE: true }).extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  /** The gateway is the public edge, so it listens on all interfaces unless told otherwise. */
  HOST: z.string().default('0.0.0.0'),
  /**
   * Prometheus scrapes the gateway here, on a listener of its own (`/metrics`, `/health`): the public port
   * has no /metrics. Never route it to the outside. 9464 is clear of the services' 8080-8085 and of
   * Prometheus' own 9090 (it is the port of OpenTelemetry's Prometheus exporter).
   */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9464),
  /** Where the metrics listener binds; HOST when unset. */
  METRICS_HOST: z.string().min(1).optional(),
  MDM_API_KEY: z
    .string({ message: 'is required: the bearer token for the admin API (at least 16 characters)' })
    .min(16, 'must be at least 16 characters'),
  /** PEM bundle of extra CAs whose device certificates are trusted (besides the server's own device CA). */
  MDM_DEVICE_CA_FILE: z.string().optional(),
  /** Header in which a TLS-terminating proxy forwards the client certificate (nginx: $ssl_client_escaped_cert). */
  MDM_CLIENT_CERT_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name')
    .default('X-Ssl-Client-Cert')
    .transform((h) => h.toLowerCase()),
  /**
   * Peers (addresses or CIDR ranges, comma-separated) whose MDM_CLIENT_CERT_HEADER is believed: the
   * TLS proxy in front of the gateway. Empty: forwarded certificates are never accepted.
   */
  MDM_TRUSTED_PROXIES: z
    .string()
    .default('127.0.0.1,::1')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
  MDM_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  MDM_CA_REFRESH_SECONDS: z.coerce.number().int().min(1).default(60),
  ENROLLMENT_SERVICE_URL: ServiceUrl.default('http://127.0.0.1:8081'),
  COMMAND_SERVICE_URL: ServiceUrl.default('http://127.0.0.1:8082'),
  PROFILE_SERVICE_URL: ServiceUrl.default('http://127.0.0.1:8084'),
  INTEGRATIONS_SERVICE_URL: ServiceUrl.default('http://127.0.0.1:8085'),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).default(30000),
  /**
   * Request rates (token buckets in memory, per gateway replica): per client address on /mdm, /scep
   * and /v1, per device certificate on check-in and connect. A rate of 0 turns that limit off.
   */
  MDM_RATE_LIMIT_IP_PER_SECOND: z.coerce.number().min(0).default(50),
  MDM_RATE_LIMIT_IP_BURST: z.coerce.number().int().min(1).default(200),
  MDM_RATE_LIMIT_DEVICE_PER_SECOND: z.coerce.number().min(0).default(10),
  MDM_RATE_LIMIT_DEVICE_BURST: z.coerce.number().int().min(1).default(50),
  /** Slow clients: the whole header block must arrive within this (slowloris). */
  MDM_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(15000),
  /** The whole request, headers and body, must arrive within this. */
  MDM_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(60000),
  /** An idle keep-alive connection is closed after this. */
  MDM_KEEPALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
});
export type GatewayConfig = Omit<z.infer<typeof GatewayEnv>, 'METRICS_HOST'> & { METRICS_HOST: string; extraDeviceCaPem: string };

export const GATEWAY_CONFIG = Symbol('GatewayConfig');

export function loadGatewayConfig(env?: NodeJS.ProcessEnv): GatewayConfig {
  const config = loadConfig(GatewayEnv, env);
  let extraDeviceCaPem = '';
  if (config.MDM_DEVICE_CA_FILE) {
    try {
      extraDeviceCaPem = readFileSync(config.MDM_DEVICE_CA_FILE, 'utf8');
    } catch (err) {
      throw new Error(`invalid configuration:\n  MDM_DEVICE_CA_FILE: cannot read ${config.MDM_DEVICE_CA_FILE}: ${(err as Error).message}`);
    }
    if (!extraDeviceCaPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new Error(`invalid configuration:\n  MDM_DEVICE_CA_FILE: ${config.MDM_DEVICE_CA_FILE} holds no PEM certificate`);
    }
  }
  if (config.MDM_HEADERS_TIMEOUT_MS > config.MDM_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('invalid configuration:\n  MDM_HEADERS_TIMEOUT_MS: must not be longer than MDM_REQUEST_TIMEOUT_MS');
  }
  if (config.METRICS_PORT === config.PORT) {
    throw new ConfigError(`invalid configuration:\n  METRICS_PORT: must differ from PORT (${config.PORT}): metrics stay off the public port`);
  }
  try {
    new TrustedProxies(config.MDM_TRUSTED_PROXIES);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  MDM_TRUSTED_PROXIES: ${(err as Error).message}`);
  }
  return { ...config, METRICS_HOST: config.METRICS_HOST ?? config.HOST, extraDeviceCaPem };
}
