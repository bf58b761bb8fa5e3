import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { ApiKeyVerdict } from '@mdm/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { UpstreamClient } from '../upstream/upstream.client';
import { ApiKeyAuthenticator, type Authentication } from './api-key-authenticator';

/** The gateway's API key check: the authenticator, asking the enrollment service (which owns `api_keys`). */
@Injectable()
export class ApiKeyVerifier {
  private readonly authenticator: ApiKeyAuthenticator;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, private readonly upstream: UpstreamClient) {
    this.authenticator = new ApiKeyAuthenticator(config.MDM_API_KEY, (secret) => this.ask(secret));
  }

  authenticate(token: string): Promise<Authentication> {
    return this.authenticator.authenticate(token);
  }

  forget(keyId: string): void {
    this.authenticator.forget(keyId);
  }

  private async ask(secret: string): Promise<ApiKeyVerdict> {
    const res = await this.upstream.forward('enrollment', 'POST', '/internal/api-keys/verify', { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ secret })));
    if (res.status !== 200) throw new ServiceUnavailableException(`cannot verify the API key: the enrollment service answered HTTP ${res.status}`);
    let body: unknown;
    try {
      body = JSON.parse(res.body.toString('utf8'));
    } catch {
      body = undefined;
    }
    const parsed = ApiKeyVerdict.safeParse(body);
    if (!parsed.success) throw new ServiceUnavailableException('cannot verify the API key: the enrollment service did not answer a verdict');
    return parsed.data;
  }
}
