import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * `pending` (not tried yet, or re-queued), `retrying` (an attempt failed, the next one is due at
 * `nextAttemptAt`), `delivered` (a 2xx), `dead` (the retry window ran out). Open = pending or retrying.
 */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'retrying', 'delivered', 'dead'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One event to send to one webhook (see the Webhooks1764280000000 migration for the queue rules). */
@Entity({ name: 'webhook_deliveries' })
export class WebhookDeliveryEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  /** bigserial: creation order, the sending order of one device's deliveries. */
  @Column({ type: 'bigint' }) position!: string;
  @Column({ name: 'webhook_id', type: 'uuid' }) webhookId!: string;
  @Column({ name: 'event_id', type: 'uuid' }) eventId!: string;
  /** `events.id` of the event. */
  @Column({ name: 'event_seq', type: 'bigint' }) eventSeq!: string;
  @Column({ name: 'event_type', type: 'text' }) eventType!: string;
  @Column({ type: 'text', nullable: true }) udid!: string | null;
  /** `feed` (fan-out of a new event) or `replay` (POST /v1/webhooks/{id}/replay). */
  @Column({ type: 'text' }) origin!: 'feed' | 'replay';
  @Column({ type: 'text' }) status!: WebhookDeliveryStatus;
  @Column({ type: 'integer' }) attempts!: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz' }) nextAttemptAt!: Date;
  /** After a failed attempt at or past this instant the delivery is dead. */
  @Column({ name: 'retry_until', type: 'timestamptz' }) retryUntil!: Date;
  @Column({ name: 'lease_owner', type: 'text', nullable: true }) leaseOwner!: string | null;
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true }) leaseUntil!: Date | null;
  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true }) lastAttemptAt!: Date | null;
  @Column({ name: 'last_http_status', type: 'integer', nullable: true }) lastHttpStatus!: number | null;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true }) deliveredAt!: Date | null;
  @Column({ name: 'dead_at', type: 'timestamptz', nullable: true }) deadAt!: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** One HTTP attempt of a delivery. */
@Entity({ name: 'webhook_delivery_attempts' })
export class WebhookDeliveryAttemptEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'delivery_id', type: 'uuid' }) deliveryId!: string;
  @Column({ type: 'integer' }) attempt!: number;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'duration_ms', type: 'integer' }) durationMs!: number;
  @Column({ name: 'http_status', type: 'integer', nullable: true }) httpStatus!: number | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ type: 'text' }) outcome!: 'delivered' | 'retry' | 'dead';
}
