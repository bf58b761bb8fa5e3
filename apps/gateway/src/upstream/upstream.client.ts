import * as http from 'node:http';
import * as https from 'node:https';
import { Inject, Injectable, type OnApplicationShutdown, ServiceUnavailableException } from '@nestjs/common';
import type { Response as ExpressResponse } from 'express';
import { requestIdHeaders } from '@mdm/service-kit';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

export type Upstream = 'enrollment' | 'command' | 'profile' | 'integrations';

export interface UpstreamResponse {
  status: number;
  contentType: string | null;
  body: Buffer;
  /** Headers worth passing on to the client (download name, caching). */
  headers?: Partial<Record<'content-disposition' | 'cache-control', string>>;
}

const PASSED_ON = ['content-disposition', 'cache-control'] as const;

/**
 * One hop from the edge to the service that owns the work, over keep-alive HTTP. `node:http` with a
 * keep-alive Agent rather than fetch: a device check-in is one such hop, and fetch's streams cost more
 * CPU than the rest of the relay. The Agent honours the services' Keep-Alive timeout hint, so an idle
 * socket is dropped before the service closes it.
 */
@Injectable()
export class UpstreamClient implements OnApplicationShutdown {
  private readonly base: Record<Upstream, URL>;
  private readonly httpAgent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, scheduling: 'lifo' });

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    const url = (raw: string) => new URL(raw.replace(/\/$/, ''));
    this.base = {
      enrollment: url(config.ENROLLMENT_SERVICE_URL),
      command: url(config.COMMAND_SERVICE_URL),
      profile: url(config.PROFILE_SERVICE_URL),
      integrations: url(config.INTEGRATIONS_SERVICE_URL),
    };
  }

  onApplicationShutdown(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  forward(service: Upstream, method: string, pathAndQuery: string, headers: Record<string, string>, body?: Buffer): Promise<UpstreamResponse> {
    const base = this.base[service];
    return new Promise<UpstreamResponse>((resolve, reject) => {
      // The device or operator retries; nothing was applied because the owner never answered.
      const unavailable = (err: Error) => {
        clearTimeout(timer);
        reject(new ServiceUnavailableException(`${service} service unavailable: ${err.message}`));
      };
      const outgoing: Record<string, string | number> = { ...headers, ...requestIdHeaders() };
      if (body && body.length) outgoing['content-length'] = body.length;
      const secure = base.protocol === 'https:';
      const req = (secure ? https.request : http.request)(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          path: base.pathname.replace(/\/$/, '') + pathAndQuery,
          method,
          // The request id follows the request to the owning service, whose log lines then carry it too.
          headers: outgoing,
          agent: secure ? this.httpsAgent : this.httpAgent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', unavailable);
          res.on('end', () => {
            clearTimeout(timer);
            if (!res.complete) return unavailable(new Error('the answer was cut off'));
            const passOn: UpstreamResponse['headers'] = {};
            for (const h of PASSED_ON) {
              const v = res.headers[h];
              if (typeof v === 'string') passOn[h] = v;
            }
            resolve({ status: res.statusCode ?? 502, contentType: res.headers['content-type'] ?? null, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), headers: passOn });
          });
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.config.UPSTREAM_TIMEOUT_MS} ms`)), this.config.UPSTREAM_TIMEOUT_MS);
      req.on('error', unavailable);
      req.end(body && body.length ? body : undefined);
    });
  }

  async healthy(service: Upstream): Promise<boolean> {
    try {
      const res = await fetch(`${this.base[service].href.replace(/\/$/, '')}/health`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  }
}

/** Sends the owning service's answer on to the client: status, type, body and the headers that matter. */
export function relay(res: ExpressResponse, answer: UpstreamResponse): void {
  res.status(answer.status);
  if (answer.contentType) res.type(answer.contentType);
  for (const [h, v] of Object.entries(answer.headers ?? {})) res.setHeader(h, v);
  res.send(answer.body);
}
