import { z } from 'zod';
import { EVENT_TYPES } from './events';

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
  /**
   * The command's CommandUUID, chosen by the caller (a new random one when absent): a caller that records
   * it before sending can match the command's events to its own work even if it never sees this answer.
   * 409 when a command with it exists already (use an Idempotency-Key to retry a request safely).
   */
  commandUuid: z.string().uuid('commandUuid must be a UUID').optional(),
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

/**
 * What an API key may do. `read` is every GET; `commands` queues, cancels and pushes; `profiles`
 * changes profiles and their assignments; `admin` is everything (push certificates, enrollment
 * configurations, API keys, webhooks) and implies the others. The gateway enforces them per route.
 */
export const API_KEY_SCOPES = ['read', 'commands', 'profiles', 'admin'] as const;
export const ApiKeyScope = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

/**
 * The secret of an API key as the server hands it out once: `mdm_<key id>_<43 base64url characters>`
 * (32 random bytes). The id lets the owner find the stored hash without trying every row.
 */
export const ApiKeySecret = z
  .string()
  .regex(/^mdm_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/, 'must be an API key (mdm_<id>_<secret>)');

/** `POST /v1/api-keys`. */
export const CreateApiKeyRequest = z.object({
  name: z.string().trim().min(1, 'name must not be empty').max(100),
  scopes: z.array(ApiKeyScope).min(1, 'scopes must name at least one of read, commands, profiles, admin'),
  /** ISO 8601 with an offset or Z; the key stops working then. No expiry when absent. */
  expiresAt: z
    .string()
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
    .refine((v) => Date.parse(v) > Date.now(), 'must be in the future')
    .optional(),
});
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

/** An API key as `GET /v1/api-keys` shows it: never the secret, which is stored only as a hash. */
export const ApiKeyView = z.object({
  id: z.string().uuid(),
  name: z.string(),
  scopes: z.array(ApiKeyScope),
  createdAt: z.string(),
  /** Refreshed at most once a minute, so it may lag the last call by that much. */
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof ApiKeyView>;

/** The answer to `POST /v1/api-keys`: the only time the secret is shown. */
export const CreatedApiKey = ApiKeyView.extend({ secret: ApiKeySecret });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

/** Internal, gateway → enrollment: `POST /internal/api-keys/verify` with the presented secret. */
export const VerifyApiKeyRequest = z.object({ secret: z.string().min(1).max(256) });
export type VerifyApiKeyRequest = z.infer<typeof VerifyApiKeyRequest>;

/** The owner's verdict on a presented secret; `unknown` also covers a wrong secret for a real id. */
export const ApiKeyVerdict = z.discriminatedUnion('status', [
  z.object({ status: z.literal('valid'), id: z.string().uuid(), scopes: z.array(ApiKeyScope), expiresAt: z.string().nullable() }),
  z.object({ status: z.enum(['unknown', 'revoked', 'expired']) }),
]);
export type ApiKeyVerdict = z.infer<typeof ApiKeyVerdict>;

/** How a webhook's body is shaped: this server's envelope (`mdm`), or NanoMDM/MicroMDM's webhook event (`nanomdm`). */
export const WEBHOOK_FORMATS = ['mdm', 'nanomdm'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** The webhook pattern that selects every event type, today's and those added later (as GitHub and Stripe take it). */
export const EVERY_EVENT = '*';

/**
 * An event type of the catalog (`device.enrolled`), every type under a prefix (`command.*`, `apns.certificate.*`)
 * or every type (`*`); anything else is refused naming it, so a typo never subscribes to nothing.
 */
export const WebhookEventPattern = z.string().superRefine((pattern, ctx) => {
  if (pattern === EVERY_EVENT) return;
  if (pattern.endsWith('.*')) {
    const prefix = pattern.slice(0, -1);
    if (!EVENT_TYPES.some((t) => t.startsWith(prefix))) ctx.addIssue({ code: 'custom', message: `no event type starts with ${prefix} (in ${pattern})` });
  } else if (!(EVENT_TYPES as readonly string[]).includes(pattern)) {
    ctx.addIssue({ code: 'custom', message: `unknown event type ${pattern || '""'}; name a catalog type (docs/events.md) or a prefix such as command.*, or * for every event` });
  }
});

const WebhookUrl = z
  .string()
  .max(2048)
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http:// or https:// URL');
/** Long enough that it cannot be guessed from the signatures it makes. */
const WebhookSecret = z.string().min(16, 'secret must be at least 16 characters').max(512);
const WebhookEvents = z.array(WebhookEventPattern).min(1, 'events must name at least one event type or pattern').max(100);

/** `POST /v1/webhooks`. */
export const CreateWebhookRequest = z.object({
  url: WebhookUrl,
  secret: WebhookSecret,
  events: WebhookEvents,
  format: z.enum(WEBHOOK_FORMATS).default('mdm'),
  enabled: z.boolean().default(true),
});
export type CreateWebhookRequest = z.infer<typeof CreateWebhookRequest>;

/** `PATCH /v1/webhooks/{id}`: the fields to change. */
export const UpdateWebhookRequest = z
  .object({
    url: WebhookUrl.optional(),
    secret: WebhookSecret.optional(),
    events: WebhookEvents.optional(),
    format: z.enum(WEBHOOK_FORMATS).optional(),
    enabled: z.boolean().optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'name at least one of url, secret, events, format, enabled');
export type UpdateWebhookRequest = z.infer<typeof UpdateWebhookRequest>;

/** `POST /v1/webhooks/{id}/replay`: send the webhook's past events of `[from, to)` again, optionally only some types. */
export const ReplayWebhookRequest = z
  .object({
    from: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
    to: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
    types: z.array(WebhookEventPattern).min(1).max(100).optional(),
  })
  .refine((v) => Date.parse(v.from) < Date.parse(v.to), { message: 'from must be before to', path: ['to'] });
export type ReplayWebhookRequest = z.infer<typeof ReplayWebhookRequest>;
