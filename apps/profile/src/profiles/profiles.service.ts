import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, QueryFailedError, type Repository } from 'typeorm';
import type { OffsetPage, ProfileDefinitionRequest, ProfileListQuery, UploadProfileRequest } from '@mdm/contracts';
import { ProfileEntity, ProfileVersionEntity, type StoredPayload } from '@mdm/persistence';
import { signAttached } from '@mdm/pki';
import { buildMobileconfig, checkDefinition, definitionWarnings, type ProfileContent, sameContent } from './profile-definition';
import { RECONCILE_CHUNK, ReconcilerService } from '../assignments/reconciler.service';
import { ProfileSignerService } from './profile-signer.service';
import { readMobileconfig, UploadError, type UploadedProfile } from './profile-upload';

export interface ProfileView {
  id: string;
  name: string;
  identifier: string;
  description: string | null;
  removalDisallowed: boolean;
  version: number;
  payloads: StoredPayload[];
  warnings: string[];
  createdAt: string;
  updatedAt: string;
}

export interface MobileconfigFile {
  body: Buffer;
  identifier: string;
  version: number;
  signed: boolean;
}

const UNIQUE_VIOLATION = '23505';

/** Configuration profiles: definitions checked against Apple's schema, versioned, built and signed. */
@Injectable()
export class ProfilesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(ProfileEntity) private readonly profiles: Repository<ProfileEntity>,
    @InjectRepository(ProfileVersionEntity) private readonly versions: Repository<ProfileVersionEntity>,
    private readonly signers: ProfileSignerService,
    private readonly reconciler: ReconcilerService,
  ) {}

  async create(req: ProfileDefinitionRequest, extraWarnings: string[] = []): Promise<ProfileView> {
    const { content, warnings } = this.checked(req);
    let saved: ProfileEntity;
    try {
      saved = await this.db.transaction(async (tx) => {
        const row = await tx.getRepository(ProfileEntity).save(tx.getRepository(ProfileEntity).create({ ...content, version: 1 }));
        await this.recordVersion(tx, row);
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictException(`identifier: a profile with identifier ${req.identifier} exists already`);
      throw err;
    }
    return view(saved, [...extraWarnings, ...warnings]);
  }

  /** Replaces the definition; the version grows only when what devices would get changes. */
  async replace(id: string, req: ProfileDefinitionRequest): Promise<ProfileView> {
    const { content, warnings } = this.checked(req);
    const saved = await this.db.transaction(async (tx) => {
      const repo = tx.getRepository(ProfileEntity);
      // Row lock: two concurrent edits must not both become version n+1.
      const current = await repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!current) throw new NotFoundException(`profile ${id} not found`);
      if (content.identifier !== current.identifier) {
        throw new BadRequestException(
          `identifier: cannot change (${current.identifier}); devices know a profile by it, so create a new profile instead`,
        );
      }
      if (sameContent(content, contentOf(current))) return { row: current, targets: [] };
      Object.assign(current, content, { version: current.version + 1 });
      const row = await repo.save(current);
      await this.recordVersion(tx, row);
      // Devices take a changed profile only whole: every targeted device gets the new version installed.
      const targets = await this.reconciler.devicesOfProfile(tx, id);
      await this.reconciler.reconcile(tx, targets.slice(0, RECONCILE_CHUNK));
      return { row, targets: targets.slice(RECONCILE_CHUNK) };
    });
    await this.reconciler.reconcileMany(saved.targets);
    return view(saved.row, warnings);
  }

  async upload(req: UploadProfileRequest): Promise<ProfileView> {
    let file: UploadedProfile;
    try {
      file = await readMobileconfig(Buffer.from(req.mobileconfig.replace(/\s+/g, ''), 'base64'));
    } catch (err) {
      if (err instanceof UploadError) throw new BadRequestException(err.message);
      throw err;
    }
    return this.create(
      {
        name: req.name ?? file.name ?? file.identifier,
        identifier: file.identifier,
        removalDisallowed: file.removalDisallowed,
        description: file.description,
        payloads: file.payloads,
        allowUnknown: req.allowUnknown,
      },
      file.warnings,
    );
  }

  async list(q: ProfileListQuery): Promise<OffsetPage<'profiles', ProfileView>> {
    const column = { identifier: 'p.identifier', name: 'p.name', createdAt: 'p.created_at', updatedAt: 'p.updated_at' }[q.sort];
    const query = this.profiles.createQueryBuilder('p');
    if (q.payloadType) query.where('p.payloads @> :carrying::jsonb', { carrying: JSON.stringify([{ type: q.payloadType }]) });
    const [rows, total] = await query
      .orderBy(column, q.order === 'desc' ? 'DESC' : 'ASC')
      .addOrderBy('p.id', 'ASC')
      .skip(q.offset)
      .take(q.limit)
      .getManyAndCount();
    return { profiles: rows.map((p) => view(p, definitionWarnings(p.payloads))), total, limit: q.limit, offset: q.offset };
  }

  async get(id: string): Promise<ProfileView> {
    const p = await this.find(id);
    return view(p, definitionWarnings(p.payloads));
  }

  /** Deletes the profile; devices that hold it get a RemoveProfile (their rows outlive the profile until then). */
  async remove(id: string): Promise<void> {
    const rest = await this.db.transaction(async (tx) => {
      const targets = await this.reconciler.devicesOfProfile(tx, id);
      const result = await tx.getRepository(ProfileEntity).delete({ id });
      if (!result.affected) throw new NotFoundException(`profile ${id} not found`);
      await this.reconciler.reconcile(tx, targets.slice(0, RECONCILE_CHUNK));
      return targets.slice(RECONCILE_CHUNK);
    });
    await this.reconciler.reconcileMany(rest);
  }


  /** The current version, or an earlier one from the history, as a .mobileconfig. */
  async mobileconfig(id: string, opts: { unsigned?: boolean; version?: number } = {}): Promise<MobileconfigFile> {
    const current = await this.find(id);
    let version = current.version;
    let content = contentOf(current);
    if (opts.version !== undefined && opts.version !== current.version) {
      const old = await this.versions.findOneBy({ profileId: id, version: opts.version });
      if (!old) throw new NotFoundException(`profile ${id} has no version ${opts.version}`);
      version = old.version;
      content = { ...content, name: old.name, removalDisallowed: old.removalDisallowed, description: old.description, payloads: old.payloads };
    }
    const xml = Buffer.from(buildMobileconfig(current.id, version, content), 'utf8');
    if (opts.unsigned) return { body: xml, identifier: current.identifier, version, signed: false };
    return { body: await signAttached(xml, await this.signers.signer()), identifier: current.identifier, version, signed: true };
  }

  private async find(id: string): Promise<ProfileEntity> {
    const found = await this.profiles.findOneBy({ id });
    if (!found) throw new NotFoundException(`profile ${id} not found`);
    return found;
  }

  private checked(req: ProfileDefinitionRequest): { content: ProfileContent; warnings: string[] } {
    const report = checkDefinition(req.payloads, req.allowUnknown);
    if (report.errors.length) throw new BadRequestException(`invalid profile: ${report.errors.join('; ')}`);
    return {
      content: {
        name: req.name,
        identifier: req.identifier,
        removalDisallowed: req.removalDisallowed,
        description: req.description ?? null,
        payloads: report.payloads,
      },
      warnings: report.warnings,
    };
  }

  private async recordVersion(tx: EntityManager, p: ProfileEntity): Promise<void> {
    const repo = tx.getRepository(ProfileVersionEntity);
    await repo.save(
      repo.create({ profileId: p.id, version: p.version, name: p.name, removalDisallowed: p.removalDisallowed, description: p.description, payloads: p.payloads }),
    );
  }
}

function contentOf(p: ProfileEntity): ProfileContent {
  return { name: p.name, identifier: p.identifier, removalDisallowed: p.removalDisallowed, description: p.description, payloads: p.payloads };
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof QueryFailedError && (err.driverError as { code?: string } | undefined)?.code === UNIQUE_VIOLATION;
}

function view(p: ProfileEntity, warnings: string[]): ProfileView {
  return {
    id: p.id,
    name: p.name,
    identifier: p.identifier,
    description: p.description,
    removalDisallowed: p.removalDisallowed,
    version: p.version,
    payloads: p.payloads,
    warnings,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}
