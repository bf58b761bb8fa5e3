import { createHash, X509Certificate } from 'node:crypto';
import { compareOsVersions, isPlistDict, type PlistDict, type PlistValue } from '@mdm/protocol';
import { acknowledged, failed, formatError, stringList, type AnsweringDevice, type CommandHandler } from './command-outcome';
import { answerDeviceInformation } from './device-information-answers';
import type { DeviceState, SimulatedApp } from './device-state';
import { notInLostModeChain } from './mdm-errors';

const atLeast = (s: DeviceState, version: string): boolean => compareOsVersions(s.osVersion, version) >= 0;

/** Read-only commands, answered with the response keys of Apple's schema for each. */
export const QUERY_HANDLERS: Record<string, CommandHandler> = {
  DeviceInformation: (command, device) => {
    const queries = stringList(command.Queries);
    if (!queries) return formatError;
    return acknowledged({ QueryResponses: answerDeviceInformation(device.state, queries, device.deviceInformation) });
  },
  ProfileList: (_command, device) =>
    acknowledged({ ProfileList: device.profiles.list({ osVersion: device.state.osVersion, supervised: device.state.supervised }) }),
  SecurityInfo: (_command, device) => acknowledged({ SecurityInfo: securityInfo(device) }),
  CertificateList: (_command, device) => acknowledged({ CertificateList: certificateList(device) }),
  InstalledApplicationList: (command, { state }) => {
    const wanted = stringList(command.Identifiers);
    const items = atLeast(state, '14.0') ? stringList(command.Items) : undefined;
    const apps = [...state.apps.values()].filter((a) => (!wanted || wanted.includes(a.identifier)) && (command.ManagedAppsOnly !== true || a.managed));
    return acknowledged({ InstalledApplicationList: apps.map((a) => pick(installedApp(a, state), items)) });
  },
  ManagedApplicationList: (command, { state }) => {
    const wanted = stringList(command.Identifiers);
    const list: PlistDict = {};
    for (const app of state.apps.values()) {
      if (!app.managed || (wanted && !wanted.includes(app.identifier))) continue;
      list[app.identifier] = {
        Status: 'Managed',
        ManagementFlags: app.managementFlags,
        HasConfiguration: app.configuration !== undefined,
        HasFeedback: false,
        IsValidated: true,
        ExternalVersionIdentifier: app.externalVersionIdentifier,
      };
    }
    return acknowledged({ ManagedApplicationList: list });
  },
  ManagedApplicationAttributes: (command, { state }) =>
    acknowledged({ ApplicationAttributes: managedAppEntries(state, command, (a): PlistDict => (a.attributes ? { Attributes: a.attributes } : {})) }),
  ManagedApplicationConfiguration: (command, { state }) =>
    acknowledged({ ApplicationConfigurations: managedAppEntries(state, command, (a): PlistDict => (a.configuration ? { Configuration: a.configuration } : {})) }),
  ManagedApplicationFeedback: (command, { state }) => acknowledged({ ManagedApplicationFeedback: managedAppEntries(state, command, () => ({})) }),
  ManagedMediaList: () => acknowledged({ Books: [] }),
  ProvisioningProfileList: (command, { state }) => {
    const profiles = [...state.provisioningProfiles.values()].filter((p) => command.ManagedOnly !== true || p.managed);
    return acknowledged({ ProvisioningProfileList: profiles.map((p) => ({ Name: p.name, UUID: p.uuid, ExpiryDate: p.expiryDate })) });
  },
  Restrictions: (command, device) => {
    const perProfile = profileRestrictions(device);
    const response: PlistDict = { GlobalRestrictions: combineRestrictions(Object.values(perProfile).filter(isPlistDict)) };
    if (command.ProfileRestrictions === true) response.ProfileRestrictions = perProfile;
    return acknowledged(response);
  },
  AvailableOSUpdates: (_command, { state }) =>
    acknowledged({
      AvailableOSUpdates: state.availableOsUpdates.map((u) => {
        const item: PlistDict = {
          ProductKey: u.productKey,
          HumanReadableName: u.humanReadableName,
          ProductName: u.humanReadableName,
          Version: u.version,
          Build: u.build,
          DownloadSize: u.downloadSize,
          InstallSize: u.installSize,
          IsCritical: u.isCritical,
          RestartRequired: u.restartRequired,
          AllowsInstallLater: true,
        };
        if (atLeast(state, '16.2')) item.IsSecurityResponse = u.isSecurityResponse;
        return item;
      }),
    }),
  OSUpdateStatus: (_command, { state }) =>
    acknowledged({
      OSUpdateStatus: [...state.scheduledOsUpdates.values()].map((u) => ({
        ProductKey: u.productKey,
        IsDownloaded: u.status === 'Installing',
        DownloadPercentComplete: u.status === 'Installing' ? 1 : 0.25,
        Status: u.status,
      })),
    }),
  ActivationLockBypassCode: (_command, { state }) => acknowledged({ ActivationLockBypassCode: bypassCode(state) }),
  DeviceLocation: (_command, { state }) => {
    if (!state.lostMode) return failed(notInLostModeChain());
    const location: PlistDict = { Latitude: 48.8584, Longitude: 2.2945 };
    if (atLeast(state, '10.3')) {
      Object.assign(location, { HorizontalAccuracy: 65, VerticalAccuracy: 10, Altitude: 35, Speed: 0, Course: -1, Timestamp: new Date().toISOString() });
    }
    return acknowledged(location);
  },
};

