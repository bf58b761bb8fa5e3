import {
  compareOsVersions,
  isPlistDict,
  parsePlistDict,
  payloadSpec,
  PAYLOAD_ENVELOPE_KEYS,
  type ErrorChainItem,
  type PlistDict,
} from '@mdm/protocol';
import { parseAttachedSignedData } from '@mdm/pki';
import { looksLikeDer, type EnrollmentProfileInfo } from './enrollment-profile';
import { fieldChain, installFailedChain, invalidProfileChain, profileNotInstalledChain } from './mdm-errors';

/** One payload of an installed profile, its settings without the Payload* envelope keys. */
export interface InstalledPayload {
  type: string;
  identifier: string;
  uuid?: string;
  version: number;
  displayName?: string;
  description?: string;
  organization?: string;
  settings: PlistDict;
}

/** A profile as the simulated device holds it, keyed by PayloadIdentifier in `installedProfiles`. */
export interface InstalledProfile {
  identifier: string;
  uuid: string;
  version: number;
  displayName?: string;
  description?: string;
  organization?: string;
  removalDisallowed: boolean;
  payloads: InstalledPayload[];
  /** DER certificates of a signed profile: the signer first, then the other certificates the CMS carried. */
  signerCertificates?: Buffer[];
  /** The MDM enrollment profile itself. */
  enrollment: boolean;
  /** The whole Configuration dict as installed. */
  profile: PlistDict;
}

/** What an install is checked against besides the profile itself. */
export interface InstallContext {
  supervised: boolean;
  /** The test's own refusal (see DeviceSimulatorOptions.refuseProfiles). */
  refuse?: (identifier: string, profile: PlistDict) => ErrorChainItem[] | undefined;
}

/** The configuration profiles a simulated device holds, by PayloadIdentifier, in installation order. */
export class ProfileStore {
  private readonly profiles = new Map<string, InstalledProfile>();

  get installed(): ReadonlyMap<string, InstalledProfile> {
    return this.profiles;
  }

  clear(): void {
    this.profiles.clear();
  }

  /**
   * Installs a profile as InstallProfile does (signed CMS or plain XML): one with the PayloadIdentifier of an
   * installed profile replaces it. Returns the ErrorChain the device would report instead, without touching
   * the store: unreadable or invalid profile, a bad signature, a payload type that needs supervision on an
   * unsupervised device, or whatever `refuse` says.
   */
  async install(data: Buffer, context: InstallContext): Promise<ErrorChainItem[] | undefined> {
    let xml = data;
    let signerCertificates: Buffer[] | undefined;
    if (looksLikeDer(data)) {
      try {
        const { content, signer, certificates } = await parseAttachedSignedData(data);
        xml = content;
        signerCertificates = [signer.raw, ...certificates.filter((c) => !c.raw.equals(signer.raw)).map((c) => c.raw)];
      } catch {
        return invalidProfileChain();
      }
    }
    let profile: PlistDict;
    try {
      profile = parsePlistDict(xml);
    } catch {
      return invalidProfileChain();
    }
    const parsed = readConfigurationProfile(profile);
    if ('error' in parsed) return parsed.error;
    const installed: InstalledProfile = { ...parsed.profile, ...(signerCertificates ? { signerCertificates } : {}) };
    const name = installed.displayName ?? installed.identifier;

    if (installed.payloads.some((p) => p.type === 'com.apple.mdm')) {
      // Only one MDM enrollment can exist; a second MDM payload through MDM is refused.
      return installFailedChain(name, 'com.apple.mdm', 'A device can be enrolled in only one MDM service.');
    }
    if (this.profiles.get(installed.identifier)?.enrollment) {
      return installFailedChain(name, installed.identifier, 'A profile with this identifier is already installed as the MDM profile.');
    }
    if (!context.supervised) {
      const needsSupervision = installed.payloads.find((p) => payloadSpec(p.type)?.supervised === true);
      if (needsSupervision) {
        return installFailedChain(name, needsSupervision.displayName ?? needsSupervision.type, 'This payload requires a supervised device.');
      }
    }
    const refused = context.refuse?.(installed.identifier, profile);
    if (refused) return refused;

    // Replacing keeps iOS's behaviour of one profile per identifier; the new one goes to the end of the list.
    this.profiles.delete(installed.identifier);
    this.profiles.set(installed.identifier, installed);
    return undefined;
  }

  /**
   * Removes a profile as RemoveProfile does. PayloadRemovalDisallowed binds the user, not the MDM that
   * installed the profile, so it does not stop this. Removing the enrollment profile unenrolls the device:
   * every managed profile goes with it.
   */
  remove(identifier: string): ErrorChainItem[] | undefined {
    const profile = this.profiles.get(identifier);
    if (!profile) return profileNotInstalledChain(identifier);
    if (profile.enrollment) this.profiles.clear();
    else this.profiles.delete(identifier);
    return undefined;
  }

