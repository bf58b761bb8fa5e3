import { z } from 'zod';

/**
 * Queue names. The values are Redis keys: renaming one strands the jobs in flight, so add a `-v2`
 * instead. Names never contain `:` (BullMQ uses it as its own separator).
 */
export const Queue = {
  /** Push requests, consumed by the push workers (competing consumers). */
  Push: 'push-v1',
  /** Periodic work of the command service (expiry, silent-device and inventory sweeps). */
  Command: 'command-v1',
  /** Work for the enrollment service: devices seen by connects, the push certificate expiry check. */
  Enrollment: 'enrollment-v1',
} as const;
export type QueueName = (typeof Queue)[keyof typeof Queue];

/**
 * A batch of `push_requests` row ids (bigint as text). Postgres holds the work; the job is only a hint to
 * claim these rows, so a duplicate or replayed job sends nothing twice and a lost one is found by the sweep.
 */
export const PushBatch = z.object({ requestIds: z.array(z.string().regex(/^\d+$/)).min(1) });

/** Periodic work (BullMQ job schedulers): each tick is one job, so it runs once across all replicas. */
export const Tick = z.object({});

/** Devices the command channel saw, with when (parallel arrays): the enrollment service writes `last_seen_at`. */
export const DeviceSeen = z
  .object({ deviceIds: z.array(z.string().uuid()).min(1), seenAt: z.array(z.string().datetime()).min(1) })
  .refine((d) => d.deviceIds.length === d.seenAt.length, { message: 'deviceIds and seenAt must have the same length', path: ['seenAt'] });

/** Every job the system moves, as a discriminated union: a producer cannot send the wrong payload. */
export const JobSchemas = {
  'push.batch': PushBatch,
  'push.sweep': Tick,
  'command.expiry-sweep': Tick,
  'command.silent-sweep': Tick,
  /** Queues an inventory refresh for enrolled devices whose last one is older than INVENTORY_REFRESH_INTERVAL. */
  'command.inventory-sweep': Tick,
  'device.seen': DeviceSeen,
  /** Push certificate expiry warnings; a job scheduler ticks it once per interval across replicas. */
  'apns.certificate.check': Tick,
} as const;
export type JobName = keyof typeof JobSchemas;
export type JobData<N extends JobName> = z.infer<(typeof JobSchemas)[N]>;
export type Job = { [N in JobName]: { name: N; data: JobData<N> } }[JobName];

/** Which queue carries which job: the owning consumer of a job is fixed here, not at call sites. */
export const JobQueue: { readonly [N in JobName]: QueueName } = {
  'push.batch': Queue.Push,
  'push.sweep': Queue.Push,
  'command.expiry-sweep': Queue.Command,
  'command.silent-sweep': Queue.Command,
  'command.inventory-sweep': Queue.Command,
  /** The enrollment service owns `devices`: connects report what they saw to it. */
  'device.seen': Queue.Enrollment,
  'apns.certificate.check': Queue.Enrollment,
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

/** `push.batch` jobs for these request ids, `size` ids each: one job is one claim and one set of writes. */
export function pushBatchJobs(requestIds: readonly string[], size: number): Job[] {
  const jobs: Job[] = [];
  for (let i = 0; i < requestIds.length; i += size) {
    jobs.push({ name: 'push.batch', data: { requestIds: requestIds.slice(i, i + size) } });
  }
  return jobs;
}
