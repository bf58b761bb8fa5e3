import { randomBytes, randomUUID } from 'node:crypto';
import { randomSerialNumber } from './device-state';
import { buildPlist, type ErrorChainItem, type PlistDict } from '@mdm/protocol';
import { signDetached } from '@mdm/pki';
import * as x509 from '@peculiar/x509';
import { answerCommand } from './command-answers';
import type { AnsweringDevice, CommandOutcome } from './command-outcome';
import type { DeviceIdentity } from './device-identity';
import { createDeviceState, type DeviceState } from './device-state';
import { onOrigin, pathOf, readEnrollmentProfile } from './enrollment-profile';
import { errorChainDict } from './mdm-errors';
import { ProfileStore, type InstalledProfile } from './profile-store';
import { scepEnroll } from './scep-client';
import {
  CHECKIN_CONTENT_TYPE,
  CONNECT_CONTENT_TYPE,
  parseCommand,
  type DeviceEnrollOptions,
  type DeviceResponse,
  type DeviceSimulatorOptions,
  type ReceivedCommand,
  type SendOptions,
} from './device-simulator-options';

export { createDeviceIdentity, type DeviceIdentity } from './device-identity';
export { readEnrollmentProfile, type EnrollmentProfileInfo } from './enrollment-profile';
export type { InstalledPayload, InstalledProfile } from './profile-store';
export type { CommandOutcome } from './command-outcome';
export type { DeviceState, SimulatedApp, SimulatedHardware, SimulatedOsUpdate, SimulatedProvisioningProfile } from './device-state';
export { COMMANDS_NEVER_NOT_NOW } from './command-answers';
export { SIMULATED_DEVICE_INFORMATION_QUERIES } from './device-information-answers';
export {
  CHECKIN_CONTENT_TYPE,
  CONNECT_CONTENT_TYPE,
  type DeviceEnrollOptions,
  type DeviceResponse,
  type DeviceSimulatorOptions,
  type ReceivedCommand,
  type SendOptions,
} from './device-simulator-options';

/**
 * Plays an enrolled iPhone/iPad against the gateway: real plists, signed over the exact bytes sent, so
 * tests exercise the same parsing and authentication paths as a device in the field. `answer` replies to a
 * command as iOS would, from `state` (see command-answers.ts).
 */
export class DeviceSimulator {
  readonly udid: string;
  readonly serialNumber: string;
  /** APNs device token. */
  readonly token: Buffer;
  readonly pushMagic: string;
  readonly topic: string;
  /** What the device answers from; tests may change it (battery, apps, lost mode...). */
  readonly state: DeviceState;
  private opts: DeviceSimulatorOptions;
  private readonly profiles = new ProfileStore();

  constructor(opts: DeviceSimulatorOptions) {
    this.opts = opts;
    this.udid = opts.udid ?? randomUUID().toUpperCase();
    this.serialNumber = opts.serialNumber ?? randomSerialNumber();
    this.topic = opts.topic ?? `com.apple.mgmt.External.${randomUUID()}`;
    this.token = randomBytes(32);
    this.pushMagic = randomUUID().toUpperCase();
    this.state = createDeviceState({
      udid: this.udid,
      serialNumber: this.serialNumber,
      productName: opts.productName ?? 'iPhone15,2',
      osVersion: opts.osVersion ?? '17.5',
      buildVersion: opts.buildVersion ?? '21F79',
      supervised: opts.isSupervised ?? false,
      busy: opts.busy,
      deviceName: opts.deviceName,
    });
    if (opts.enrollmentProfile) this.profiles.holdEnrollmentProfile(opts.enrollmentProfile);
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
    return this.state.hardware.productName;
  }

  get osVersion(): string {
    return this.state.osVersion;
  }

  get buildVersion(): string {
    return this.state.buildVersion;
  }

  get isSupervised(): boolean {
    return this.state.supervised;
  }

  /** Supervision decides which commands and payloads the device accepts from now on. */
  setSupervised(supervised: boolean): void {
    this.state.supervised = supervised;
  }

  get isBusy(): boolean {
    return this.state.busy;
  }

  /** A busy (locked) device answers NotNow to every command iOS defers while locked. */
  setBusy(busy: boolean): void {
    this.state.busy = busy;
  }

  /** Same identity and settings, another UDID (a device claiming an enrollment that is not its own). */
  withUdid(udid: string): DeviceSimulator {
    return new DeviceSimulator({ ...this.opts, udid, serialNumber: undefined, isSupervised: this.state.supervised, busy: this.state.busy });
  }

  authenticate(extra: PlistDict = {}): Promise<DeviceResponse> {
    return this.checkin({
      MessageType: 'Authenticate',
      SerialNumber: this.serialNumber,
      ProductName: this.productName,
      OSVersion: this.osVersion,
      BuildVersion: this.buildVersion,
      DeviceName: this.state.deviceName,
      Model: this.state.hardware.modelNumber,
      ModelName: this.state.hardware.modelName,
      ...extra,
    });
  }

  tokenUpdate(extra: PlistDict = {}): Promise<DeviceResponse> {
    return this.checkin({
      MessageType: 'TokenUpdate',
      Token: this.token,
      PushMagic: this.pushMagic,
      UnlockToken: randomBytes(64),
      AwaitingConfiguration: this.state.awaitingConfiguration,
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
    return this.profiles.installed;
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

  /** Answers a command the way iOS does (see `outcomeFor`) and reports it to the server. */
  async answer(command: ReceivedCommand): Promise<DeviceResponse> {
    const outcome = await this.outcomeFor(command);
    switch (outcome.status) {
      case 'Acknowledged':
        return this.acknowledge(command.commandUuid, outcome.response);
      case 'Error':
        return this.error(command.commandUuid, outcome.errorChain.map(errorChainDict));
      case 'NotNow':
        return this.notNow(command.commandUuid);
      case 'CommandFormatError':
        return this.formatError(command.commandUuid);
    }
  }

  /**
   * What the device would report for a command, without sending it: real answers for the queries it knows,
   * state changes for the commands that make them, `Error` with iOS's ErrorChain for what it cannot do,
   * `NotNow` while busy, `CommandFormatError` for a command that breaks Apple's schema.
   */
  outcomeFor(command: Pick<ReceivedCommand, 'requestType' | 'command'>): Promise<CommandOutcome> {
    return answerCommand(command.requestType, command.command, this.answeringDevice());
  }

  /** InstallProfile without HTTP: the ErrorChain iOS would report, or undefined once installed. */
  installProfile(data: Buffer): Promise<ErrorChainItem[] | undefined> {
    return this.profiles.install(data, { supervised: this.isSupervised, refuse: this.opts.refuseProfiles });
  }

  /** RemoveProfile without HTTP (removing the enrollment profile removes everything). */
  removeProfile(identifier: string): ErrorChainItem[] | undefined {
    return this.profiles.remove(identifier);
  }

  /** The ProfileList answer (apple-device-management/mdm/commands/profile.list.yaml, response keys). */
  profileList(): PlistDict[] {
    return this.profiles.list({ osVersion: this.osVersion, supervised: this.isSupervised });
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

  private answeringDevice(): AnsweringDevice {
    return {
      state: this.state,
      profiles: this.profiles,
      identityCertPem: this.opts.identity.certPem,
      deviceInformation: this.opts.deviceInformation,
      refuseProfiles: this.opts.refuseProfiles,
    };
  }
}
