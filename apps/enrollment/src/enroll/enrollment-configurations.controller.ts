import { Body, ConflictException, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { Repository } from 'typeorm';
import { z } from 'zod';
import { CreateEnrollmentConfigurationRequest, EnrollmentConfigurationListQuery, type OffsetPage } from '@mdm/contracts';
import { ApnsCertificateEntity, EnrollmentConfigurationEntity } from '@mdm/persistence';
import { parseOr400 } from '@mdm/service-kit';
import { ENROLLMENT_CONFIG, type EnrollmentConfig } from '../enrollment.config';
import { sendProfile } from './enrollment-profile.controller';
import { EnrollmentProfileService } from './enrollment-profile.service';

export interface EnrollmentConfigurationView {
  id: string;
  name: string;
  topic: string | null;
  accessRights: number;
  displayName: string | null;
  createdAt: string;
}

const Id = z.string().uuid('must be an enrollment configuration id');

/** Named enrollment configurations and the signed profile each one produces. */
@Controller('v1/enrollment-configurations')
export class EnrollmentConfigurationsController {
  constructor(
    @InjectRepository(EnrollmentConfigurationEntity) private readonly configs: Repository<EnrollmentConfigurationEntity>,
    @InjectRepository(ApnsCertificateEntity) private readonly pushCerts: Repository<ApnsCertificateEntity>,
    @Inject(ENROLLMENT_CONFIG) private readonly config: EnrollmentConfig,
    private readonly profiles: EnrollmentProfileService,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown): Promise<EnrollmentConfigurationView> {
    const req = parseOr400(CreateEnrollmentConfigurationRequest, body);
    if (req.topic && !(await this.pushCerts.existsBy({ topic: req.topic }))) {
      throw new NotFoundException(`topic: no push certificate for ${req.topic}`);
    }
    // A SELECT around the insert hands back the row only when it was really inserted.
    const inserted: Array<{ id: string }> = await this.configs.query(
      `WITH ins AS (
         INSERT INTO enrollment_configurations (name, topic, access_rights, display_name) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO NOTHING RETURNING id)
       SELECT id FROM ins`,
      [req.name, req.topic ?? null, req.accessRights ?? this.config.MDM_ACCESS_RIGHTS, req.displayName ?? null],
    );
    if (!inserted[0]) throw new ConflictException(`name: an enrollment configuration named ${req.name} exists already`);
    return view(await this.configs.findOneByOrFail({ id: inserted[0].id }));
  }

  /** Paged and sorted as `EnrollmentConfigurationListQuery` (@mdm/contracts) allows. */
  @Get()
  async list(@Query() query: unknown): Promise<OffsetPage<'configurations', EnrollmentConfigurationView>> {
    const q = parseOr400(EnrollmentConfigurationListQuery, query ?? {}, 'query');
    const order = q.order === 'asc' ? 'ASC' : 'DESC';
    const [rows, total] = await this.configs.findAndCount({
      where: q.topic ? { topic: q.topic } : {},
      order: { [q.sort]: order, id: order },
      take: q.limit,
      skip: q.offset,
    });
    return { configurations: rows.map(view), total, limit: q.limit, offset: q.offset };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<EnrollmentConfigurationView> {
    return view(await this.find(id));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    const result = await this.configs.delete({ id: parseOr400(Id, id, 'id') });
    if (!result.affected) throw new NotFoundException(`enrollment configuration ${id} not found`);
  }

  @Get(':id/profile')
  async profile(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const c = await this.find(id);
    sendProfile(res, await this.profiles.build({ topic: c.topic ?? undefined, accessRights: c.accessRights, displayName: c.displayName ?? undefined }));
  }

  private async find(id: string): Promise<EnrollmentConfigurationEntity> {
    const found = await this.configs.findOneBy({ id: parseOr400(Id, id, 'id') });
    if (!found) throw new NotFoundException(`enrollment configuration ${id} not found`);
    return found;
  }
}

function view(c: EnrollmentConfigurationEntity): EnrollmentConfigurationView {
  return { id: c.id, name: c.name, topic: c.topic, accessRights: c.accessRights, displayName: c.displayName, createdAt: c.createdAt.toISOString() };
}
