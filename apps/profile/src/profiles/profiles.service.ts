import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { type OffsetPage, type ProfileDefinitionRequest, type ProfileListQuery, type ProfileView, type UploadProfileRequest } from '@mdm/contracts';
import { ProfilesStore, type StoredProfile } from '@mdm/persistence';
import { signAttached } from '@mdm/pki';
import { buildMobileconfig, checkDefinition, definitionWarnings, type ProfileContent, sameContent } from './profile-definition';
import { RECONCILE_CHUNK, ReconcilerService } from '../assignments/reconciler.service';
import { ProfileSignerService } from './profile-signer.service';
import { readMobileconfig, UploadError, type UploadedProfile } from './profile-upload';

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
    private readonly signers: ProfileSignerService,
    private readonly reconciler: ReconcilerService,
  ) {}

  async create(req: ProfileDefinitionRequest, extraWarnings: string[] = []): Promise<ProfileView> {
    const { content, warnings } = this.checked(req);
    let saved: StoredProfile;
    try {
      saved = await this.db.transaction(async (tx) => {
        const row = await ProfilesStore.create(tx, content);
        await ProfilesStore.recordVersion(tx, row);
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
      // Row lock: two concurrent edits must not both become version n+1.
      const current = await ProfilesStore.lock(tx, id);
      if (!current) throw new NotFoundException(`profile ${id} not found`);
      if (content.identifier !== current.identifier) {
        throw new BadRequestException(
          `identifier: cannot change (${current.identifier}); devices know a profile by it, so create a new profile instead`,
        );
      }
      if (sameContent(content, contentOf(current))) return { row: current, targets: [] };
      const row = await ProfilesStore.update(tx, id, content, current.version + 1);
      await ProfilesStore.recordVersion(tx, row);
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
    const { profiles: rows, total } = await ProfilesStore.list(this.db, { ...q, payloadType: q.payloadType || undefined });
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
      if (!(await ProfilesStore.delete(tx, id))) throw new NotFoundException(`profile ${id} not found`);
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
      const old = await ProfilesStore.version(this.db, id, opts.version);
      if (!old) throw new NotFoundException(`profile ${id} has no version ${opts.version}`);
      version = old.version;
      content = { ...content, name: old.name, removalDisallowed: old.removalDisallowed, description: old.description, payloads: old.payloads };
    }
    const xml = Buffer.from(buildMobileconfig(current.id, version, content), 'utf8');
    if (opts.unsigned) return { body: xml, identifier: current.identifier, version, signed: false };
    return { body: await signAttached(xml, await this.signers.signer()), identifier: current.identifier, version, signed: true };
  }

  private async find(id: string): Promise<StoredProfile> {
    const found = await ProfilesStore.byId(this.db, id);
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
}

function contentOf(p: StoredProfile): ProfileContent {
  return { name: p.name, identifier: p.identifier, removalDisallowed: p.removalDisallowed, description: p.description, payloads: p.payloads };
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof QueryFailedError && (err.driverError as { code?: string } | undefined)?.code === UNIQUE_VIOLATION;
}

function view(p: StoredProfile, warnings: string[]): ProfileView {
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
