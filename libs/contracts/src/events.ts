import { z } from 'zod';

/**
 * The event catalog. Events are written to Postgres in the same transaction as the state change
 * that caused them (the `events` table is an outbox and an audit log); delivery to integrations
 * reads from there. Each event type is versioned by its name: change a payload incompatibly by
 * adding `.v2`, never by editing a schema in place.
 */
const Device = { udid: z.string(), enrollmentId: z.string().uuid() };
const PushCert = { topic: z.string(), fingerprint: z.string(), notAfter: z.string().datetime() };

export const EventSchemas = {
  'device.authenticated': z.object({
    ...Device,
    serialNumber: z.string().nullable(),
    productName: z.string().nullable(),
    osVersion: z.string().nullable(),
    /** True when the UDID had an earlier enrollment that this one replaces. */
    reenrollment: z.boolean(),
  }),
  'device.enrolled': z.object({ ...Device, topic: z.string() }),
  'device.token_updated': z.object({
    ...Device,
    /** 1 on the first TokenUpdate of an enrollment: integrations tell enrollment from refresh. */
    count: z.number().int().min(1),
  }),
  'device.checked_out': z.object({ ...Device, canceledCommands: z.number().int().min(0) }),
  'device.certificate_renewed': z.object({ ...Device, notAfter: z.string().datetime() }),
  'push.sent': z.object({ udid: z.string(), deviceId: z.string().uuid(), apnsId: z.string().optional() }),
  'push.failed': z.object({
    udid: z.string(),
    deviceId: z.string().uuid(),
    outcome: z.enum(['dead-token', 'certificate-error', 'retryable', 'failed']),
    reason: z.string().optional(),
  }),
  /** APNs refused the push certificate (403): no pushes go to this topic until a new certificate is stored. */
  'push.topic_stopped': z.object({ topic: z.string(), fingerprint: z.string(), reason: z.string() }),
  'apns.certificate.uploaded': z.object({ ...PushCert }),
  'apns.certificate.renewed': z.object({
    ...PushCert,
    previousFingerprint: z.string(),
    previousNotAfter: z.string().datetime(),
    /** Set when a forced PUT replaced another topic: devices enrolled under it can no longer be pushed. */
    previousTopic: z.string().optional(),
  }),
  /** Once per threshold (30, 14, 7, 1 days) per certificate: the tightest threshold reached. */
  'apns.certificate.expiring': z.object({ ...PushCert, daysLeft: z.number().int().min(0), threshold: z.number().int() }),
  'apns.certificate.expired': z.object({ ...PushCert }),
} as const;

export type EventType = keyof typeof EventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof EventSchemas)[T]>;
export type MdmEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];
export const EVENT_TYPES = Object.keys(EventSchemas) as EventType[];
