import { DeviceSimulator, readEnrollmentProfile } from '@mdm/testing';
import type { SimRecord } from './sim-store';

/** What a device reports as it works, one line each. */
export type SimLog = (device: SimDevice, text: string) => void;

/**
 * One simulated iPhone kept online: wakes on its push (or the periodic check-in), then takes and answers every
 * command waiting, as iOS does. Sessions of one device never overlap; a wake during a session runs one more.
 */
export class SimDevice {
  private running: Promise<void> | undefined;
  private again = false;

  private constructor(
    readonly device: DeviceSimulator,
    readonly record: SimRecord,
    private readonly log: SimLog,
  ) {}

  /** Enrolls through the gateway: SCEP with the profile's challenge, Authenticate, TokenUpdate. */
  static async enroll(baseUrl: string, profile: Buffer, log: SimLog): Promise<SimDevice> {
    const device = await DeviceSimulator.enroll({ baseUrl, profile });
    const { certPem, keyPem } = device.identity;
    return new SimDevice(device, { udid: device.udid, serialNumber: device.serialNumber, certPem, keyPem, profile: profile.toString('base64') }, log);
  }

  /**
   * A device enrolled in an earlier run, with the URLs of its enrollment profile. It has a new push token
   * (as after a restore), so it sends TokenUpdate; the server's answer is returned, not thrown.
   */
  static async restore(baseUrl: string, record: SimRecord, log: SimLog): Promise<{ sim: SimDevice; status: number; text: string }> {
    const info = await readEnrollmentProfile(Buffer.from(record.profile, 'base64'));
    const origin = new URL(baseUrl).origin;
    const pathOf = (url: string): string => `${new URL(url).pathname}${new URL(url).search}`;
    const device = new DeviceSimulator({
      baseUrl: origin,
      identity: { certPem: record.certPem, keyPem: record.keyPem },
      udid: record.udid,
      serialNumber: record.serialNumber,
      topic: info.mdm.topic,
      checkinPath: pathOf(info.mdm.checkInUrl ?? info.mdm.serverUrl),
      connectPath: pathOf(info.mdm.serverUrl),
      auth: info.mdm.signMessage ? 'signature' : 'forwarded-cert',
      scepUrl: `${origin}${pathOf(info.scep.url)}`,
      enrollmentProfile: info,
    });
    const res = await device.tokenUpdate();
    return { sim: new SimDevice(device, record, log), status: res.status, text: res.text };
  }

  get tokenHex(): string {
    return this.device.tokenHex;
  }

  /** Connects now, or once more after the session in progress. Resolves when the device is idle again. */
  wake(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.sessions().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Resolves when the session in progress (if any) has ended. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async sessions(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.session();
      } catch (err) {
        this.log(this, `cannot reach the gateway: ${(err as Error).message}`);
      }
    } while (this.again);
  }

  /** Idle, then every command the server hands out, answered; a bounded loop in case a server keeps repeating one. */
  private async session(): Promise<void> {
    let res = await this.device.idle();
    for (let taken = 0; res.command && taken < 1000; taken++) {
      const { requestType, commandUuid } = res.command;
      res = await this.device.answer(res.command);
      this.log(this, `${requestType} ${commandUuid} answered`);
    }
    if (res.status !== 200) this.log(this, `the server answered HTTP ${res.status}: ${res.text.slice(0, 200)}`);
  }
}
