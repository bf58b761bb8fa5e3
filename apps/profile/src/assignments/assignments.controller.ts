import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { ProfileAssignmentRequest, ProfileDevicesQuery, Udid } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { AssignmentsService } from './assignments.service';

const ProfileId = z.string().uuid('must be a profile id');

/** Where a profile goes, and how it fares on each device. Reached through the gateway's admin API. */
@Controller('v1')
export class AssignmentsController {
  constructor(private readonly assignments: AssignmentsService) {}

  @Post('profiles/:id/assignments')
  @HttpCode(200)
  assign(@Param('id') id: string, @Body() body: unknown): ReturnType<AssignmentsService['assign']> {
    return this.assignments.assign(parseOr400(ProfileId, id, 'id'), parseOr400(ProfileAssignmentRequest, body));
  }

  @Delete('profiles/:id/assignments')
  @HttpCode(200)
  unassign(@Param('id') id: string, @Body() body: unknown): ReturnType<AssignmentsService['unassign']> {
    return this.assignments.unassign(parseOr400(ProfileId, id, 'id'), parseOr400(ProfileAssignmentRequest, body));
  }

  @Get('profiles/:id/assignments')
  list(@Param('id') id: string): ReturnType<AssignmentsService['assignments']> {
    return this.assignments.assignments(parseOr400(ProfileId, id, 'id'));
  }

  @Get('profiles/:id/devices')
  devices(@Param('id') id: string, @Query() query: unknown): ReturnType<AssignmentsService['profileDevices']> {
    return this.assignments.profileDevices(parseOr400(ProfileId, id, 'id'), parseOr400(ProfileDevicesQuery, query ?? {}, 'query'));
  }

  @Get('devices/:udid/profiles')
  deviceProfiles(@Param('udid') udid: string): ReturnType<AssignmentsService['deviceProfiles']> {
    return this.assignments.deviceProfiles(parseOr400(Udid, udid, 'udid'));
  }

  @Post('devices/:udid/profiles/reconcile')
  @HttpCode(202)
  reconcile(@Param('udid') udid: string): ReturnType<AssignmentsService['reconcileDevice']> {
    return this.assignments.reconcileDevice(parseOr400(Udid, udid, 'udid'));
  }
}
