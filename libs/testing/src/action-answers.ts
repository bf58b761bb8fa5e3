import { commandSpec, compareOsVersions, isPlistDict, parsePlistDict, type ErrorChainItem, type KeySpec, type PlistDict } from '@mdm/protocol';
import { parseAttachedSignedData } from '@mdm/pki';
import { acknowledged, failed, formatError, type CommandHandler } from './command-outcome';
import type { DeviceState } from './device-state';
import {
  appNotManagedChain,
  chainItem,
  errorChainDict,
  notInLostModeChain,
  notSupervisedChain,
  provisioningProfileChain,
  unknownSettingsItemChain,
} from './mdm-errors';

/** Commands that change the device: each leaves its mark in the state later answers read. */
export const ACTION_HANDLERS: Record<string, CommandHandler> = {
  InstallProfile: async (command, device) => {
    const payload = command.Payload;
    // A Payload that is not <data> never reaches the profile installer: the command itself is malformed.
    if (!Buffer.isBuffer(payload)) return formatError;
    const refused = await device.profiles.install(payload, { supervised: device.state.supervised, refuse: device.refuseProfiles });
    return refused ? failed(refused) : acknowledged();
  },
  RemoveProfile: (command, device) => {
    const identifier = command.Identifier;
    if (typeof identifier !== 'string' || identifier.length === 0) return formatError;
    const refused = device.profiles.remove(identifier);
    return refused ? failed(refused) : acknowledged();
  },
  Settings: (command, device) => {
    const items = Array.isArray(command.Settings) ? command.Settings : [];
    return acknowledged({ Settings: items.map((item) => (isPlistDict(item) ? applySetting(item, device.state) : { Status: 'Error', ErrorChain: unknownSettingsItemChain('').map(errorChainDict) })) });
  },
  DeviceConfigured: (_command, { state }) => {
    state.awaitingConfiguration = false;
    return acknowledged();
  },
  EnableLostMode: (_command, { state }) => {
    state.lostMode = true;
    return acknowledged();
  },
  DisableLostMode: (_command, { state }) => {
    if (!state.lostMode) return failed(notInLostModeChain());
    state.lostMode = false;
    return acknowledged();
  },
  PlayLostModeSound: (_command, { state }) => (state.lostMode ? acknowledged() : failed(notInLostModeChain())),
  ClearPasscode: (_command, { state }) => {
    state.passcodePresent = false;
    return acknowledged();
  },
  InstallApplication: (command, { state }) => {
    const identifier = typeof command.Identifier === 'string' ? command.Identifier : undefined;
    // Without a bundle identifier (iTunesStoreID, ManifestURL) the app comes later, from the store or the manifest.
    if (!identifier) return acknowledged({ State: 'Queued' });
    const flags = typeof command.ManagementFlags === 'number' ? command.ManagementFlags : 0;
    const existing = state.apps.get(identifier);
    state.apps.set(identifier, {
      identifier,
      name: existing?.name ?? identifier.split('.').pop() ?? identifier,
      version: existing?.version ?? '1.0',
      shortVersion: existing?.shortVersion ?? '1.0',
      bundleSize: existing?.bundleSize ?? 48_234_496,
      dynamicSize: existing?.dynamicSize ?? 0,
      managed: true,
      managementFlags: flags,
      externalVersionIdentifier: existing?.externalVersionIdentifier ?? 0,
      configuration: isPlistDict(command.Configuration) ? command.Configuration : existing?.configuration,
      attributes: isPlistDict(command.Attributes) ? command.Attributes : existing?.attributes,
    });
    return acknowledged({ Identifier: identifier, State: 'Managed' });
  },
  RemoveApplication: (command, { state }) => {
    const identifier = String(command.Identifier);
    if (!state.apps.get(identifier)?.managed) return failed(appNotManagedChain(identifier));
    state.apps.delete(identifier);
    return acknowledged();
  },
  InstallProvisioningProfile: async (command, { state }) => {
    const data = command.ProvisioningProfile;
    if (!Buffer.isBuffer(data)) return formatError;
    const profile = await readProvisioningProfile(data);
    if (!profile) return failed(provisioningProfileChain(25000, ''));
    state.provisioningProfiles.set(profile.uuid, { ...profile, managed: true });
    return acknowledged();
  },
  RemoveProvisioningProfile: (command, { state }) => {
    const uuid = String(command.UUID);
    if (!state.provisioningProfiles.delete(uuid)) return failed(provisioningProfileChain(25002, uuid));
    return acknowledged();
  },
  ScheduleOSUpdate: (command, { state }) => acknowledged({ UpdateResults: (Array.isArray(command.Updates) ? command.Updates : []).filter(isPlistDict).map((u) => scheduleUpdate(u, state)) }),
};

/** Applies one Settings item as iOS does: each item succeeds or fails on its own. */
function applySetting(item: PlistDict, state: DeviceState): PlistDict {
  const name = typeof item.Item === 'string' ? item.Item : '';
  const error = settingError(name, item, state);
  const result: PlistDict = error ? { Status: 'Error', ErrorChain: error.map(errorChainDict) } : { Status: 'Acknowledged' };
  if (typeof item.Identifier === 'string') result.Identifier = item.Identifier;
  return result;
}

