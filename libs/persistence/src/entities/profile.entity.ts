import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** One payload of a profile as the admin API speaks it: settings in JSON ($data/$date for bytes and dates). */
export interface StoredPayload {
  type: string;
  /** PayloadIdentifier; `<profile identifier>.<type>.<n>` when left out. */
  identifier?: string;
  settings: Record<string, unknown>;
}

/** A configuration profile's current definition; `version` grows on every change of what devices get. */
@Entity({ name: 'profiles' })
export class ProfileEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  /** The top-level PayloadIdentifier: devices replace an installed profile with the same one. */
  @Column({ type: 'text', unique: true }) identifier!: string;
  @Column({ name: 'removal_disallowed', type: 'boolean', default: false }) removalDisallowed!: boolean;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  @Column({ type: 'integer', default: 1 }) version!: number;
  @Column({ type: 'jsonb' }) payloads!: StoredPayload[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
