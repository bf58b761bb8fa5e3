import { randomBytes, randomUUID } from 'node:crypto';
import { buildPlist, isPlistDict, parsePlistDict, type PlistDict, type PlistValue } from '@mdm/protocol';
import { generateRsaKeyPair, issueCertificate, signDetached, type CertificateAndKey } from '@mdm/pki';

export const CHECKIN_CONTENT_TYPE = 'application/x-apple-aspen-mdm-checkin';
export const CONNECT_CONTENT_TYPE = 'application/x-apple-aspen-mdm';

export interface DeviceIdentity {
  certPem: string;
  keyPem: string;
}

/** A device identity certificate as the server's SCEP CA would issue it (RSA 2048, clientAuth). */
export async function createDeviceIdentity(
  ca: DeviceIdentity,
  opts: { commonName?: string; validityDays?: number; notBefore?: Date; notAfter?: Date } = {},
): Promise<CertificateAndKey> {
  const { publicKeyPem, keyPem } = await generateRsaKeyPair(2048);
  const { certPem } = await issueCertificate({
    issuer: ca,
    subject: `CN=${opts.commonName ?? `mdm-device-${randomUUID()}`}, O=mdm testing`,
    publicKeyPem,
    validityDays: opts.validityDays ?? 30,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    extendedKeyUsage: ['clientAuth'],
  });
  return { certPem, keyPem };
}

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
  isSupervised?: boolean;
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
}

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

/**
 * Plays an enrolled iPhone/iPad against the gateway: real plists, signed over the exact bytes sent, so
 * tests exercise the same parsing and authentication paths as a device in the field.
 */
export class DeviceSimulator {
  readonly udid: string;
  readonly serialNumber: string;
  /** APNs device token. */
  readonly token: Buffer;
  readonly pushMagic: string;
  readonly topic: string;
  private readonly opts: DeviceSimulatorOptions;

  constructor(opts: DeviceSimulatorOptions) {
    this.opts = opts;
    this.udid = opts.udid ?? randomUUID().toUpperCase();
    this.serialNumber = opts.serialNumber ?? randomSerialNumber();
    this.topic = opts.topic ?? `com.apple.mgmt.External.${randomUUID()}`;
    this.token = randomBytes(32);
    this.pushMagic = randomUUID().toUpperCase();
  }

  /** The token as APNs wants it in the request path. */
  get tokenHex(): string {
    return this.token.toString('hex');
  }

  get productName(): string {
    return this.opts.productName ?? 'iPhone15,2';
  }

  get osVersion(): string {
    return this.opts.osVersion ?? '17.5';
  }

  get buildVersion(): string {
    return this.opts.buildVersion ?? '21F79';
  }

  /** Same identity and settings, another UDID (a device claiming an enrollment that is not its own). */
  withUdid(udid: string): DeviceSimulator {
    return new DeviceSimulator({ ...this.opts, udid, serialNumber: undefined });
  }

  authenticate(extra: PlistDict = {}): Promise<DeviceResponse> {
    return this.checkin({
      MessageType: 'Authenticate',
      SerialNumber: this.serialNumber,
      ProductName: this.productName,
      OSVersion: this.osVersion,
      BuildVersion: this.buildVersion,
      DeviceName: 'Simulated iPhone',
      Model: 'MQ9T3LL/A',
      ModelName: 'iPhone',
      ...extra,
    });
  }

  tokenUpdate(extra: PlistDict = {}): Promise<DeviceResponse> {
    return this.checkin({
      MessageType: 'TokenUpdate',
      Token: this.token,
      PushMagic: this.pushMagic,
      UnlockToken: randomBytes(64),
      AwaitingConfiguration: false,
      ...extra,
    });
  }

  checkOut(): Promise<DeviceResponse> {
    return this.checkin({ MessageType: 'CheckOut' });
  }

  /** Any check-in message; Topic and UDID are filled in unless the message sets them. */
  checkin(message: PlistDict): Promise<DeviceResponse> {
    const body = buildPlist({ Topic: this.topic, UDID: this.udid, ...message });
    return this.send(this.opts.checkinPath ?? '/mdm/checkin', body, { contentType: CHECKIN_CONTENT_TYPE });
  }

  idle(): Promise<DeviceResponse> {
    return this.report({ Status: 'Idle' });
  }

  acknowledge(commandUuid: string, extra: PlistDict = {}): Promise<DeviceResponse> {
    return this.report({ Status: 'Acknowledged', CommandUUID: commandUuid, ...extra });
  }

  notNow(commandUuid: string): Promise<DeviceResponse> {
    return this.report({ Status: 'NotNow', CommandUUID: commandUuid });
  }

