import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { CreateCommandsRequest, PagingQuery, Udid } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { CommandsService, type CommandView } from './commands.service';

const CommandDevicesPage = PagingQuery.extend({ limit: z.coerce.number().int().min(1).max(10000).default(1000) });

@Controller('v1')
export class CommandsController {
  constructor(private readonly commands: CommandsService) {}

  @Post('commands')
  @HttpCode(201)
  create(@Body() body: unknown): Promise<CommandView> {
    return this.commands.create(parseOr400(CreateCommandsRequest, body));
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