function pick(entry: PlistDict, keys: string[] | undefined): PlistDict {
  if (!keys) return entry;
  return Object.fromEntries(Object.entries(entry).filter(([key]) => keys.includes(key)));
}

function installedApp(a: SimulatedApp, state: DeviceState): PlistDict {
  const entry: PlistDict = {
    Identifier: a.identifier,
    Version: a.version,
    ShortVersion: a.shortVersion,
    Name: a.name,
    BundleSize: a.bundleSize,
    DynamicSize: a.dynamicSize,
    IsValidated: true,
    Installing: false,
  };
  if (atLeast(state, '11.0')) entry.ExternalVersionIdentifier = a.externalVersionIdentifier;
  if (atLeast(state, '11.3')) Object.assign(entry, { AppStoreVendable: true, DeviceBasedVPP: false, BetaApp: false, AdHocCodeSigned: false, HasUpdateAvailable: false });
  if (atLeast(state, '16.0')) entry.IsAppClip = false;
  return entry;
}

function managedAppEntries(state: DeviceState, command: PlistDict, extra: (a: SimulatedApp) => PlistDict): PlistDict[] {
  const wanted = stringList(command.Identifiers) ?? [];
  return wanted.flatMap((id) => {
    const app = state.apps.get(id);
    return app?.managed ? [{ Identifier: id, ...extra(app) }] : [];
  });
}

function securityInfo({ state, profiles }: AnsweringDevice): PlistDict {
  // A passcode policy that forces a PIN is unmet while the device has no passcode.
  const forcesPin = profiles.payloadsOfType('com.apple.mobiledevice.passwordpolicy').some(({ payload }) => payload.settings.forcePIN === true);
  const compliant = state.passcodePresent || !forcesPin;
  const info: PlistDict = {
    HardwareEncryptionCaps: 3,
    PasscodePresent: state.passcodePresent,
    PasscodeCompliant: compliant,
    PasscodeCompliantWithProfiles: compliant,
  };
  if (atLeast(state, '9.3.2')) Object.assign(info, { PasscodeLockGracePeriod: 0, PasscodeLockGracePeriodEnforced: 0 });
  if (atLeast(state, '13.0')) info.ManagementStatus = { IsUserEnrollment: false };
  return info;
}

const CERTIFICATE_PAYLOADS = ['com.apple.security.root', 'com.apple.security.pkcs1', 'com.apple.security.pem'];

