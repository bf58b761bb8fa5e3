import type { ErrorChainItem, PlistDict } from '@mdm/protocol';

/**
 * ErrorChain items the way iOS writes them: domains and codes from Apple's MDM protocol reference ("Error
 * Codes"), texts as devices report them (the localized text is US English on a US-English device).
 */
export function chainItem(ErrorDomain: string, ErrorCode: number, text: string): ErrorChainItem {
  return { ErrorCode, ErrorDomain, LocalizedDescription: text, USEnglishDescription: text };
}

export function errorChainDict(item: ErrorChainItem): PlistDict {
  const dict: PlistDict = { ErrorCode: item.ErrorCode, ErrorDomain: item.ErrorDomain };
  if (item.LocalizedDescription !== undefined) dict.LocalizedDescription = item.LocalizedDescription;
  if (item.USEnglishDescription !== undefined) dict.USEnglishDescription = item.USEnglishDescription;
  return dict;
}

const quoted = (name: string): string => `\u201c${name}\u201d`;

/**
 * MCMDMErrorDomain 12021. iOS answers it for a RequestType it does not know, one its version does not
 * have, and a supervised-only command on an unsupervised device (as reported from the field for RestartDevice).
 */
export function invalidRequestTypeChain(requestType: string): ErrorChainItem[] {
  return [chainItem('MCMDMErrorDomain', 12021, `${quoted(requestType)} is not a valid request type.`)];
}

/** RemoveProfile of an identifier that is not installed: MDMErrorDomain 12075, what iOS 17+ answers. */
export function profileNotInstalledChain(identifier: string): ErrorChainItem[] {
  return [chainItem('MDMErrorDomain', 12075, `The profile ${quoted(identifier)} is not installed.`)];
}

/** MCMDMErrorDomain 12067: lost-mode commands while the device is not in MDM Lost Mode. */
export function notInLostModeChain(): ErrorChainItem[] {
  return [chainItem('MCMDMErrorDomain', 12067, 'The device is not in MDM Lost Mode.')];
}

/** MCMDMErrorDomain 12029: RemoveApplication or an app query for an app MDM does not manage. */
export function appNotManagedChain(identifier: string): ErrorChainItem[] {
  return [chainItem('MCMDMErrorDomain', 12029, `The app ${quoted(identifier)} is not managed.`)];
}

/** MCChaperoneErrorDomain 29000: a Settings item that needs supervision, on an unsupervised device. */
export function notSupervisedChain(): ErrorChainItem[] {
  return [chainItem('MCChaperoneErrorDomain', 29000, 'The device is not supervised.')];
}

/** MCSettingsErrorDomain 28000: a Settings item iOS does not know. */
export function unknownSettingsItemChain(item: string): ErrorChainItem[] {
  return [chainItem('MCSettingsErrorDomain', 28000, `Unknown settings item ${quoted(item)}.`)];
}

/** MCProvisioningProfileErrorDomain 25000 (bad profile) or 25002 (cannot remove). */
export function provisioningProfileChain(code: 25000 | 25002, subject: string): ErrorChainItem[] {
  const text = code === 25000 ? 'The provisioning profile is invalid.' : `The provisioning profile ${quoted(subject)} could not be removed.`;
  return [chainItem('MCProvisioningProfileErrorDomain', code, text)];
}

/** What profiled logs for data that is no profile: MCInstallationErrorDomain 4000 over MCProfileErrorDomain 1000. */
export function invalidProfileChain(): ErrorChainItem[] {
  return [chainItem('MCInstallationErrorDomain', 4000, 'Invalid Profile'), chainItem('MCProfileErrorDomain', 1000, 'Invalid Profile')];
}

/** A profile that parses but cannot be installed: MCInstallationErrorDomain 4001, the payload named. */
export function installFailedChain(profileName: string, payloadName: string, reason: string): ErrorChainItem[] {
  return [
    chainItem('MCInstallationErrorDomain', 4001, 'Profile Installation Failed'),
    chainItem('MCInstallationErrorDomain', 4001, `The payload ${quoted(payloadName)} in ${quoted(profileName)} could not be installed. ${reason}`),
  ];
}

/** MCProfileErrorDomain 1002 (a required field is missing) or 1003 (a field has the wrong type). */
export function fieldChain(code: 1002 | 1003, field: string): ErrorChainItem[] {
  const text = code === 1002 ? `The required field ${quoted(field)} is missing.` : `The field ${quoted(field)} is invalid.`;
  return [chainItem('MCInstallationErrorDomain', 4000, 'Invalid Profile'), chainItem('MCProfileErrorDomain', code, text)];
}
