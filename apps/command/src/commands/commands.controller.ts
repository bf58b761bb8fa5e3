import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { CreateCommandsRequest, PagingQuery, Udid } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { CommandsService, type CommandView } from './commands.service';

const CommandDevicesPage = PagingQuery.extend({ limit: z.coerce.number().int().min(1).max(10000).default(1000) });

@Controller('v1')
export class CommandsController {
  constructor(
    private readonly commands: CommandsService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post('commands')
  @HttpCode(201)
  create(@Body() body: unknown, @Headers('idempotency-key') key: string | undefined): Promise<CommandView> {
    const req = parseOr400(CreateCommandsRequest, body);
    return this.idempotency.run('POST /v1/commands', key, body, () => this.commands.create(req));
  }

  @Get('commands/:uuid')
  get(@Param('uuid') uuid: string, @Query() query: unknown): Promise<CommandView> {
    const page = parseOr400(CommandDevicesPage, query, 'query');
    return this.commands.get(parseOr400(z.string().uuid('must be a command UUID'), uuid, 'commandUuid'), page);
  }

  @Get('devices/:udid/commands')
  history(@Param('udid') udid: string, @Query() query: unknown): ReturnType<CommandsService['history']> {
    const q = parseOr400(PagingQuery, query, 'query');
    return this.commands.history(parseOr400(Udid, udid, 'udid'), q.limit, q.offset);
  }
}
