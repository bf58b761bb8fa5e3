import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The outbox and audit log of everything that happened, in commit order per device. */
@Entity({ name: 'events' })
export class EventEntity {
  /** bigserial: the order integrations replay in. */
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  /** Stable id for de-duplication by receivers. */
  @Column({ name: 'event_id', type: 'uuid' }) eventId!: string;
  @Column({ type: 'text' }) type!: string;
  @Column({ type: 'text', nullable: true }) udid!: string | null;
  @Column({ type: 'jsonb' }) data!: object;
  @Column({ name: 'occurred_at', type: 'timestamptz' }) occurredAt!: Date;
}
