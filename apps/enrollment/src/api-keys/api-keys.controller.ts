import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { ApiKeyListQuery, type ApiKeyView, CreateApiKeyRequest, type CreatedApiKey } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { ApiKeysService } from './api-keys.service';

const Id = z.string().uuid('must be an API key id');

/** `/v1/api-keys`: the gateway lets only `admin` keys (and MDM_API_KEY) reach these. */
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown): Promise<CreatedApiKey> {
    return this.keys.create(parseOr400(CreateApiKeyRequest, body));
  }

  @Get()
  list(@Query() query: unknown): ReturnType<ApiKeysService['list']> {
    return this.keys.list(parseOr400(ApiKeyListQuery, query ?? {}, 'query'));
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<ApiKeyView> {
    return this.keys.get(parseOr400(Id, id, 'id'));
  }

  /** Revokes (the row stays, with `revokedAt`) and answers the key as it is now. */
  @Delete(':id')
  @HttpCode(200)
  revoke(@Param('id') id: string): Promise<ApiKeyView> {
    return this.keys.revoke(parseOr400(Id, id, 'id'));
  }
}
