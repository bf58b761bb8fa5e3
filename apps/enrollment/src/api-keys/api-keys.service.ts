import { Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { ApiKeyListQuery, ApiKeyVerdict, ApiKeyView, CreateApiKeyRequest, CreatedApiKey, OffsetPage } from '@mdm/contracts';
import { type ApiKeyRecord, ApiKeyStore } from '@mdm/persistence';
import { apiKeyIdOf, hashApiKeySecret, newApiKeySecret } from './api-key-secret';
import { judgeApiKey, LAST_USED_RESOLUTION_MS, normalizeScopes } from './api-key-verdict';

/** Admin API keys: created with a secret shown once, listed without it, revoked but kept. */
@Injectable()
export class ApiKeysService {
  constructor(private readonly dataSource: DataSource) {}

  async create(req: CreateApiKeyRequest): Promise<CreatedApiKey> {
    const id = randomUUID();
    const secret = newApiKeySecret(id);
    const created = await ApiKeyStore.insert(this.dataSource, {
      id,
      name: req.name,
      scopes: normalizeScopes(req.scopes),
      secretHash: hashApiKeySecret(secret),
      expiresAt: req.expiresAt ? new Date(req.expiresAt) : null,
    });
    return { ...view(created), secret };
  }

  async list(q: ApiKeyListQuery): Promise<OffsetPage<'keys', ApiKeyView>> {
    const { keys, total } = await ApiKeyStore.list(this.dataSource, q);
    return { keys: keys.map(view), total, limit: q.limit, offset: q.offset };
  }

  async get(id: string): Promise<ApiKeyView> {
    const found = await ApiKeyStore.byId(this.dataSource, id);
    if (!found) throw new NotFoundException(`API key ${id} not found`);
    return view(found);
  }

  /** Idempotent: revoking a revoked key keeps its first `revokedAt`. */
  async revoke(id: string): Promise<ApiKeyView> {
    await ApiKeyStore.revoke(this.dataSource, id);
    return this.get(id);
  }

  /** The gateway asks this for every key it hasn't seen in the last few seconds. */
  async verify(secret: string): Promise<ApiKeyVerdict> {
    const id = apiKeyIdOf(secret);
    const row = id ? ((await ApiKeyStore.byId(this.dataSource, id)) ?? null) : null;
    const { verdict, touch } = judgeApiKey(row, secret, new Date());
    // Conditional in the store, so replicas racing on the same key write once, and a busy key once a minute.
    if (touch && id) await ApiKeyStore.touchLastUsed(this.dataSource, id, LAST_USED_RESOLUTION_MS);
    return verdict;
  }
}

function view(k: ApiKeyRecord): ApiKeyView {
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
