import type { X509Certificate } from 'node:crypto';
import { isPlistDict, parsePlistDict, type PlistDict, type PlistValue } from '@mdm/protocol';
import { parseAttachedSignedData, type TrustStore } from '@mdm/pki';

/** What a device reads from an enrollment profile before it enrolls. */
export interface EnrollmentProfileInfo {
  scep: { url: string; challenge?: string; subject?: string; keySize: number; keyUsage?: number; caFingerprint?: Buffer };
  mdm: {
    serverUrl: string;
    checkInUrl?: string;
    topic: string;
    signMessage: boolean;
    identityCertificateUuid: string;
    accessRights: number;
    checkOutWhenRemoved?: boolean;
    serverCapabilities?: string[];
  };
  /** Set when the profile was signed (the signature verified; trusted only if `trust` was given). */
  signer?: X509Certificate;
  /** Every certificate the signed profile's CMS carried (signer included). */
  certificates?: X509Certificate[];
  /** The whole Configuration profile. */
  payload: PlistDict;
}

/**
 * Reads a .mobileconfig as a device does before enrolling: a signed profile must verify (and chain to `trust`
 * when given), and the MDM payload's IdentityCertificateUUID must name the SCEP payload. Throws a plain Error
 * saying what is wrong.
 */
export async function readEnrollmentProfile(
  profile: Buffer,
  opts: { requireSigned?: boolean; trust?: TrustStore } = {},
): Promise<EnrollmentProfileInfo> {
  const { xml, signer, certificates } = await openSignature(profile, opts);
  const payload = parseConfiguration(xml);
  const { mdm, scep, identityUuid } = enrollmentPayloads(payload);
  if (typeof mdm.AccessRights !== 'number') throw new Error('com.apple.mdm AccessRights must be an integer');
  return {
    scep: scepSettings(scep),
    mdm: mdmSettings(mdm, identityUuid, mdm.AccessRights),
    signer,
    certificates,
    payload,
  };
}

/** The profile's XML: a signed profile must verify (and chain to `trust` when given); an unsigned one passes unless a signature is required. */
async function openSignature(
  profile: Buffer,
  opts: { requireSigned?: boolean; trust?: TrustStore },
): Promise<{ xml: Buffer; signer?: X509Certificate; certificates?: X509Certificate[] }> {
  if (!looksLikeDer(profile)) {
    if (opts.requireSigned || opts.trust) throw new Error('enrollment profile is not signed');
    return { xml: profile };
  }
  let signed: Awaited<ReturnType<typeof parseAttachedSignedData>>;
  try {
    signed = await parseAttachedSignedData(profile);
  } catch (err) {
    throw new Error(`enrollment profile signature is invalid: ${message(err)}`);
  }
  if (opts.trust) {
    try {
      opts.trust.verify(signed.signer);
    } catch (err) {
      throw new Error(`enrollment profile signer is not trusted: ${message(err)}`);
    }
  }
  return { xml: signed.content, signer: signed.signer, certificates: signed.certificates };
}

function parseConfiguration(xml: Buffer): PlistDict {
  let payload: PlistDict;
  try {
    payload = parsePlistDict(xml);
  } catch (err) {
    throw new Error(`enrollment profile is not a property list: ${message(err)}`);
  }
  if (payload.PayloadType !== 'Configuration') throw new Error(`enrollment profile PayloadType is ${String(payload.PayloadType)}, expected Configuration`);
  return payload;
}

