import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { buildPlist, isPlistDict, parsePlistDict, type PlistDict, type PlistValue } from '@mdm/protocol';
import {
  generateRsaKeyPair,
  issueCertificate,
  parseAttachedSignedData,
  signDetached,
  type CertificateAndKey,
  type TrustStore,
} from '@mdm/pki';
import * as x509 from '@peculiar/x509';
import { scepEnroll } from './scep-client';

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
  /** Where `renewIdentity()` sends its RenewalReq (set by `enroll` from the profile). */
  scepUrl?: string;
}

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
  /** The whole Configuration profile. */
  payload: PlistDict;
}

export type DeviceEnrollOptions = Omit<DeviceSimulatorOptions, 'identity' | 'topic' | 'checkinPath' | 'connectPath' | 'scepUrl'> & {
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
  private opts: DeviceSimulatorOptions;

  constructor(opts: DeviceSimulatorOptions) {
    this.opts = opts;
    this.udid = opts.udid ?? randomUUID().toUpperCase();
    this.serialNumber = opts.serialNumber ?? randomSerialNumber();
    this.topic = opts.topic ?? `com.apple.mgmt.External.${randomUUID()}`;
    this.token = randomBytes(32);
    this.pushMagic = randomUUID().toUpperCase();
  }

  /**
   * Enrolls like a device installing the profile: verifies it, gets an identity over SCEP with the profile's
   * challenge, then Authenticate and TokenUpdate. The profile's URLs are followed on `baseUrl`'s origin
   * (their paths kept), since a test server rarely listens on the public URL the profile names.
   */
  static async enroll(opts: DeviceEnrollOptions): Promise<DeviceSimulator> {
    const { profile, trust, requireSigned, ...device } = opts;
    const info = await readEnrollmentProfile(profile, { trust, requireSigned });
    const scepUrl = onOrigin(opts.baseUrl, info.scep.url);
    const { certPem, keyPem } = await scepEnroll({
      url: scepUrl,
      challenge: info.scep.challenge,
      subject: info.scep.subject,
      keyBits: info.scep.keySize,
      caFingerprint: info.scep.caFingerprint,
    });
    const simulator = new DeviceSimulator({
      ...device,
      baseUrl: new URL(opts.baseUrl).origin,
      identity: { certPem, keyPem },
      topic: info.mdm.topic,
      // Without CheckInURL a device sends check-in messages to ServerURL too.
      checkinPath: pathOf(info.mdm.checkInUrl ?? info.mdm.serverUrl),
      connectPath: pathOf(info.mdm.serverUrl),
      auth: device.auth ?? (info.mdm.signMessage ? 'signature' : 'forwarded-cert'),
      scepUrl,
    });
    for (const step of ['Authenticate', 'TokenUpdate'] as const) {
      const res = step === 'Authenticate' ? await simulator.authenticate() : await simulator.tokenUpdate();
      if (res.status !== 200) throw new Error(`enrollment ${step} answered HTTP ${res.status}: ${res.text.slice(0, 200)}`);
    }
    return simulator;
  }

  /** The current identity (changes after `renewIdentity`). */
  get identity(): DeviceIdentity {
    return this.opts.identity;
  }

  /** SCEP RenewalReq signed with the current identity, for a new key; the simulator then uses the new identity. */
  async renewIdentity(opts: { scepUrl?: string; challenge?: string } = {}): Promise<void> {
    const url = opts.scepUrl ?? this.opts.scepUrl;
    if (!url) throw new Error('renewIdentity needs a SCEP URL: enroll from a profile or pass scepUrl');
    const current = this.opts.identity;
    const { certPem, keyPem } = await scepEnroll({
      url,
      renew: current,
      challenge: opts.challenge,
      subject: new x509.X509Certificate(current.certPem).subject,
    });
    this.opts = { ...this.opts, identity: { certPem, keyPem }, scepUrl: url };
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

/**
 * Reads a .mobileconfig as a device does before enrolling: a signed profile must verify (and chain to `trust`
 * when given), and the MDM payload's IdentityCertificateUUID must name the SCEP payload. Throws a plain Error
 * saying what is wrong.
 */
export async function readEnrollmentProfile(
  profile: Buffer,
  opts: { requireSigned?: boolean; trust?: TrustStore } = {},
): Promise<EnrollmentProfileInfo> {
  let xml = profile;
  let signer: X509Certificate | undefined;
  const start = profile.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  if (profile[start] === 0x30) {
    try {
      ({ content: xml, signer } = await parseAttachedSignedData(profile));
    } catch (err) {
      throw new Error(`enrollment profile signature is invalid: ${message(err)}`);
    }
    if (opts.trust) {
      try {
        opts.trust.verify(signer);
      } catch (err) {
        throw new Error(`enrollment profile signer is not trusted: ${message(err)}`);
      }
    }
  } else if (opts.requireSigned || opts.trust) {
    throw new Error('enrollment profile is not signed');
  }

  let payload: PlistDict;
  try {
    payload = parsePlistDict(xml);
  } catch (err) {
    throw new Error(`enrollment profile is not a property list: ${message(err)}`);
  }
  if (payload.PayloadType !== 'Configuration') throw new Error(`enrollment profile PayloadType is ${String(payload.PayloadType)}, expected Configuration`);
  const content = Array.isArray(payload.PayloadContent) ? payload.PayloadContent.filter(isPlistDict) : [];
  const mdmPayloads = content.filter((p) => p.PayloadType === 'com.apple.mdm');
  if (mdmPayloads.length !== 1) throw new Error(`enrollment profile must hold one com.apple.mdm payload, found ${mdmPayloads.length}`);
  const mdm = mdmPayloads[0];
  const identityUuid = requireString(mdm, 'IdentityCertificateUUID', 'com.apple.mdm');
  const scepPayload = content.find((p) => p.PayloadType === 'com.apple.security.scep' && p.PayloadUUID === identityUuid);
  if (!scepPayload) throw new Error(`IdentityCertificateUUID ${identityUuid} names no com.apple.security.scep payload in the profile`);
  const scep = scepPayload.PayloadContent;
  if (!isPlistDict(scep)) throw new Error('the com.apple.security.scep payload has no PayloadContent dict');

  const optionalString = (dict: PlistDict, key: string) => (typeof dict[key] === 'string' ? (dict[key] as string) : undefined);
  const optionalNumber = (dict: PlistDict, key: string) => (typeof dict[key] === 'number' ? (dict[key] as number) : undefined);
  if (typeof mdm.AccessRights !== 'number') throw new Error('com.apple.mdm AccessRights must be an integer');
  const capabilities = mdm.ServerCapabilities;
  const fingerprint = scep.CAFingerprint;
  return {
    scep: {
      url: requireString(scep, 'URL', 'com.apple.security.scep'),
      challenge: optionalString(scep, 'Challenge'),
      subject: subjectOf(scep.Subject),
      // Apple's default when the payload does not say.
      keySize: optionalNumber(scep, 'Keysize') ?? 1024,
      keyUsage: optionalNumber(scep, 'Key Usage'),
      caFingerprint: Buffer.isBuffer(fingerprint) ? fingerprint : undefined,
    },
    mdm: {
      serverUrl: requireString(mdm, 'ServerURL', 'com.apple.mdm'),
      checkInUrl: optionalString(mdm, 'CheckInURL'),
      topic: requireString(mdm, 'Topic', 'com.apple.mdm'),
      signMessage: mdm.SignMessage === true,
      identityCertificateUuid: identityUuid,
      accessRights: mdm.AccessRights,
      checkOutWhenRemoved: typeof mdm.CheckOutWhenRemoved === 'boolean' ? mdm.CheckOutWhenRemoved : undefined,
      serverCapabilities: Array.isArray(capabilities) ? capabilities.filter((c): c is string => typeof c === 'string') : undefined,
    },
    signer,
    payload,
  };
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
function onOrigin(baseUrl: string, profileUrl: string): string {
  return `${new URL(baseUrl).origin}${pathOf(profileUrl)}`;
}

function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
