import type { ProfilePayloadDefinition } from '@mdm/contracts';
import { PayloadIdentifier } from '@mdm/contracts';
import { parseAttachedSignedData, PkiError } from '@mdm/pki';
import { describeKind, isPlistDict, parsePlistDict, type PlistDict, plistToJson, ProtocolError } from '@mdm/protocol';

/** A .mobileconfig read back into the admin API's definition, or why it cannot be. */
export interface UploadedProfile {
  name: string | undefined;
  identifier: string;
  removalDisallowed: boolean;
  description: string | undefined;
  payloads: ProfilePayloadDefinition[];
  /** What the file held that a stored profile does not keep. */
  warnings: string[];
  signed: boolean;
}

export class UploadError extends Error {}

// Rebuilt by the server for every version; PayloadDisplayName, PayloadDescription and
// PayloadOrganization stay in the settings, where the catalog accepts them.
const PAYLOAD_REBUILT = new Set(['PayloadType', 'PayloadVersion', 'PayloadUUID', 'PayloadIdentifier']);
const TOP_LEVEL_KEPT = new Set([
  'PayloadType',
  'PayloadVersion',
  'PayloadUUID',
  'PayloadIdentifier',
  'PayloadDisplayName',
  'PayloadDescription',
  'PayloadRemovalDisallowed',
  'PayloadContent',
]);

/**
 * Reads an uploaded .mobileconfig: a CMS SignedData (its signature must verify over the content;
 * the signer need not be trusted, as the server signs again with its own identity) or plain XML.
 */
export async function readMobileconfig(bytes: Buffer): Promise<UploadedProfile> {
  const signed = !looksLikeXml(bytes);
  let xml = bytes;
  if (signed) {
    try {
      xml = (await parseAttachedSignedData(bytes)).content;
    } catch (err) {
      if (err instanceof PkiError) throw new UploadError(`mobileconfig is neither a plist nor a valid signed profile: ${err.message}`);
      throw err;
    }
  }
  let top: PlistDict;
  try {
    top = parsePlistDict(xml);
  } catch (err) {
    if (err instanceof ProtocolError) throw new UploadError(`mobileconfig is not a readable plist: ${err.message}`);
    throw err;
  }
  if (top['PayloadType'] !== 'Configuration') {
    throw new UploadError(`mobileconfig PayloadType must be Configuration, got ${describeKind(top['PayloadType'])}`);
  }
  if (top['EncryptedPayloadContent'] !== undefined) throw new UploadError('encrypted profiles (EncryptedPayloadContent) are not supported');
  const identifier = PayloadIdentifier.safeParse(top['PayloadIdentifier']);
  if (!identifier.success) throw new UploadError(`mobileconfig PayloadIdentifier must be a reverse-DNS identifier, got ${describeKind(top['PayloadIdentifier'])}`);
  const content = top['PayloadContent'];
  if (!Array.isArray(content) || content.length === 0) throw new UploadError('mobileconfig PayloadContent must be a non-empty array of payloads');

  const warnings = Object.keys(top)
    .filter((k) => !TOP_LEVEL_KEPT.has(k))
    .sort()
    .map((k) => `mobileconfig.${k}: not kept; the server writes its own profile-level keys`);
  const payloads = content.map((item, i): ProfilePayloadDefinition => {
    const at = `PayloadContent[${i}]`;
    if (!isPlistDict(item)) throw new UploadError(`${at} must be a dictionary, got ${describeKind(item)}`);
    const type = item['PayloadType'];
    if (typeof type !== 'string' || type.length === 0) throw new UploadError(`${at}.PayloadType must be a string`);
    const payloadId = item['PayloadIdentifier'];
    const parsedId = PayloadIdentifier.safeParse(payloadId);
    if (payloadId !== undefined && !parsedId.success) {
      throw new UploadError(`${at} ${type}.PayloadIdentifier must be a reverse-DNS identifier, got ${describeKind(payloadId)}`);
    }
    const settings: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item)) {
      if (!PAYLOAD_REBUILT.has(key)) settings[key] = plistToJson(value);
    }
    return { type, ...(parsedId.success ? { identifier: parsedId.data } : {}), settings };
  });
  const removal = top['PayloadRemovalDisallowed'];
  const description = top['PayloadDescription'];
  const name = top['PayloadDisplayName'];
  return {
    name: typeof name === 'string' && name.length > 0 ? name : undefined,
    identifier: identifier.data,
    removalDisallowed: removal === true,
    description: typeof description === 'string' && description.length > 0 ? description : undefined,
    payloads,
    warnings,
    signed,
  };
}

function looksLikeXml(bytes: Buffer): boolean {
  // A DER SignedData starts with a SEQUENCE tag (0x30); XML with "<", maybe after a BOM or whitespace.
  const head = bytes.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return head.startsWith('<');
}
