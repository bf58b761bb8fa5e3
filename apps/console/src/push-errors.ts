/**
 * Push and command failures in words an operator understands, with the raw code kept beside them so it
 * can still be searched for. Pure: no React, no DOM (unit-tested in push-errors.spec.ts).
 */
export interface Explained {
  /** One short sentence: what happened and what to do. */
  text: string;
  /** What the server recorded, unchanged (`BadDeviceToken`, `MCInstallationErrorDomain 4001`). */
  code: string;
  tone: 'ok' | 'warn' | 'bad';
}

const TOKEN_GONE = 'The device no longer answers to this push token (app removed, device erased or unenrolled); it must enroll again.';
const CERTIFICATE = 'Apple refused the push certificate';

/** APNs `reason` values (Apple's "Handling notification responses from APNs"), by what an operator does about them. */
const APNS_REASON_TEXT: Record<string, string> = {
  BadDeviceToken: 'Apple says the push token is not valid for this environment; the device must enroll again.',
  Unregistered: TOKEN_GONE,
  ExpiredToken: TOKEN_GONE,
  DeviceTokenNotForTopic: 'The device enrolled for another push topic than this certificate\'s; enroll it again with the current profile.',
  TopicDisallowed: `${CERTIFICATE}: it does not allow this topic. Upload the certificate made for the devices' topic.`,
  BadCertificate: `${CERTIFICATE}. Upload a valid MDM push certificate from Apple.`,
  BadCertificateEnvironment: `${CERTIFICATE}: it is for another APNs environment (sandbox vs production).`,
  ExpiredProviderToken: 'Apple says the push credentials have expired. Renew the push certificate.',
  InvalidProviderToken: 'Apple says the push credentials are not valid. Check the push certificate.',
  MissingProviderToken: 'Apple received no push credentials. Check the push certificate.',
  Forbidden: `${CERTIFICATE} (forbidden). Check or renew the push certificate.`,
  BadTopic: 'The push topic is not valid; check the push certificate\'s topic.',
  MissingTopic: 'No push topic was sent; check the push certificate\'s topic.',
  TooManyRequests: 'Apple is throttling pushes to this device (too many in a short time); it will be tried again later.',
  TooManyProviderTokenUpdates: 'Apple is throttling credential updates; pushes are retried later.',
  IdleTimeout: 'The connection to Apple sat idle too long; the push is retried on a fresh connection.',
  InternalServerError: 'Apple\'s push service had an internal error; the push is retried.',
  ServiceUnavailable: 'Apple\'s push service is unavailable right now; the push is retried.',
  Shutdown: 'Apple\'s push server is shutting down; the push is retried on another connection.',
  PayloadTooLarge: 'The push message was too large for Apple.',
  Timeout: 'Apple did not answer in time; the push is retried.',
  ClientClosed: 'The push connection was closing; the push is retried.',
  RefusedStream: 'Apple refused the request on a busy connection; the push is retried.',
};

/** Network failures (Node error codes) before APNs could answer at all. */
const CONNECTION_TEXT: Array<[RegExp, string]> = [
  [/ENOTFOUND|EAI_AGAIN/, 'The server could not look up Apple\'s push address (DNS). Check the network or proxy.'],
  [/ECONNREFUSED/, 'The connection to Apple\'s push service was refused. Check the firewall (port 443 to api.push.apple.com).'],
  [/ETIMEDOUT|ESOCKETTIMEDOUT/, 'The connection to Apple\'s push service timed out. Check the network or firewall.'],
  [/ECONNRESET|EPIPE|closed before SETTINGS|GOAWAY/i, 'The connection to Apple\'s push service was dropped; the push is retried.'],
  [/ALERT_|CERT|SSL|TLS/, `${CERTIFICATE} while connecting (TLS). Check or renew the push certificate.`],
];

const OUTCOME_TEXT: Record<string, { text: string; tone: Explained['tone'] }> = {
  sent: { text: 'Apple accepted the push; the device will connect when it can.', tone: 'ok' },
  skipped: { text: 'Not pushed: the device has no usable push token or no certificate for its topic.', tone: 'warn' },
  'dead-token': { text: TOKEN_GONE, tone: 'bad' },
  'certificate-error': { text: `${CERTIFICATE}. Check or renew the push certificate.`, tone: 'bad' },
  retryable: { text: 'Apple\'s push service could not be reached or asked to wait; the push is retried.', tone: 'warn' },
  failed: { text: 'Apple refused the push.', tone: 'bad' },
};

