import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { WebhookFormat } from '@mdm/contracts';

/** A subscription of an integration to events, signed with its own secret (stored sealed). */
@Entity({ name: 'webhooks' })
export class WebhookEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) url!: string;
  /** The signing secret, sealed with MDM_SECRET_KEY: it must be read back to sign, so it is not hashed. */
  @Column({ name: 'secret_sealed', type: 'text' }) secretSealed!: string;
  /** The last characters of the secret, so operators can tell which one is set. */
  @Column({ name: 'secret_hint', type: 'text' }) secretHint!: string;
  /** Event types and `<prefix>.*` patterns. */
  @Column({ type: 'text', array: true }) events!: string[];
  @Column({ type: 'text', default: 'mdm' }) format!: WebhookFormat;
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