  error(commandUuid: string, errorChain?: PlistDict[]): Promise<DeviceResponse> {
    return this.report({
      Status: 'Error',
      CommandUUID: commandUuid,
      ErrorChain: errorChain ?? [
        {
          ErrorCode: 12021,
          ErrorDomain: 'MCMDMErrorDomain',
          LocalizedDescription: 'Simulated failure.',
          USEnglishDescription: 'Simulated failure.',
        },
      ],
    });
  }

  formatError(commandUuid: string): Promise<DeviceResponse> {
    return this.report({ Status: 'CommandFormatError', CommandUUID: commandUuid });
  }

  /** A command-channel report; UDID is filled in unless the dict sets it. */
  report(dict: PlistDict): Promise<DeviceResponse> {
    const body = buildPlist({ UDID: this.udid, ...dict });
    return this.send(this.opts.connectPath ?? '/mdm/connect', body, { contentType: CONNECT_CONTENT_TYPE });
  }

  /**
   * Answers a command the way iOS does: DeviceInformation → Acknowledged with QueryResponses for the
   * requested Queries it knows (all of them when none are requested); anything else → Acknowledged.
   */
  answer(command: ReceivedCommand): Promise<DeviceResponse> {
    if (command.requestType === 'DeviceInformation') {
      const known = this.deviceInformation();
      const queries = command.command.Queries;
      const wanted = Array.isArray(queries) ? queries.filter((q): q is string => typeof q === 'string') : Object.keys(known);
      const responses: PlistDict = {};
      for (const query of wanted) {
        if (query in known) responses[query] = known[query];
      }
      return this.acknowledge(command.commandUuid, { QueryResponses: responses });
    }
    return this.acknowledge(command.commandUuid);
  }

  /**
   * Low-level PUT for hostile-input tests: unsigned, signed by someone else, or a body changed after signing
   * (sign one body with `signDetached` and pass it in `headers` with another body).
   */
  async send(path: string, body: Buffer | string, opts: SendOptions = {}): Promise<DeviceResponse> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const headers: Record<string, string> = { 'Content-Type': opts.contentType ?? CONNECT_CONTENT_TYPE };
    const sign = opts.sign ?? true;
    if (sign !== false) {
      const identity = sign === true ? this.opts.identity : sign.identity;
      if ((this.opts.auth ?? 'signature') === 'signature') {
        headers['Mdm-Signature'] = await signDetached(bytes, identity, { digest: this.opts.digest ?? 'SHA-256' });
      } else {
        // What nginx puts in $ssl_client_escaped_cert.
        headers[this.opts.forwardedCertHeader ?? 'X-Ssl-Client-Cert'] = encodeURIComponent(identity.certPem);
      }
    }
    Object.assign(headers, opts.headers);
    const res = await fetch(`${this.opts.baseUrl.replace(/\/+$/, '')}${path}`, { method: 'PUT', headers, body: bytes });
    const resBody = Buffer.from(await res.arrayBuffer());
    return { status: res.status, body: resBody, text: resBody.toString('utf8'), command: parseCommand(resBody) };
  }

  private deviceInformation(): PlistDict {
    return {
      UDID: this.udid,
      SerialNumber: this.serialNumber,
      ProductName: this.productName,
      OSVersion: this.osVersion,
      BuildVersion: this.buildVersion,
      DeviceName: 'Simulated iPhone',
      Model: 'MQ9T3LL/A',
      ModelName: 'iPhone',
      ModelNumber: 'MQ9T3',
      IsSupervised: this.opts.isSupervised ?? false,
      IsActivationLockEnabled: false,
      IsCloudBackupEnabled: false,
      IsDeviceLocatorServiceEnabled: false,
      IsMDMLostModeEnabled: false,
      IsMultiUser: false,
      AwaitingConfiguration: false,
      DeviceCapacity: 128,
      AvailableDeviceCapacity: 97.5,
      BatteryLevel: 0.87,
      WiFiMAC: 'a4:83:e7:11:22:33',
      BluetoothMAC: 'a4:83:e7:11:22:34',
      IMEI: '35 209900 176148 1',
      TimeZone: 'Europe/Paris',
      ...this.opts.deviceInformation,
    };
  }
}

function parseCommand(body: Buffer): ReceivedCommand | undefined {
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

/** Looks like an Apple serial (12 characters, no I or O) so format checks on the server see realistic input. */
function randomSerialNumber(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
  return Array.from(randomBytes(12), (b) => alphabet[b % alphabet.length]).join('');
}