/** The one com.apple.mdm payload and the SCEP payload its IdentityCertificateUUID names. */
function enrollmentPayloads(payload: PlistDict): { mdm: PlistDict; scep: PlistDict; identityUuid: string } {
  const content = Array.isArray(payload.PayloadContent) ? payload.PayloadContent.filter(isPlistDict) : [];
  const mdmPayloads = content.filter((p) => p.PayloadType === 'com.apple.mdm');
  if (mdmPayloads.length !== 1) throw new Error(`enrollment profile must hold one com.apple.mdm payload, found ${mdmPayloads.length}`);
  const mdm = mdmPayloads[0];
  const identityUuid = requireString(mdm, 'IdentityCertificateUUID', 'com.apple.mdm');
  const scepPayload = content.find((p) => p.PayloadType === 'com.apple.security.scep' && p.PayloadUUID === identityUuid);
  if (!scepPayload) throw new Error(`IdentityCertificateUUID ${identityUuid} names no com.apple.security.scep payload in the profile`);
  const scep = scepPayload.PayloadContent;
  if (!isPlistDict(scep)) throw new Error('the com.apple.security.scep payload has no PayloadContent dict');
  return { mdm, scep, identityUuid };
}

function scepSettings(scep: PlistDict): EnrollmentProfileInfo['scep'] {
  const fingerprint = scep.CAFingerprint;
  return {
    url: requireString(scep, 'URL', 'com.apple.security.scep'),
    challenge: optionalString(scep, 'Challenge'),
    subject: subjectOf(scep.Subject),
    // Apple's default when the payload does not say.
    keySize: optionalNumber(scep, 'Keysize') ?? 1024,
    keyUsage: optionalNumber(scep, 'Key Usage'),
    caFingerprint: Buffer.isBuffer(fingerprint) ? fingerprint : undefined,
  };
}

function mdmSettings(mdm: PlistDict, identityUuid: string, accessRights: number): EnrollmentProfileInfo['mdm'] {
  const capabilities = mdm.ServerCapabilities;
  return {
    serverUrl: requireString(mdm, 'ServerURL', 'com.apple.mdm'),
    checkInUrl: optionalString(mdm, 'CheckInURL'),
    topic: requireString(mdm, 'Topic', 'com.apple.mdm'),
    signMessage: mdm.SignMessage === true,
    identityCertificateUuid: identityUuid,
    accessRights,
    checkOutWhenRemoved: typeof mdm.CheckOutWhenRemoved === 'boolean' ? mdm.CheckOutWhenRemoved : undefined,
    serverCapabilities: Array.isArray(capabilities) ? capabilities.filter((c): c is string => typeof c === 'string') : undefined,
  };
}

function optionalString(dict: PlistDict, key: string): string | undefined {
  return typeof dict[key] === 'string' ? (dict[key] as string) : undefined;
}

function optionalNumber(dict: PlistDict, key: string): number | undefined {
  return typeof dict[key] === 'number' ? (dict[key] as number) : undefined;
}

/** A signed profile is DER (a SEQUENCE); an XML one starts with `<` after optional whitespace. */
export function looksLikeDer(data: Buffer): boolean {
  const start = data.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  return data[start] === 0x30;
}

function requireString(dict: PlistDict, key: string, payloadType: string): string {
  const value = dict[key];
  if (typeof value !== 'string' || value.length === 0) throw new Error(`${payloadType} payload lacks ${key}`);
  return value;
}

/** SCEP Subject `[[['CN','x']], [['O','y']]]` (one array per RDN) as `CN=x, O=y`. */
function subjectOf(subject: PlistValue | undefined): string | undefined {
  if (!Array.isArray(subject)) return undefined;
  const rdns = subject.map((rdn) => {
    const pairs = Array.isArray(rdn) ? rdn : [];
    return pairs
      .map((pair) => {
        if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') throw new Error('SCEP Subject entries must be [type, value] strings');
        return `${pair[0]}=${pair[1].replace(/([,+"\\<>;=])/g, '\\$1')}`;
      })
      .join('+');
  });
  return rdns.length ? rdns.join(', ') : undefined;
}

/** The profile's URL, sent to `baseUrl`'s origin. */
export function onOrigin(baseUrl: string, profileUrl: string): string {
  return `${new URL(baseUrl).origin}${pathOf(profileUrl)}`;
}

export function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