/** An HTTP status from APNs without a reason body. */
function statusText(status: number): string | undefined {
  if (status >= 500) return `Apple's push service failed (HTTP ${status}); the push is retried.`;
  if (status === 429) return APNS_REASON_TEXT['TooManyRequests'];
  if (status === 410) return TOKEN_GONE;
  if (status === 403) return OUTCOME_TEXT['certificate-error']!.text;
  return undefined;
}

/** Reasons that pass on their own: the server retries, nothing for the operator to do yet. */
const TRANSIENT = /^(TooMany|IdleTimeout|InternalServerError|ServiceUnavailable|Shutdown|Timeout|ClientClosed|RefusedStream|(HTTP )?(5\d\d|429)$)|ECONN|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|closed before SETTINGS|GOAWAY/;

/**
 * Explains a push result as the server records it: a device's `lastOutcome` (`sent`, `dead-token: Unregistered`,
 * `retryable: ECONNREFUSED: connect ...`), a bare APNs reason (`tokenInvalidReason`, a `push.failed` event's
 * `reason`), or an HTTP status (`HTTP 503`, `503`). Null when there is nothing to explain.
 */
export function explainPush(raw: string | null | undefined): Explained | null {
  const code = raw?.trim();
  if (!code) return null;
  const colon = code.indexOf(': ');
  const outcome = OUTCOME_TEXT[colon >= 0 ? code.slice(0, colon) : code];
  const reason = outcome ? (colon >= 0 ? code.slice(colon + 2).trim() : '') : code;
  if (!reason) return outcome ? { text: outcome.text, code, tone: outcome.tone } : null;
  const tone: Explained['tone'] = TRANSIENT.test(reason) ? 'warn' : 'bad';
  const status = /^(?:HTTP )?(\d{3})$/.exec(reason);
  const text =
    APNS_REASON_TEXT[reason] ??
    (status ? statusText(Number(status[1])) : undefined) ??
    CONNECTION_TEXT.find(([pattern]) => pattern.test(reason))?.[1] ??
    outcome?.text ??
    `The push failed: ${sentence(reason)}`;
  return { text, code, tone };
}

/** One entry of Apple's ErrorChain, outermost first. */
export type ErrorChainEntry = Record<string, unknown>;

/** What failed, by the error domain of the chain's outermost entry. */
const DOMAIN_SUBJECT: Record<string, string> = {
  MCInstallationErrorDomain: 'The device could not install the profile',
  MCProfileErrorDomain: 'The device found the profile invalid',
  MCPayloadErrorDomain: 'The device refused a payload of the profile',
  MCRestrictionsErrorDomain: 'The device refused a restriction',
  MCPasscodeErrorDomain: 'The device refused the passcode settings',
  MCMDMErrorDomain: 'The device refused the command',
  MDMErrorDomain: 'The device refused the command',
  MCKeychainErrorDomain: 'The device could not store a certificate or key',
};

/**
 * One sentence for a command's or profile's ErrorChain: the outermost domain says what failed, the innermost
 * description why; `code` keeps every domain and code (`MCInstallationErrorDomain 4001 › MCProfileErrorDomain 1000`).
 */
export function explainErrorChain(chain: readonly ErrorChainEntry[] | null | undefined): Explained | null {
  if (!chain || chain.length === 0) return null;
  const code = chain.map((e) => `${describeValue(e['ErrorDomain']) || '?'} ${describeValue(e['ErrorCode'])}`.trim()).join(' › ');
  const reasons = chain.map((e) => describeValue(e['USEnglishDescription']) || describeValue(e['LocalizedDescription'])).filter((t) => t !== '');
  const subject = DOMAIN_SUBJECT[describeValue(chain[0]!['ErrorDomain'])] ?? 'The device reported an error';
  const why = reasons.at(-1);
  const text = why && !subject.toLowerCase().includes(why.toLowerCase()) ? `${subject}: ${sentence(why)}` : `${subject}.`;
  return { text, code, tone: 'bad' };
}

function describeValue(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '';
}

function sentence(s: string): string {
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
