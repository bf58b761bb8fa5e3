import { z } from 'zod';

/**
 * Admin API request bodies. The gateway validates with these before forwarding, and the owning
 * service parses again at its own boundary; both answer 400 naming the field.
 */
/**
 * A push certificate as a PEM pair (`privateKey` may be left out when the key was made on the server by
 * `POST /v1/apns/csr`) or as a PKCS#12 file in base64 with its password. `force` allows a PUT that
 * replaces the single stored topic with another one (see apps/enrollment/src/apns-certificate/README.md).
 */
export const PutApnsCertificateRequest = z
  .object({
    certificate: z.string().min(1, 'certificate must be a PEM string').optional(),
    privateKey: z.string().min(1, 'privateKey must be a PEM string').optional(),
    pkcs12: z
      .string()
      .min(1, 'pkcs12 must be a base64 PKCS#12 file')
      .regex(/^[A-Za-z0-9+/=\s_-]+$/, 'pkcs12 must be a base64 PKCS#12 file')
      .optional(),
    password: z.string().optional(),
    force: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    const issue = (field: string, message: string): void => ctx.addIssue({ code: 'custom', path: [field], message });
    if (v.certificate === undefined && v.pkcs12 === undefined) {
      issue('certificate', 'certificate (PEM) or pkcs12 (base64 PKCS#12 with password) is required');
    }
    if (v.certificate !== undefined && v.pkcs12 !== undefined) issue('pkcs12', 'send either certificate or pkcs12, not both');
    if (v.pkcs12 !== undefined && v.privateKey !== undefined) issue('privateKey', 'the key of a pkcs12 upload is inside the file');
    if (v.pkcs12 === undefined && v.password !== undefined) issue('password', 'password goes with pkcs12 only');
  });
export type PutApnsCertificateRequest = z.infer<typeof PutApnsCertificateRequest>;

/** Adds a push certificate for another topic (one per tenant); same body as the PUT, `force` ignored. */
export const PostApnsCertificatesRequest = PutApnsCertificateRequest;
export type PostApnsCertificatesRequest = PutApnsCertificateRequest;

/** Optional subject details for the CSR of a new push certificate key. */
export const PostApnsCsrRequest = z
  .object({
    commonName: z.string().min(1).max(64).optional(),
    email: z.string().email('email must be an e-mail address').optional(),
  })
  .default({});
export type PostApnsCsrRequest = z.infer<typeof PostApnsCsrRequest>;

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
  /**
   * Skip the command catalog: an unknown RequestType or keys Apple's schema doesn't list are sent
   * as written (for commands newer than the catalog). Supervision and OS checks still apply to
   * RequestTypes the catalog knows.
   */
  raw: z.boolean().default(false),
  /** Optional expiry (ISO 8601); the command becomes EXPIRED on devices that haven't run it by then. */
  expiresAt: z.string().datetime().optional(),
});
export type CreateCommandsRequest = z.infer<typeof CreateCommandsRequest>;

/** POST /v1/push: wake devices now (they connect and fetch whatever is queued). */
export const PushDevicesRequest = z.object({
  udids: z.array(Udid).min(1, 'udids must name at least one device').max(100_000),
});
export type PushDevicesRequest = z.infer<typeof PushDevicesRequest>;

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

export const CreateEnrollmentConfigurationRequest = z.object({
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"'),
  /** Push topic (tenant) the profiles enroll into; the newest push certificate's when absent. */
  topic: z.string().startsWith('com.apple.mgmt.', 'must be a push topic (com.apple.mgmt....)').optional(),
  /** AccessRights of the MDM payload, 1..8191 (8191 = all). */
  accessRights: z.number().int().min(1).max(8191).optional(),
  displayName: z.string().min(1).max(200).optional(),
});
export type CreateEnrollmentConfigurationRequest = z.infer<typeof CreateEnrollmentConfigurationRequest>;

/** A top-level or payload PayloadIdentifier: reverse-DNS style, as devices key installed profiles by it. */
export const PayloadIdentifier = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a reverse-DNS identifier (letters, digits, ".", "_", "-")');

/**
 * One payload of a configuration profile: its PayloadType and settings as JSON (`{ "$data": base64 }`
 * and `{ "$date": ISO 8601 }` for plist data and dates), checked against Apple's schema by the profile
 * service. PayloadUUID and PayloadVersion are the server's; PayloadIdentifier goes in `identifier`.
 */
export const ProfilePayloadDefinition = z.object({
  type: z.string().min(1, 'type must be a PayloadType such as com.apple.mobiledevice.passwordpolicy'),
  identifier: PayloadIdentifier.optional(),
  settings: z.record(z.string(), z.unknown()).default({}),
});
export type ProfilePayloadDefinition = z.infer<typeof ProfilePayloadDefinition>;

/** POST /v1/profiles, and PUT /v1/profiles/{id} (which replaces the whole definition; the identifier stays). */
export const ProfileDefinitionRequest = z.object({
  name: z.string().min(1).max(200),
  identifier: PayloadIdentifier,
  removalDisallowed: z.boolean().default(false),
  description: z.string().max(2000).optional(),
  payloads: z.array(ProfilePayloadDefinition).min(1, 'payloads must hold at least one payload').max(100),
  /** Accept payload types the catalog doesn't know (newer than it), unchecked; known ones are still checked. */
  allowUnknown: z.boolean().default(false),
});
export type ProfileDefinitionRequest = z.infer<typeof ProfileDefinitionRequest>;

/** POST /v1/profiles/upload: an existing .mobileconfig, signed (CMS) or plain XML, in base64. */
export const UploadProfileRequest = z.object({
  mobileconfig: z
    .string()
    .min(1, 'mobileconfig must be a base64 .mobileconfig')
    .regex(/^[A-Za-z0-9+/=\s]+$/, 'mobileconfig must be a base64 .mobileconfig'),
  /** Keep payload types the catalog doesn't know instead of refusing the file. */
  allowUnknown: z.boolean().default(false),
  /** Overrides the file's PayloadDisplayName as the profile's name. */
  name: z.string().min(1).max(200).optional(),
});
export type UploadProfileRequest = z.infer<typeof UploadProfileRequest>;

/** `POST /v1/commands/{uuid}/cancel`: the named devices, or every device the command is pending on. */
export const CancelCommandRequest = z.object({
  udids: z.array(Udid).min(1, 'udids must name at least one device (or leave it out to cancel everywhere)').optional(),
});
