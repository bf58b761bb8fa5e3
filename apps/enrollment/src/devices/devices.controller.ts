import { Controller, Get, Param, Query } from '@nestjs/common';
import { type DeviceList, DeviceListQuery, type DeviceView, Udid } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { DevicesService } from './devices.service';

@Controller('v1/devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  /** Filters, sort fields and paging: `DeviceListQuery` in @mdm/contracts. */
  @Get()
  list(@Query() query: unknown): Promise<DeviceList> {
    return this.devices.list(parseOr400(DeviceListQuery, query ?? {}, 'query'));
  }

  @Get(':udid')
  get(@Param('udid') udid: string): Promise<DeviceView> {
    return this.devices.get(parseOr400(Udid, udid, 'udid'));
  }
}
