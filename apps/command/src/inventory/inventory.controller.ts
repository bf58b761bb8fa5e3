import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { type DeviceInventoryView, InventoryHistoryQuery, type InventoryHistoryView, type InventoryRefreshView, RefreshInventoryRequest, Udid } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { InventoryRefreshService } from './inventory-refresh.service';
import { InventoryViewService } from './inventory-view.service';

@Controller('v1')
export class InventoryController {
  constructor(
    private readonly refresh: InventoryRefreshService,
    private readonly views: InventoryViewService,
  ) {}

  @Get('devices/:udid/inventory')
  inventory(@Param('udid') udid: string): Promise<DeviceInventoryView> {
    return this.views.inventory(parseOr400(Udid, udid, 'udid'));
  }

  @Get('devices/:udid/inventory/history')
  history(@Param('udid') udid: string, @Query() query: unknown): Promise<InventoryHistoryView> {
    return this.views.history(parseOr400(Udid, udid, 'udid'), parseOr400(InventoryHistoryQuery, query));
  }

  @Post('devices/:udid/inventory/refresh')
  @HttpCode(202)
  refreshOne(@Param('udid') udid: string): Promise<InventoryRefreshView> {
    return this.refresh.refreshUdids([parseOr400(Udid, udid, 'udid')]);
  }

  @Post('inventory/refresh')
  @HttpCode(202)
  refreshMany(@Body() body: unknown): Promise<InventoryRefreshView> {
    return this.refresh.refreshUdids(parseOr400(RefreshInventoryRequest, body).udids);
  }
}