  /** Holds the enrollment profile the device enrolled with, first in the list as iOS shows it. */
  holdEnrollmentProfile(info: EnrollmentProfileInfo): void {
    const parsed = readConfigurationProfile(info.payload);
    // readEnrollmentProfile has already checked what a device needs; a profile without identifiers is
    // still enrollable in tests, it is just not listed.
    if ('error' in parsed) return;
    const signer = info.signer;
    const signerCertificates = signer ? [signer.raw, ...(info.certificates ?? []).filter((c) => !c.raw.equals(signer.raw)).map((c) => c.raw)] : undefined;
    this.profiles.set(parsed.profile.identifier, { ...parsed.profile, enrollment: true, ...(signerCertificates ? { signerCertificates } : {}) });
  }

  /** The ProfileList answer (apple-device-management/mdm/commands/profile.list.yaml, response keys). */
  list(device: { osVersion: string; supervised: boolean }): PlistDict[] {
    // Payload UUIDs are listed from iOS 17; IsManaged is not returned for supervised devices.
    const withPayloadUuid = compareOsVersions(device.osVersion, '17.0') >= 0;
    return [...this.profiles.values()].map((p) => {
      const item: PlistDict = {
        PayloadIdentifier: p.identifier,
        PayloadUUID: p.uuid,
        PayloadVersion: p.version,
        PayloadRemovalDisallowed: p.removalDisallowed,
        HasRemovalPasscode: p.payloads.some((payload) => payload.type === 'com.apple.profileRemovalPassword'),
        IsEncrypted: false,
        PayloadContent: p.payloads.map((payload) => {
          const entry: PlistDict = { PayloadType: payload.type, PayloadIdentifier: payload.identifier, PayloadVersion: payload.version };
          if (withPayloadUuid && payload.uuid !== undefined) entry.PayloadUUID = payload.uuid;
          Object.assign(entry, describedBy(payload));
          return entry;
        }),
        ...describedBy(p),
      };
      if (!device.supervised) item.IsManaged = true;
      if (p.signerCertificates) item.SignerCertificates = p.signerCertificates;
      return item;
    });
  }

  /** Every installed payload of a type, oldest profile first. */
  payloadsOfType(type: string): Array<{ profile: InstalledProfile; payload: InstalledPayload }> {
    return [...this.profiles.values()].flatMap((profile) => profile.payloads.filter((p) => p.type === type).map((payload) => ({ profile, payload })));
  }
}

function describedBy(item: { displayName?: string; description?: string; organization?: string }): PlistDict {
  const out: PlistDict = {};
  if (item.displayName !== undefined) out.PayloadDisplayName = item.displayName;
  if (item.description !== undefined) out.PayloadDescription = item.description;
  if (item.organization !== undefined) out.PayloadOrganization = item.organization;
  return out;
}

const NON_SETTING_KEYS = new Set([...PAYLOAD_ENVELOPE_KEYS, 'PayloadEnabled']);

/**
 * Reads a Configuration profile's envelope and payloads the way profiled validates them: required string
 * identifiers, a PayloadContent array of dicts each with PayloadType and PayloadIdentifier.
 */
function readConfigurationProfile(profile: PlistDict): { profile: InstalledProfile } | { error: ErrorChainItem[] } {
  if (profile.PayloadType === undefined) return { error: fieldChain(1002, 'PayloadType') };
  if (profile.PayloadType !== 'Configuration') return { error: fieldChain(1003, 'PayloadType') };
  const text = (dict: PlistDict, key: string): string | undefined => (typeof dict[key] === 'string' ? (dict[key] as string) : undefined);
  for (const key of ['PayloadIdentifier', 'PayloadUUID']) {
    if (profile[key] === undefined) return { error: fieldChain(1002, key) };
    if (!text(profile, key)) return { error: fieldChain(1003, key) };
  }
  const content = profile.PayloadContent ?? [];
  if (!Array.isArray(content)) return { error: fieldChain(1003, 'PayloadContent') };
  const payloads: InstalledPayload[] = [];
  for (const item of content) {
    if (!isPlistDict(item)) return { error: fieldChain(1003, 'PayloadContent') };
    for (const key of ['PayloadType', 'PayloadIdentifier']) {
      if (item[key] === undefined) return { error: fieldChain(1002, key) };
      if (!text(item, key)) return { error: fieldChain(1003, key) };
    }
    const settings: PlistDict = {};
    for (const [key, value] of Object.entries(item)) if (!NON_SETTING_KEYS.has(key)) settings[key] = value;
    payloads.push({
      type: item.PayloadType as string,
      identifier: item.PayloadIdentifier as string,
      uuid: text(item, 'PayloadUUID'),
      version: typeof item.PayloadVersion === 'number' ? item.PayloadVersion : 1,
      displayName: text(item, 'PayloadDisplayName'),
      description: text(item, 'PayloadDescription'),
      organization: text(item, 'PayloadOrganization'),
      settings,
    });
  }
  return {
    profile: {
      identifier: profile.PayloadIdentifier as string,
      uuid: profile.PayloadUUID as string,
      version: typeof profile.PayloadVersion === 'number' ? profile.PayloadVersion : 1,
      displayName: text(profile, 'PayloadDisplayName'),
      description: text(profile, 'PayloadDescription'),
      organization: text(profile, 'PayloadOrganization'),
      removalDisallowed: profile.PayloadRemovalDisallowed === true,
      payloads,
      enrollment: false,
      profile,
    },
  };
}
