import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * An admin API key. Only the SHA-256 of its secret is kept: the secret is 32 random bytes, so a hash
 * without salt or stretching is enough (nothing to guess), and the plaintext is shown once at creation.
 * Revoking keeps the row (with `revokedAt`) so the list says who had access until when.
 */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  /** Chosen by the service, because it is part of the secret (`mdm_<id>_<random>`). */
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text', array: true }) scopes!: string[];
  @Column({ name: 'secret_hash', type: 'bytea' }) secretHash!: Buffer;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /** Written at most once a minute per key, not on every call. */
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true }) lastUsedAt!: Date | null;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
}
