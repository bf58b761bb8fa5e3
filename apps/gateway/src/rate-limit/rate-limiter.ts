import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { answerJson } from '@mdm/service-kit';
import { TrustedProxies } from '../device/trusted-proxies';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { clientAddress } from './client-address';
import { TokenBuckets, type TakeResult } from './token-bucket';

/**
 * Request rates at the edge, per client address (device endpoints, SCEP, the enrollment profile and
 * the admin API) and per device certificate (check-in and connect, after authentication, so nobody
 * can spend a device's budget by merely naming it). In memory, per gateway replica.
 */
@Injectable()
export class RateLimiter {
  private readonly perAddress: TokenBuckets;
  private readonly perDevice: TokenBuckets;
  private readonly proxies: TrustedProxies;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.perAddress = new TokenBuckets({ ratePerSecond: config.MDM_RATE_LIMIT_IP_PER_SECOND, burst: config.MDM_RATE_LIMIT_IP_BURST });
    this.perDevice = new TokenBuckets({ ratePerSecond: config.MDM_RATE_LIMIT_DEVICE_PER_SECOND, burst: config.MDM_RATE_LIMIT_DEVICE_BURST });
    this.proxies = new TrustedProxies(config.MDM_TRUSTED_PROXIES);
  }

  /**
   * Express middleware, mounted before the body parser: a refused request costs no body read, no
   * signature check and no hop.
   */
  readonly addressMiddleware = (req: Request, res: Response, next: NextFunction): void => {
    if (this.admitAddress(req, res)) next();
  };

  /** The per-address limit for a request: true to go on, false when it answered 429. */
  admitAddress(req: IncomingMessage, res: ServerResponse): boolean {
    // Off (MDM_RATE_LIMIT_IP_PER_SECOND=0, e.g. behind a proxy that limits): no address to work out.
    if (!this.perAddress.enabled) return true;
    const address = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.proxies);
    const verdict = this.perAddress.take(address);
    if (verdict.allowed) return true;
    refuse(res, verdict, `too many requests from ${address}`);
    return false;
  }

  /** For an authenticated device (by certificate fingerprint): true to go on, false when it answered 429. */
  allowDevice(fingerprint: string, res: ServerResponse): boolean {
    const verdict = this.perDevice.take(fingerprint);
    if (verdict.allowed) return true;
    refuse(res, verdict, 'too many requests from this device');
    return false;
  }
}

function refuse(res: ServerResponse, verdict: Extract<TakeResult, { allowed: false }>, what: string): void {
  answerJson(res, 429, { statusCode: 429, message: `${what}: slow down and retry after ${verdict.retryAfterSeconds} s` }, { 'retry-after': String(verdict.retryAfterSeconds) });
}
