import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { CreateDeviceGroupRequest, DeviceGroupListQuery, type DeviceGroupView, GroupMembersRequest, UpdateDeviceGroupRequest } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { DeviceGroupsService } from './device-groups.service';

const GroupId = z.string().uuid('must be a device group id');

/** `/v1/device-groups`: targets for profile assignments. */
@Controller('v1/device-groups')
export class DeviceGroupsController {
  constructor(private readonly groups: DeviceGroupsService) {}

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown): Promise<DeviceGroupView> {
    return this.groups.create(parseOr400(CreateDeviceGroupRequest, body));
  }

  @Get()
  list(@Query() query: unknown): ReturnType<DeviceGroupsService['list']> {
    return this.groups.list(parseOr400(DeviceGroupListQuery, query ?? {}, 'query'));
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<DeviceGroupView> {
    return this.groups.get(parseOr400(GroupId, id, 'id'));
  }

  @Patch(':id')
  update(@Param('id') id: string, @Body() body: unknown): Promise<DeviceGroupView> {
    return this.groups.update(parseOr400(GroupId, id, 'id'), parseOr400(UpdateDeviceGroupRequest, body));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    await this.groups.remove(parseOr400(GroupId, id, 'id'));
  }

  @Get(':id/members')
  members(@Param('id') id: string): ReturnType<DeviceGroupsService['members']> {
    return this.groups.members(parseOr400(GroupId, id, 'id'));
  }

  @Post(':id/members')
  @HttpCode(200)
  addMembers(@Param('id') id: string, @Body() body: unknown): ReturnType<DeviceGroupsService['members']> {
    return this.groups.addMembers(parseOr400(GroupId, id, 'id'), parseOr400(GroupMembersRequest, body).udids);
  }

  @Delete(':id/members')
  @HttpCode(200)
  removeMembers(@Param('id') id: string, @Body() body: unknown): ReturnType<DeviceGroupsService['members']> {
    return this.groups.removeMembers(parseOr400(GroupId, id, 'id'), parseOr400(GroupMembersRequest, body).udids);
  }
}
