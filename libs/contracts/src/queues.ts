import { z } from 'zod';

/**
 * Queue names. The values are Redis keys: renaming one strands the jobs in flight, so add a `-v2`
 * instead. Names never contain `:` (BullMQ uses it as its own separator).
 */
export const Queue = {
  /** Push requests, consumed by the push workers (competing consumers). */
  Push: 'push-v1',
  /** Work for the command service: push outcomes that advance command status. */
  Command: 'command-v1',
} as const;
export type QueueName = (typeof Queue)[keyof typeof Queue];

export const PushRequested = z.object({
  /** Device row ids (not UDIDs): the push worker loads token, magic and topic itself. */
  deviceIds: z.array(z.string().uuid()).min(1),
  reason: z.enum(['command', 'manual', 'retry', 'sweep']),
  requestedAt: z.string().datetime(),
});

export const PushOutcome = z.object({
  deviceId: z.string().uuid(),
  outcome: z.enum(['sent', 'dead-token', 'certificate-error', 'retryable', 'failed', 'skipped']),
  reason: z.string().optional(),
  /** When APNs accepted (or refused) the push, so a late outcome never overwrites a newer status. */
  at: z.string().datetime(),
});

/** Every job the system moves, as a discriminated union: a producer cannot send the wrong payload. */
export const JobSchemas = {
  'push.requested': PushRequested,
  'push.outcome': PushOutcome,
} as const;
export type JobName = keyof typeof JobSchemas;
export type JobData<N extends JobName> = z.infer<(typeof JobSchemas)[N]>;
export type Job = { [N in JobName]: { name: N; data: JobData<N> } }[JobName];

/** Which queue carries which job: the owning consumer of a job is fixed here, not at call sites. */
export const JobQueue: { readonly [N in JobName]: QueueName } = {
  'push.requested': Queue.Push,
  'push.outcome': Queue.Command,
};

/** Parses a job payload at the consumer boundary; throws a zod error naming the bad field. */
export function parseJob<N extends JobName>(name: N, data: unknown): JobData<N> {
  return JobSchemas[name].parse(data) as JobData<N>;
}

/**
 * Broadcast channels (Redis pub/sub): every replica hears every message, so these carry only
 * "reload your copy" notices, never work.
 */
export const Broadcast = {
  ApnsCertificateChanged: 'mdm.apns-certificate-changed',
  DeviceCaChanged: 'mdm.device-ca-changed',
} as const;
