import { z } from 'zod';

/**
 * Admin API request bodies. The gateway validates with these before forwarding, and the owning
 * service parses again at its own boundary; both answer 400 naming the field.
 */
export const PutApnsCertificateRequest = z.object({
  certificate: z.string().min(1, 'certificate must be a PEM string'),
  privateKey: z.string().min(1, 'privateKey must be a PEM string'),
});
export type PutApnsCertificateRequest = z.infer<typeof PutApnsCertificateRequest>;

export const Udid = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9-]+$/, 'must be a device UDID (letters, digits and dashes)');

export const CreateCommandsRequest = z.object({
  udids: z.array(Udid).min(1, 'udids must name at least one device').max(100_000),
  command: z
    .object({ RequestType: z.string().min(1, 'RequestType must be a non-empty string') })
    .catchall(z.unknown()),
  push: z.boolean().default(true),
  /** Optional expiry (ISO 8601); the command becomes EXPIRED on devices that haven't run it by then. */
  expiresAt: z.string().datetime().optional(),
});
export type CreateCommandsRequest = z.infer<typeof CreateCommandsRequest>;

export const PagingQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/** Renders a zod error as one line naming each bad field, e.g. `udids.0: must be a device UDID`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
