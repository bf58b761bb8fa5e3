import { Body, ConflictException, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { CreateEnrollmentConfigurationRequest, EnrollmentConfigurationListQuery, type EnrollmentConfigurationView, type OffsetPage } from '@mdm/contracts';
import { ApnsCertificateStore, type EnrollmentConfigurationRecord, EnrollmentConfigurationStore } from '@mdm/persistence';
import { parseOr400 } from '@mdm/service-kit';
import { ENROLLMENT_CONFIG, type EnrollmentConfig } from '../enrollment.config';
import { sendProfile } from './enrollment-profile.controller';
import { EnrollmentProfileService } from './enrollment-profile.service';

const Id = z.string().uuid('must be an enrollment configuration id');

/** Named enrollment configurations and the signed profile each one produces. */
@Controller('v1/enrollment-configurations')
export class EnrollmentConfigurationsController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(ENROLLMENT_CONFIG) private readonly config: EnrollmentConfig,
    private readonly profiles: EnrollmentProfileService,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown): Promise<EnrollmentConfigurationView> {
    const req = parseOr400(CreateEnrollmentConfigurationRequest, body);
    if (req.topic && !(await ApnsCertificateStore.hasTopic(this.dataSource, req.topic))) {
      throw new NotFoundException(`topic: no push certificate for ${req.topic}`);
    }
    const inserted = await EnrollmentConfigurationStore.insertIfNameFree(this.dataSource, {
      name: req.name,
      topic: req.topic ?? null,
      accessRights: req.accessRights ?? this.config.MDM_ACCESS_RIGHTS,
      displayName: req.displayName ?? null,
    });
    if (!inserted) throw new ConflictException(`name: an enrollment configuration named ${req.name} exists already`);
    return view(inserted);
  }

  /** Paged and sorted as `EnrollmentConfigurationListQuery` (@mdm/contracts) allows. */
  @Get()
  async list(@Query() query: unknown): Promise<OffsetPage<'configurations', EnrollmentConfigurationView>> {
    const q = parseOr400(EnrollmentConfigurationListQuery, query ?? {}, 'query');
    const { configurations, total } = await EnrollmentConfigurationStore.list(this.dataSource, q);
    return { configurations: configurations.map(view), total, limit: q.limit, offset: q.offset };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<EnrollmentConfigurationView> {
    return view(await this.find(id));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    const deleted = await EnrollmentConfigurationStore.delete(this.dataSource, parseOr400(Id, id, 'id'));
    if (!deleted) throw new NotFoundException(`enrollment configuration ${id} not found`);
  }

  @Get(':id/profile')
  async profile(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const c = await this.find(id);
    sendProfile(res, await this.profiles.build({ topic: c.topic ?? undefined, accessRights: c.accessRights, displayName: c.displayName ?? undefined }));
  }

  private async find(id: string): Promise<EnrollmentConfigurationRecord> {
    const found = await EnrollmentConfigurationStore.byId(this.dataSource, parseOr400(Id, id, 'id'));
    if (!found) throw new NotFoundException(`enrollment configuration ${id} not found`);
    return found;
  }
}

function view(c: EnrollmentConfigurationRecord): EnrollmentConfigurationView {
  return { id: c.id, name: c.name, topic: c.topic, accessRights: c.accessRights, displayName: c.displayName, createdAt: c.createdAt.toISOString() };
}
