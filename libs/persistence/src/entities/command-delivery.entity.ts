import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { CommandStatus } from '@mdm/contracts';
import type { JsonObject, JsonValue } from '../json';

/** A command's life on one device: the per-device queue is the pending rows ordered by id. */
@Entity({ name: 'command_deliveries' })
export class CommandDeliveryEntity {
  /** bigserial: also the queue order. */
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'command_uuid', type: 'uuid' }) commandUuid!: string;
  @Column({ name: 'device_id', type: 'uuid' }) deviceId!: string;
  @Column({ type: 'text' }) status!: CommandStatus;
  @Column({ name: 'status_reason', type: 'text', nullable: true }) statusReason!: string | null;
  @Column({ name: 'not_now_count', type: 'integer', default: 0 }) notNowCount!: number;
  @Column({ name: 'error_chain', type: 'jsonb', nullable: true }) errorChain!: JsonValue[] | null;
  /** The device's answer (QueryResponses etc.) as JSON. */
  @Column({ type: 'jsonb', nullable: true }) result!: JsonObject | null;
  @Column({ name: 'queued_at', type: 'timestamptz' }) queuedAt!: Date;
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true }) sentAt!: Date | null;
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true }) deliveredAt!: Date | null;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt!: Date | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
