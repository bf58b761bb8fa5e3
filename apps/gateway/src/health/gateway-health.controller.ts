import { Controller, Get, HttpException } from '@nestjs/common';
import { livenessAnswer } from '@mdm/service-kit';
import { Public } from '../admin/api-key.guard';
import { type Upstream, UpstreamClient } from '../upstream/upstream.client';

const UPSTREAMS: Upstream[] = ['enrollment', 'command', 'profile', 'integrations'];

@Controller()
@Public('probes of the orchestrator and load balancer; they answer only ok or which service is unreachable')
export class GatewayHealthController {
  constructor(private readonly upstream: UpstreamClient) {}

  @Get('health')
  health(): { status: 'ok'; pid: number } {
    return livenessAnswer();
  }

  /** Ready when every service behind the edge answers. */
  @Get('ready')
  async ready(): Promise<{ status: 'ok'; checks: Record<string, string> }> {
    const results = await Promise.all(UPSTREAMS.map(async (u) => [u, (await this.upstream.healthy(u)) ? 'ok' : 'unreachable'] as const));
    const checks = Object.fromEntries(results);
    if (results.some(([, v]) => v !== 'ok')) throw new HttpException({ status: 'unavailable', checks }, 503);
    return { status: 'ok', checks };
  }
}
