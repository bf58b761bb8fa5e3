import { isPlistDict, parsePlistDict, type ErrorChainItem, type PlistDict, type PlistValue } from '@mdm/protocol';
import type { TrustStore } from '@mdm/pki';
import type { DeviceIdentity } from './device-identity';
import type { EnrollmentProfileInfo } from './enrollment-profile';

/* What a DeviceSimulator is made from, what it sends and what it reads back from the server. */

export const CHECKIN_CONTENT_TYPE = 'application/x-apple-aspen-mdm-checkin';
export const CONNECT_CONTENT_TYPE = 'application/x-apple-aspen-mdm';

export interface DeviceSimulatorOptions {
  /** The gateway, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  identity: DeviceIdentity;
  udid?: string;
  serialNumber?: string;
  /** e.g. 'iPhone15,2' */
  productName?: string;
  /** e.g. '17.5' */
  osVersion?: string;
  buildVersion?: string;
  /** Supervised devices run supervised-only commands and payloads; others refuse them (see `setSupervised`). */
  isSupervised?: boolean;
  /** Start locked: commands iOS defers answer NotNow until `setBusy(false)`. */
  busy?: boolean;
  /** DeviceName until a Settings command changes it. Default 'Simulated iPhone' (or iPad). */
  deviceName?: string;
  topic?: string;
  /** How the device proves its identity: Mdm-Signature (SignMessage) or a TLS proxy's forwarded certificate. */
  auth?: 'signature' | 'forwarded-cert';
  /** Default X-Ssl-Client-Cert */
  forwardedCertHeader?: string;
  digest?: 'SHA-1' | 'SHA-256';
  /** Default /mdm/checkin */
  checkinPath?: string;
  /** Default /mdm/connect */
  connectPath?: string;
  /** Extra or overriding DeviceInformation answers, by query name. */
  deviceInformation?: PlistDict;
  /** Where `renewIdentity()` sends its RenewalReq (set by `enroll` from the profile). */
  scepUrl?: string;
  /**
   * The enrollment profile the device holds (set by `enroll`); it is listed by ProfileList like iOS lists
   * the MDM profile, and removing it with RemoveProfile unenrolls the device.
   */
  enrollmentProfile?: EnrollmentProfileInfo;
  /**
   * Refuse an InstallProfile as the device would (a conflicting payload, a missing certificate...): return
   * the ErrorChain to report, or undefined to go on installing.
   */
  refuseProfiles?: (identifier: string, profile: PlistDict) => ErrorChainItem[] | undefined;
}

export type DeviceEnrollOptions = Omit<
  DeviceSimulatorOptions,
  'identity' | 'topic' | 'checkinPath' | 'connectPath' | 'scepUrl' | 'enrollmentProfile'
> & {
  /** The profile as downloaded (GET /mdm/enroll): signed CMS or plain XML. */
  profile: Buffer;
  /** Require the profile's signer to chain to this store (implies requireSigned). */
  trust?: TrustStore;
  requireSigned?: boolean;
};

export interface ReceivedCommand {
  commandUuid: string;
  requestType: string;
  command: PlistDict;
  raw: PlistDict;
}

export interface DeviceResponse {
  status: number;
  body: Buffer;
  text: string;
  /** Set when the body is a command plist ({ CommandUUID, Command: { RequestType } }). */
  command?: ReceivedCommand;
}

export interface SendOptions {
  contentType?: string;
  headers?: Record<string, string>;
  /**
   * true (default): authenticate as this device; false: send no signature / forwarded certificate;
   * { identity }: authenticate with another identity (a foreign or revoked certificate).
   */
  sign?: boolean | { identity: DeviceIdentity };
}

/** The command in a server's answer, when the body is one ({ CommandUUID, Command: { RequestType } }). */
export function parseCommand(body: Buffer): ReceivedCommand | undefined {
  if (body.length === 0) return undefined;
  let raw: PlistDict;
  try {
    raw = parsePlistDict(body);
  } catch {
    return undefined;
  }
  const command: PlistValue | undefined = raw.Command;
  if (typeof raw.CommandUUID !== 'string' || !isPlistDict(command) || typeof command.RequestType !== 'string') return undefined;
  return { commandUuid: raw.CommandUUID, requestType: command.RequestType, command, raw };
}