function settingError(name: string, item: PlistDict, state: DeviceState): ErrorChainItem[] | undefined {
  const spec = settingSpec(name);
  // Shared iPad items are unknown to an iPhone or a single-user iPad.
  if (!spec || spec.ios === false || spec.sharedIpad === 'required') return unknownSettingsItemChain(name);
  if (spec.iosIntroduced && compareOsVersions(state.osVersion, spec.iosIntroduced) < 0) return unknownSettingsItemChain(name);
  if (spec.supervised && !state.supervised) return notSupervisedChain();
  const enabled = item.Enabled === true;
  switch (name) {
    case 'DeviceName':
      if (typeof item.DeviceName === 'string') state.deviceName = item.DeviceName;
      return undefined;
    case 'TimeZone':
      if (typeof item.TimeZone === 'string') state.timeZone = item.TimeZone;
      return undefined;
    case 'OrganizationInfo':
      if (isPlistDict(item.OrganizationInfo)) state.organizationInfo = item.OrganizationInfo;
      return undefined;
    case 'MDMOptions':
      if (isPlistDict(item.MDMOptions)) state.mdmOptions = item.MDMOptions;
      return undefined;
    case 'DataRoaming':
      state.dataRoaming = enabled;
      // Data roaming needs voice roaming: enabling it turns voice roaming on, disabling voice roaming turns it off.
      if (enabled) state.voiceRoaming = true;
      return undefined;
    case 'VoiceRoaming':
      state.voiceRoaming = enabled;
      if (!enabled) state.dataRoaming = false;
      return undefined;
    case 'PersonalHotspot':
      state.personalHotspot = enabled;
      return undefined;
    case 'Bluetooth':
      state.bluetooth = enabled;
      return undefined;
    case 'SoftwareUpdateSettings':
      if (typeof item.RecommendationCadence === 'number') state.recommendationsCadence = item.RecommendationCadence;
      return undefined;
    case 'AccessibilitySettings': {
      const values = Object.fromEntries(Object.entries(item).filter(([key]) => key !== 'Item'));
      state.accessibility = { ...state.accessibility, ...values };
      return undefined;
    }
    case 'ApplicationConfiguration':
    case 'ApplicationAttributes':
      return applyAppSetting(name, item, state);
    default:
      return undefined;
  }
}

function applyAppSetting(name: 'ApplicationConfiguration' | 'ApplicationAttributes', item: PlistDict, state: DeviceState): ErrorChainItem[] | undefined {
  const identifier = String(item.Identifier);
  const app = state.apps.get(identifier);
  if (!app?.managed) return appNotManagedChain(identifier);
  if (name === 'ApplicationConfiguration') app.configuration = isPlistDict(item.Configuration) ? item.Configuration : undefined;
  else app.attributes = isPlistDict(item.Attributes) ? item.Attributes : undefined;
  return undefined;
}

/** The Settings item's spec in the protocol catalog: its supervision and version requirements. */
function settingSpec(name: string): KeySpec | undefined {
  return commandSpec('Settings')?.keys.find((k) => k.key === 'Settings')?.subkeys?.find((k) => k.key === name);
}

function scheduleUpdate(update: PlistDict, state: DeviceState): PlistDict {
  const action = typeof update.InstallAction === 'string' ? update.InstallAction : 'Default';
  const offered = state.availableOsUpdates.find((u) => u.productKey === update.ProductKey || u.version === update.ProductVersion);
  if (!offered) {
    const productKey = typeof update.ProductKey === 'string' ? update.ProductKey : String(update.ProductVersion);
    return { ProductKey: productKey, InstallAction: 'Error', Status: 'Idle', ErrorChain: [errorChainDict(chainItem('MCMDMErrorDomain', 12048, 'No update is available.'))] };
  }
  const status = action === 'NotifyOnly' ? 'Idle' : action === 'InstallASAP' || action === 'InstallForceRestart' ? 'Installing' : 'Downloading';
  state.scheduledOsUpdates.set(offered.productKey, { productKey: offered.productKey, installAction: action, status });
  return { ProductKey: offered.productKey, InstallAction: action === 'Default' ? 'DownloadOnly' : action, Status: status };
}

/** A provisioning profile is a CMS-signed plist with Name, UUID and ExpirationDate. */
async function readProvisioningProfile(data: Buffer): Promise<{ name: string; uuid: string; expiryDate: Date } | undefined> {
  try {
    const { content } = await parseAttachedSignedData(data);
    const plist = parsePlistDict(content);
    if (typeof plist.Name !== 'string' || typeof plist.UUID !== 'string' || !(plist.ExpirationDate instanceof Date)) return undefined;
    return { name: plist.Name, uuid: plist.UUID, expiryDate: plist.ExpirationDate };
  } catch {
    return undefined;
  }
}
