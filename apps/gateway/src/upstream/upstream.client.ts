import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
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

/** One hop from the edge to the service that owns the work, over keep-alive HTTP. */
@Injectable()
export class UpstreamClient {
  private readonly base: Record<Upstream, string>;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.base = {
      enrollment: config.ENROLLMENT_SERVICE_URL.replace(/\/$/, ''),
      command: config.COMMAND_SERVICE_URL.replace(/\/$/, ''),
      profile: config.PROFILE_SERVICE_URL.replace(/\/$/, ''),
      integrations: config.INTEGRATIONS_SERVICE_URL.replace(/\/$/, ''),
    };
  }

  async forward(
    service: Upstream,
    method: string,
    pathAndQuery: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<UpstreamResponse> {
    let res: Response;
    try {
      res = await fetch(this.base[service] + pathAndQuery, {
        method,
        // The request id follows the request to the owning service, whose log lines then carry it too.
        headers: { ...headers, ...requestIdHeaders() },
        body: body && body.length ? body : undefined,
        signal: AbortSignal.timeout(this.config.UPSTREAM_TIMEOUT_MS),
      });
    } catch (err) {
      // The device or operator retries; nothing was applied because the owner never answered.
      throw new ServiceUnavailableException(`${service} service unavailable: ${(err as Error).message}`);
    }
    const passOn: UpstreamResponse['headers'] = {};
    for (const h of ['content-disposition', 'cache-control'] as const) {
      const v = res.headers.get(h);
      if (v) passOn[h] = v;
    }
    return { status: res.status, contentType: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()), headers: passOn };
  }

  async healthy(service: Upstream): Promise<boolean> {
    try {
      const res = await fetch(`${this.base[service]}/health`, { signal: AbortSignal.timeout(2000) });
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
