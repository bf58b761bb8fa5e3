import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { StoredPayload } from './profile.entity';

/** A profile as it was at one version (the identifier never changes, so it is not repeated). */
@Entity({ name: 'profile_versions' })
export class ProfileVersionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'profile_id', type: 'uuid' }) profileId!: string;
  @Column({ type: 'integer' }) version!: number;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'removal_disallowed', type: 'boolean' }) removalDisallowed!: boolean;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  @Column({ type: 'jsonb' }) payloads!: StoredPayload[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
