import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { type ApiKeyVerdict, VerifyApiKeyRequest } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { ApiKeysService } from './api-keys.service';

/** Internal: the gateway asks whether a presented secret is a live key, and with which scopes. */
@Controller('internal/api-keys')
export class ApiKeyVerifyController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post('verify')
  @HttpCode(200)
  verify(@Body() body: unknown): Promise<ApiKeyVerdict> {
    return this.keys.verify(parseOr400(VerifyApiKeyRequest, body).secret);
  }
}
