import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, Not, type Repository } from 'typeorm';
import type { ApiKeyListQuery, ApiKeyVerdict, ApiKeyView, CreateApiKeyRequest, CreatedApiKey, OffsetPage } from '@mdm/contracts';
import { ApiKeyEntity } from '@mdm/persistence';
import { apiKeyIdOf, hashApiKeySecret, newApiKeySecret } from './api-key-secret';
import { judgeApiKey, LAST_USED_RESOLUTION_MS, normalizeScopes } from './api-key-verdict';

/** Admin API keys: created with a secret shown once, listed without it, revoked but kept. */
@Injectable()
export class ApiKeysService {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  async create(req: CreateApiKeyRequest): Promise<CreatedApiKey> {
    const id = randomUUID();
    const secret = newApiKeySecret(id);
    await this.keys.insert({
      id,
      name: req.name,
      scopes: normalizeScopes(req.scopes),
      secretHash: hashApiKeySecret(secret),
      expiresAt: req.expiresAt ? new Date(req.expiresAt) : null,
    });
    return { ...view(await this.keys.findOneByOrFail({ id })), secret };
  }

  async list(q: ApiKeyListQuery): Promise<OffsetPage<'keys', ApiKeyView>> {
    const direction = q.order === 'desc' ? 'DESC' : 'ASC';
    const [rows, total] = await this.keys.findAndCount({
      where: q.revoked === undefined ? {} : { revokedAt: q.revoked ? Not(IsNull()) : IsNull() },
      order: { [q.sort]: { direction, nulls: 'LAST' }, id: 'ASC' },
      skip: q.offset,
      take: q.limit,
    });
    return { keys: rows.map(view), total, limit: q.limit, offset: q.offset };
  }

  async get(id: string): Promise<ApiKeyView> {
    const found = await this.keys.findOneBy({ id });
    if (!found) throw new NotFoundException(`API key ${id} not found`);
    return view(found);
  }

  /** Idempotent: revoking a revoked key keeps its first `revokedAt`. */
  async revoke(id: string): Promise<ApiKeyView> {
    await this.keys.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
    return this.get(id);
  }

  /** The gateway asks this for every key it hasn't seen in the last few seconds. */
  async verify(secret: string): Promise<ApiKeyVerdict> {
    const id = apiKeyIdOf(secret);
    const row = id ? await this.keys.findOneBy({ id }) : null;
    const { verdict, touch } = judgeApiKey(row, secret, new Date());
    if (touch && id) {
      // Conditional, so replicas racing on the same key write once, and a busy key once a minute.
      await this.keys.query(
        `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
        [id, LAST_USED_RESOLUTION_MS / 1000],
      );
    }
    return verdict;
  }
}

function view(k: ApiKeyEntity): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    scopes: normalizeScopes(k.scopes),
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
