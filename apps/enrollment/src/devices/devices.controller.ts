import { Controller, Get, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { PagingQuery, Udid } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { DevicesService, type DeviceView } from './devices.service';

const Bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const DeviceListQuery = PagingQuery.extend({
  enrolled: Bool.optional(),
  supervised: Bool.optional(),
  os: z.string().min(1).optional(),
});

@Controller('v1/devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get()
  list(@Query() query: unknown): ReturnType<DevicesService['list']> {
    const q = parseOr400(DeviceListQuery, query, 'query');
    return this.devices.list({ ...q, osVersion: q.os });
  }

  @Get(':udid')
  get(@Param('udid') udid: string): Promise<DeviceView> {
    return this.devices.get(parseOr400(Udid, udid, 'udid'));
  }
}
