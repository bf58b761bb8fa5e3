import { z } from 'zod';

/**
 * The event catalog. Events are written to Postgres in the same transaction as the state change
 * that caused them (the `events` table is an outbox and an audit log); delivery to integrations
 * reads from there. Each event type is versioned by its name: change a payload incompatibly by
 * adding `.v2`, never by editing a schema in place.
 */
const Device = { udid: z.string(), enrollmentId: z.string().uuid() };

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
  'push.sent': z.object({ udid: z.string(), deviceId: z.string().uuid(), apnsId: z.string().optional() }),
  'push.failed': z.object({
    udid: z.string(),
    deviceId: z.string().uuid(),
    outcome: z.enum(['dead-token', 'certificate-error', 'retryable', 'failed']),
    reason: z.string().optional(),
  }),
} as const;

export type EventType = keyof typeof EventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof EventSchemas)[T]>;
export type MdmEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];
export const EVENT_TYPES = Object.keys(EventSchemas) as EventType[];
