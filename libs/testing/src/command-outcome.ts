import type { ErrorChainItem, PlistDict } from '@mdm/protocol';
import type { DeviceState } from './device-state';
import type { ProfileStore } from './profile-store';

/** What the device reports for one command, before it is put on the wire. */
export type CommandOutcome =
  | { status: 'Acknowledged'; response?: PlistDict }
  | { status: 'Error'; errorChain: ErrorChainItem[] }
  | { status: 'NotNow' }
  | { status: 'CommandFormatError' };

/** What a command handler may read and change. */
export interface AnsweringDevice {
  readonly state: DeviceState;
  readonly profiles: ProfileStore;
  /** The MDM identity certificate (PEM): CertificateList lists it as the identity. */
  readonly identityCertPem: string;
  /** DeviceInformation answers by query name that win over the state's. */
  readonly deviceInformation?: PlistDict;
  readonly refuseProfiles?: (identifier: string, profile: PlistDict) => ErrorChainItem[] | undefined;
}

export type CommandHandler = (command: PlistDict, device: AnsweringDevice) => CommandOutcome | Promise<CommandOutcome>;

export const acknowledged = (response?: PlistDict): CommandOutcome => (response ? { status: 'Acknowledged', response } : { status: 'Acknowledged' });

export const failed = (errorChain: ErrorChainItem[]): CommandOutcome => ({ status: 'Error', errorChain });

export const formatError: CommandOutcome = { status: 'CommandFormatError' };

export function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}
