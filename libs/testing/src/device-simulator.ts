import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import {
  buildPlist,
  compareOsVersions,
  isPlistDict,
  parsePlistDict,
  payloadSpec,
  PAYLOAD_ENVELOPE_KEYS,
  type ErrorChainItem,
  type PlistDict,
  type PlistValue,
} from '@mdm/protocol';
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
  private readonly profiles = new Map<string, InstalledProfile>();

  constructor(opts: DeviceSimulatorOptions) {
    this.opts = opts;
    this.udid = opts.udid ?? randomUUID().toUpperCase();
    this.serialNumber = opts.serialNumber ?? randomSerialNumber();
    this.topic = opts.topic ?? `com.apple.mgmt.External.${randomUUID()}`;
    this.token = randomBytes(32);
    this.pushMagic = randomUUID().toUpperCase();
    if (opts.enrollmentProfile) this.holdEnrollmentProfile(opts.enrollmentProfile);
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
      enrollmentProfile: info,
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

  /**
   * The enrollment profile was removed: iOS removes every profile that came through MDM with it, then
   * tells the server.
   */
  checkOut(): Promise<DeviceResponse> {
    this.profiles.clear();
    return this.checkin({ MessageType: 'CheckOut' });
  }

  /** What the device holds, by PayloadIdentifier, the enrollment profile included, in installation order. */
  get installedProfiles(): ReadonlyMap<string, InstalledProfile> {
    return this.profiles;
  }

  get isSupervised(): boolean {
    return this.opts.isSupervised ?? false;
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
   * requested Queries it knows (all of them when none are requested); InstallProfile, RemoveProfile and
   * ProfileList act on `installedProfiles` (see `installProfile`, `removeProfile`, `profileList`);
   * anything else → Acknowledged.
   */
  async answer(command: ReceivedCommand): Promise<DeviceResponse> {
    switch (command.requestType) {
      case 'DeviceInformation': {
        const known = this.deviceInformation();
        const queries = command.command.Queries;
        const wanted = Array.isArray(queries) ? queries.filter((q): q is string => typeof q === 'string') : Object.keys(known);
        const responses: PlistDict = {};
        for (const query of wanted) {
          if (query in known) responses[query] = known[query];
        }
        return this.acknowledge(command.commandUuid, { QueryResponses: responses });
      }
      case 'InstallProfile': {
        const payload = command.command.Payload;
        // A Payload that is not <data> never reaches the profile installer: the command itself is malformed.
        if (!Buffer.isBuffer(payload)) return this.formatError(command.commandUuid);
        const refused = await this.installProfile(payload);
        return refused ? this.error(command.commandUuid, refused.map(errorChainDict)) : this.acknowledge(command.commandUuid);
      }
      case 'RemoveProfile': {
        const identifier = command.command.Identifier;
        if (typeof identifier !== 'string' || identifier.length === 0) return this.formatError(command.commandUuid);
        const refused = this.removeProfile(identifier);
        return refused ? this.error(command.commandUuid, refused.map(errorChainDict)) : this.acknowledge(command.commandUuid);
      }
      case 'ProfileList':
        return this.acknowledge(command.commandUuid, { ProfileList: this.profileList() });
      default:
        return this.acknowledge(command.commandUuid);
    }
  }

  /**
   * Installs a profile as InstallProfile does (signed CMS or plain XML): one with the PayloadIdentifier of an
   * installed profile replaces it. Returns the ErrorChain the device would report instead, without touching
   * the store: unreadable or invalid profile, a bad signature, a payload type that needs supervision on an
   * unsupervised device, or whatever `refuseProfiles` says.
   */
  async installProfile(data: Buffer): Promise<ErrorChainItem[] | undefined> {
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

    if (installed.payloads.some((p) => p.type === 'com.apple.mdm')) {
      // Only one MDM enrollment can exist; a second MDM payload through MDM is refused.
      return installFailedChain(installed, 'com.apple.mdm', 'A device can be enrolled in only one MDM service.');
    }
    if (this.profiles.get(installed.identifier)?.enrollment) {
      return installFailedChain(installed, installed.identifier, 'A profile with this identifier is already installed as the MDM profile.');
    }
    if (!this.isSupervised) {
      const needsSupervision = installed.payloads.find((p) => payloadSpec(p.type)?.supervised === true);
      if (needsSupervision) {
        return installFailedChain(installed, needsSupervision.displayName ?? needsSupervision.type, 'This payload requires a supervised device.');
      }
    }
    const refused = this.opts.refuseProfiles?.(installed.identifier, profile);
    if (refused) return refused;

    // Replacing keeps iOS's behaviour of one profile per identifier; the new one goes to the end of the list.
    this.profiles.delete(installed.identifier);
    this.profiles.set(installed.identifier, installed);
    return undefined;
  }

  /**
   * Removes a profile as RemoveProfile does. PayloadRemovalDisallowed binds the user, not the MDM that
   * installed the profile, so it does not stop this. Removing the enrollment profile unenrolls the device:
   * every managed profile goes with it. Returns the ErrorChain the device would report when nothing with
   * that identifier is installed.
   */
  removeProfile(identifier: string): ErrorChainItem[] | undefined {
    const profile = this.profiles.get(identifier);
    if (!profile) {
      // What iOS 17+ answers (MDMErrorDomain 12075), as reported from the field.
      const text = `The profile \u201c${identifier}\u201d is not installed.`;
      return [{ ErrorCode: 12075, ErrorDomain: 'MDMErrorDomain', LocalizedDescription: text, USEnglishDescription: text }];
    }
    if (profile.enrollment) this.profiles.clear();
    else this.profiles.delete(identifier);
    return undefined;
  }

  /** The ProfileList answer (apple-device-management/mdm/commands/profile.list.yaml, response keys). */
  profileList(): PlistDict[] {
    // Payload UUIDs are listed from iOS 17; IsManaged is not returned for supervised devices.
    const withPayloadUuid = compareOsVersions(this.osVersion, '17.0') >= 0;
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
          if (payload.displayName !== undefined) entry.PayloadDisplayName = payload.displayName;
          if (payload.description !== undefined) entry.PayloadDescription = payload.description;
          if (payload.organization !== undefined) entry.PayloadOrganization = payload.organization;
          return entry;
        }),
      };
      if (p.displayName !== undefined) item.PayloadDisplayName = p.displayName;
      if (p.description !== undefined) item.PayloadDescription = p.description;
      if (p.organization !== undefined) item.PayloadOrganization = p.organization;
      if (!this.isSupervised) item.IsManaged = true;
      if (p.signerCertificates) item.SignerCertificates = p.signerCertificates;
      return item;
    });
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

  private holdEnrollmentProfile(info: EnrollmentProfileInfo): void {
    const parsed = readConfigurationProfile(info.payload);
    // readEnrollmentProfile has already checked what a device needs; a profile without identifiers is
    // still enrollable in tests, it is just not listed.
    if ('error' in parsed) return;
    const signerCertificates = info.signer
      ? [info.signer.raw, ...(info.certificates ?? []).filter((c) => !c.raw.equals(info.signer?.raw ?? Buffer.alloc(0))).map((c) => c.raw)]
      : undefined;
    this.profiles.set(parsed.profile.identifier, { ...parsed.profile, enrollment: true, ...(signerCertificates ? { signerCertificates } : {}) });
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
  let signedBy: X509Certificate[] | undefined;
  if (looksLikeDer(profile)) {
    try {
      let certificates: X509Certificate[];
      ({ content: xml, signer, certificates } = await parseAttachedSignedData(profile));
      signedBy = certificates;
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
    certificates: signedBy,
    payload,
  };
}

/** A signed profile is DER (a SEQUENCE); an XML one starts with `<` after optional whitespace. */
function looksLikeDer(data: Buffer): boolean {
  const start = data.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  return data[start] === 0x30;
}

function errorChainDict(item: ErrorChainItem): PlistDict {
  const dict: PlistDict = { ErrorCode: item.ErrorCode, ErrorDomain: item.ErrorDomain };
  if (item.LocalizedDescription !== undefined) dict.LocalizedDescription = item.LocalizedDescription;
  if (item.USEnglishDescription !== undefined) dict.USEnglishDescription = item.USEnglishDescription;
  return dict;
}

function chainItem(ErrorDomain: string, ErrorCode: number, text: string): ErrorChainItem {
  return { ErrorCode, ErrorDomain, LocalizedDescription: text, USEnglishDescription: text };
}

/** What profiled logs for data that is no profile: MCInstallationErrorDomain 4000 over MCProfileErrorDomain 1000. */
function invalidProfileChain(): ErrorChainItem[] {
  return [chainItem('MCInstallationErrorDomain', 4000, 'Invalid Profile'), chainItem('MCProfileErrorDomain', 1000, 'Invalid Profile')];
}

/** A profile that parses but cannot be installed: MCInstallationErrorDomain 4001, the payload named. */
function installFailedChain(profile: InstalledProfile, payloadName: string, reason: string): ErrorChainItem[] {
  return [
    chainItem('MCInstallationErrorDomain', 4001, `Profile Installation Failed`),
    chainItem('MCInstallationErrorDomain', 4001, `The payload \u201c${payloadName}\u201d in \u201c${profile.displayName ?? profile.identifier}\u201d could not be installed. ${reason}`),
  ];
}

/** MCProfileErrorDomain 1002 (a required field is missing) or 1003 (a field has the wrong type). */
function fieldChain(code: 1002 | 1003, field: string): ErrorChainItem[] {
  const text = code === 1002 ? `The required field \u201c${field}\u201d is missing.` : `The field \u201c${field}\u201d is invalid.`;
  return [chainItem('MCInstallationErrorDomain', 4000, 'Invalid Profile'), chainItem('MCProfileErrorDomain', code, text)];
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