/** The MDM identity, then each certificate an installed profile carries (its PayloadContent, DER or PEM). */
function certificateList({ identityCertPem, profiles }: AnsweringDevice): PlistDict[] {
  const list = [certificateEntry(new X509Certificate(identityCertPem), true)];
  for (const type of CERTIFICATE_PAYLOADS) {
    for (const { payload } of profiles.payloadsOfType(type)) {
      const data: PlistValue | undefined = payload.settings.PayloadContent;
      if (!Buffer.isBuffer(data)) continue;
      try {
        list.push(certificateEntry(new X509Certificate(data), false));
      } catch {
        // A payload whose certificate does not parse installs nothing iOS would list.
      }
    }
  }
  return list;
}

function certificateEntry(cert: X509Certificate, isIdentity: boolean): PlistDict {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? cert.subject;
  return { CommonName: cn, IsIdentity: isIdentity, Data: cert.raw };
}

/** Each profile's restrictions payloads in Restrictions' shape: booleans, integers and string lists. */
function profileRestrictions({ profiles }: AnsweringDevice): PlistDict {
  const out: Record<string, { restrictedBool: PlistDict; restrictedValue: PlistDict; intersection: PlistDict; union: PlistDict }> = {};
  for (const { profile, payload } of profiles.payloadsOfType('com.apple.applicationaccess')) {
    // One profile may carry several restrictions payloads: its entry holds them all.
    const entry = (out[profile.identifier] ??= { restrictedBool: {}, restrictedValue: {}, intersection: {}, union: {} });
    for (const [key, value] of Object.entries(payload.settings)) {
      if (typeof value === 'boolean') entry.restrictedBool[key] = { value };
      else if (typeof value === 'number') entry.restrictedValue[key] = { value };
      // Block lists add up (union); allow lists narrow (intersection).
      else if (Array.isArray(value)) (/blacklist|block|denied/i.test(key) ? entry.union : entry.intersection)[key] = { values: value.filter((v) => typeof v === 'string') };
    }
  }
  return out;
}

/** The most restrictive value wins: false for allow* switches, true for the others, the lowest number. */
function combineRestrictions(profiles: PlistDict[]): PlistDict {
  const restrictedBool: Record<string, { value: boolean }> = {};
  const restrictedValue: Record<string, { value: number }> = {};
  const intersection: Record<string, { values: string[] }> = {};
  const union: Record<string, { values: string[] }> = {};
  for (const p of profiles) {
    for (const [key, entry] of entriesOf(p.restrictedBool)) {
      if (typeof entry.value !== 'boolean') continue;
      const restrictive = key.startsWith('allow') ? !entry.value : entry.value;
      if (!(key in restrictedBool) || restrictive) restrictedBool[key] = { value: entry.value };
    }
    for (const [key, entry] of entriesOf(p.restrictedValue)) {
      if (typeof entry.value === 'number' && (!(key in restrictedValue) || entry.value < restrictedValue[key].value)) restrictedValue[key] = { value: entry.value };
    }
    for (const [key, entry] of entriesOf(p.intersection)) {
      const values = stringList(entry.values) ?? [];
      intersection[key] = { values: key in intersection ? intersection[key].values.filter((v) => values.includes(v)) : values };
    }
    for (const [key, entry] of entriesOf(p.union)) {
      union[key] = { values: [...new Set([...(union[key]?.values ?? []), ...(stringList(entry.values) ?? [])])] };
    }
  }
  return { restrictedBool, restrictedValue, intersection, union };
}

function entriesOf(value: PlistValue | undefined): Array<[string, PlistDict]> {
  if (!isPlistDict(value)) return [];
  return Object.entries(value).filter((e): e is [string, PlistDict] => isPlistDict(e[1]));
}

/** Six groups of five, stable for one device, the shape Apple's bypass codes have. */
function bypassCode(state: DeviceState): string {
  const alphabet = '0123456789ACDEFGHJKLMNPQRTUVWXYZ';
  const source = createHash('sha256').update(`bypass/${state.udid}`).digest();
  const chars = Array.from(source.subarray(0, 30), (b) => alphabet[b % alphabet.length]);
  return Array.from({ length: 6 }, (_, g) => chars.slice(g * 5, g * 5 + 5).join('')).join('-');
}
