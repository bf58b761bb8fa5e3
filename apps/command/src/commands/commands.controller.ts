import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { CommandDevicesQuery, CommandListQuery, type CommandView, CreateCommandsRequest, DeviceCommandsQuery, Udid } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { CommandsService, type Queued, type QueuedCommand } from './commands.service';

@Controller('v1')
export class CommandsController {
  constructor(
    private readonly commands: CommandsService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post('commands')
  @HttpCode(201)
  async create(@Body() body: unknown, @Headers('idempotency-key') key: string | undefined): Promise<CommandView> {
    const req = parseOr400(CreateCommandsRequest, body);
    let queued: Queued | undefined;
    const once = await this.idempotency.run('POST /v1/commands', key, body, async (tx): Promise<QueuedCommand> => {
      queued = await this.commands.queue(tx, req);
      const { commandUuid, requestType, devices, warnings, correlationId } = queued;
      return { commandUuid, requestType, devices, warnings, correlationId };
    });
    return queued && !once.replayed ? this.commands.answer(queued) : this.commands.replay(once.value);
  }

  /** The commands with their counts per status: `CommandListQuery` in @mdm/contracts. */
  @Get('commands')
  list(@Query() query: unknown): ReturnType<CommandsService['list']> {
    return this.commands.list(parseOr400(CommandListQuery, query ?? {}, 'query'));
  }

  /** The command with a page of its devices: `CommandDevicesQuery` in @mdm/contracts. */
  @Get('commands/:uuid')
  get(@Param('uuid') uuid: string, @Query() query: unknown): Promise<CommandView> {
    const page = parseOr400(CommandDevicesQuery, query ?? {}, 'query');
    return this.commands.get(parseOr400(z.string().uuid('must be a command UUID'), uuid, 'commandUuid'), page);
  }

  /** A device's command history: `DeviceCommandsQuery` in @mdm/contracts. */
  @Get('devices/:udid/commands')
  history(@Param('udid') udid: string, @Query() query: unknown): ReturnType<CommandsService['history']> {
    const q = parseOr400(DeviceCommandsQuery, query ?? {}, 'query');
    return this.commands.history(parseOr400(Udid, udid, 'udid'), q);
  }
}
