import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { ProfileDefinitionRequest, ProfileListQuery, type ProfileView, UploadProfileRequest } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { ProfilesService } from './profiles.service';

const Id = z.string().uuid('must be a profile id');

const MobileconfigQuery = z.object({
  unsigned: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  version: z.coerce.number().int().min(1).optional(),
});

const MOBILECONFIG = 'application/x-apple-aspen-config';

/** `/v1/profiles`: reached through the gateway's admin API, which authenticates the operator. */
@Controller('v1/profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown): Promise<ProfileView> {
    return this.profiles.create(parseOr400(ProfileDefinitionRequest, body));
  }

  @Post('upload')
  @HttpCode(201)
  upload(@Body() body: unknown): Promise<ProfileView> {
    return this.profiles.upload(parseOr400(UploadProfileRequest, body));
  }

  @Get()
  list(@Query() query: unknown): ReturnType<ProfilesService['list']> {
    return this.profiles.list(parseOr400(ProfileListQuery, query ?? {}, 'query'));
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<ProfileView> {
    return this.profiles.get(parseOr400(Id, id, 'id'));
  }

  @Put(':id')
  replace(@Param('id') id: string, @Body() body: unknown): Promise<ProfileView> {
    return this.profiles.replace(parseOr400(Id, id, 'id'), parseOr400(ProfileDefinitionRequest, body));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    await this.profiles.remove(parseOr400(Id, id, 'id'));
  }

  @Get(':id/mobileconfig')
  async mobileconfig(@Param('id') id: string, @Query() query: unknown, @Res() res: Response): Promise<void> {
    const q = parseOr400(MobileconfigQuery, query, 'query');
    const file = await this.profiles.mobileconfig(parseOr400(Id, id, 'id'), q);
    // Unsigned is for reading, as with the enrollment profile; devices get the signed one.
    res
      .status(200)
      .type(file.signed ? MOBILECONFIG : 'application/xml')
      .setHeader('content-disposition', `attachment; filename="${file.identifier}-v${file.version}.mobileconfig"`)
      // A signature carries its signing time, so two downloads differ; nothing is secret, but keep caches honest.
      .setHeader('cache-control', 'no-cache');
    res.send(file.body);
  }
}
