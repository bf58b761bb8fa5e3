import { z } from 'zod';

/**
 * The event catalog. Events are written to Postgres in the same transaction as the state change
 * that caused them (the `events` table is an outbox and an audit log); delivery to integrations
 * reads from there. Each event type is versioned by its name: change a payload incompatibly by
 * adding `.v2`, never by editing a schema in place.
 */
const Device = { udid: z.string(), enrollmentId: z.string().uuid() };
/**
 * The check-in body as the device sent it (base64 XML plist), for integrations that want Apple's own message
 * (the NanoMDM webhook format's `raw_payload`). A TokenUpdate's `UnlockToken` is left out: the server keeps
 * that one sealed.
 */
const RawPayload = { rawPayload: z.string().optional() };
const PushCert = { topic: z.string(), fingerprint: z.string(), notAfter: z.string().datetime() };

/**
 * A command's status changed on one device. Written by the database (a trigger on `command_deliveries`),
 * so every writer of a status produces exactly one event per change; absent fields were null.
 */
const CommandEvent = z.object({
  udid: z.string(),
  deviceId: z.string().uuid(),
  commandUuid: z.string().uuid(),
  requestType: z.string(),
  status: z.string(),
  /** Why it was canceled, expired or blocked. */
  reason: z.string().optional(),
  notNowCount: z.number().int().min(0),
  /** Apple's ErrorChain of an Error or CommandFormatError answer. */
  errorChain: z.array(z.unknown()).optional(),
  /** What the device answered beyond the envelope (QueryResponses, ProfileList, ...). */
  answer: z.record(z.string(), z.unknown()).optional(),
  /** The `X-Request-Id` of the API call that queued the command (absent for commands queued otherwise). */
  correlationId: z.string().optional(),
});

/**
 * A command reached the same status on many devices at once (queued by one call, announced by a batch of
 * pushes): one event per command and chunk of up to 1,000 devices, naming them in delivery order.
 */
const CommandBatchEvent = z.object({
  commandUuid: z.string().uuid(),
  requestType: z.string(),
  status: z.string(),
  devices: z.array(z.object({ udid: z.string(), deviceId: z.string().uuid() })).min(1),
  correlationId: z.string().optional(),
});

/** A profile's state on one device changed (see the profile service's reconciliation). */
const ProfileOnDevice = {
  udid: z.string(),
  deviceId: z.string().uuid(),
  profileId: z.string().uuid(),
  identifier: z.string(),
  version: z.number().int().min(1),
};

export const EventSchemas = {
  'device.authenticated': z.object({
    ...Device,
    serialNumber: z.string().nullable(),
    productName: z.string().nullable(),
    osVersion: z.string().nullable(),
    /** True when the UDID had an earlier enrollment that this one replaces. */
    reenrollment: z.boolean(),
    ...RawPayload,
  }),
  'device.enrolled': z.object({ ...Device, topic: z.string() }),
  'device.token_updated': z.object({
    ...Device,
    /** 1 on the first TokenUpdate of an enrollment: integrations tell enrollment from refresh. */
    count: z.number().int().min(1),
    ...RawPayload,
  }),
  'device.checked_out': z.object({ ...Device, canceledCommands: z.number().int().min(0), ...RawPayload }),
  'device.certificate_renewed': z.object({ ...Device, notAfter: z.string().datetime() }),
  /**
   * The device answered DeviceInformation: the facts it reported (a fact it left out is absent). Written by
   * the command service with the answer; the enrollment service copies them onto the device.
   */
  'device.inventory_updated': z.object({
    udid: z.string(),
    deviceId: z.string().uuid(),
    serialNumber: z.string().optional(),
    productName: z.string().optional(),
    model: z.string().optional(),
    modelName: z.string().optional(),
    deviceName: z.string().optional(),
    osVersion: z.string().optional(),
    buildVersion: z.string().optional(),
    isSupervised: z.boolean().optional(),
  }),
  /** One device's queueing. No longer written (`command.queued.v2` replaced it); kept to read older events. */
  'command.queued': CommandEvent,
  /** One device's accepted push. No longer written (`command.sent.v2` replaced it); kept to read older events. */
  'command.sent': CommandEvent,
  'command.queued.v2': CommandBatchEvent,
  /** APNs accepted the pushes that announce the command to these devices. */
  'command.sent.v2': CommandBatchEvent,
  /** Handed to the device in a connect response. */
  'command.delivered': CommandEvent,
  'command.not_now': CommandEvent,
  'command.acknowledged': CommandEvent,
  'command.error': CommandEvent,
  'command.format_error': CommandEvent,
  'command.expired': CommandEvent,
  'command.canceled': CommandEvent,
  /** Never sent: the device can't run it (supervision, iOS version). */
  'command.blocked': CommandEvent,
  'profile.installed': z.object({ ...ProfileOnDevice }),
  'profile.failed': z.object({ ...ProfileOnDevice, reason: z.string(), errorChain: z.array(z.unknown()).optional() }),
  /** Removed by a RemoveProfile, or with the enrollment when the device checked out. */
  'profile.removed': z.object({ ...ProfileOnDevice, cause: z.enum(['unassigned', 'checked-out', 'deleted']) }),
  /** Two profiles targeted at one device carry a payload type the device may hold only once. */
  'profile.conflict': z.object({
    udid: z.string(),
    deviceId: z.string().uuid(),
    payloadType: z.string(),
    profiles: z.array(z.object({ profileId: z.string().uuid(), identifier: z.string() })).min(2),
  }),
  /** One device's accepted push. No longer written (`push.sent.v2` replaced it); kept to read older events. */
  'push.sent': z.object({ udid: z.string(), deviceId: z.string().uuid(), apnsId: z.string().optional(), queuedBefore: z.string().datetime().optional() }),
  /**
   * APNs accepted a push to each of `devices` (one event per group of a worker's outcomes, not per device).
   * `queuedBefore`: when the worker took the requests; the commands queued for these devices before then
   * are the ones these pushes announce (the command service marks them SENT from this event).
   */
  'push.sent.v2': z.object({
    devices: z.array(z.object({ udid: z.string(), deviceId: z.string().uuid() })).min(1),
    queuedBefore: z.string().datetime(),
  }),
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
  }),
  /**
   * A forced PUT stored a certificate for another topic in place of the only one. `strandedDevices`: devices
   * enrolled under `previousTopic`, which can no longer be pushed; `restoredDevices`: those enrolled under
   * `topic`, which can be again (a certificate for a topic replaced earlier came back).
   */
  'apns.certificate.replaced': z.object({
    ...PushCert,
    previousTopic: z.string(),
    previousFingerprint: z.string(),
    previousNotAfter: z.string().datetime(),
    strandedDevices: z.number().int().min(0),
    restoredDevices: z.number().int().min(0),
  }),
  /** Once per threshold (30, 14, 7, 1 days) per certificate: the tightest threshold reached. */
  'apns.certificate.expiring': z.object({ ...PushCert, daysLeft: z.number().int().min(0), threshold: z.number().int() }),
  'apns.certificate.expired': z.object({ ...PushCert }),
} as const;

export type EventType = keyof typeof EventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof EventSchemas)[T]>;
export type MdmEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];
export const EVENT_TYPES = Object.keys(EventSchemas) as EventType[];
