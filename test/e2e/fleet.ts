import type { DeviceSimulator } from '@mdm/testing';
import type { TestSystem } from './system';

/**
 * Plays a fleet of simulated devices the way iPhones behave: a device opens a session (Idle, then answers
 * every command handed to it) when APNs delivers it a push, and keeps trying while the server can't be
 * reached. Counts what each device acknowledged, so a test can tell work done twice from work done once.
 */
export class Fleet {
  /** `${commandUuid}/${udid}` → how many times the device acknowledged that command. */
  readonly acks = new Map<string, number>();
  private readonly byToken = new Map<string, DeviceSimulator>();
  /** Devices that were pushed and have not yet had a session since. */
  private readonly wanted = new Set<DeviceSimulator>();
  private readonly busy = new Set<DeviceSimulator>();
  private seenPushes = 0;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly system: TestSystem,
    readonly devices: readonly DeviceSimulator[],
    private readonly maxSessions = 16,
  ) {
    for (const d of devices) this.byToken.set(d.tokenHex, d);
  }

  /** Sessions that failed (server down, 5xx) and were retried. */
  get retried(): number {
    return this.failures;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), 100);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy.size) await new Promise((r) => setTimeout(r, 50));
  }

  /** Makes every device connect once, as if each had been pushed. */
  wakeAll(): void {
    for (const d of this.devices) this.wanted.add(d);
  }

  private tick(): void {
    const pushes = this.system.apns.pushes;
    for (; this.seenPushes < pushes.length; this.seenPushes++) {
      const device = this.byToken.get(pushes[this.seenPushes]!.token);
      if (device) this.wanted.add(device);
    }
    for (const d of [...this.wanted]) {
      if (this.busy.size >= this.maxSessions) return;
      if (this.busy.has(d)) continue;
      this.wanted.delete(d);
      this.busy.add(d);
      void this.session(d).finally(() => this.busy.delete(d));
    }
  }

  private async session(d: DeviceSimulator): Promise<void> {
    try {
      let res = await d.idle();
      while (res.status === 200 && res.command) {
        const key = `${res.command.commandUuid}/${d.udid}`;
        const next = await d.answer(res.command);
        if (next.status === 200) this.acks.set(key, (this.acks.get(key) ?? 0) + 1);
        res = next;
      }
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    } catch {
      // The server is down or restarting: the device tries again, as iOS does on its next wake.
      this.failures++;
      await new Promise((r) => setTimeout(r, 300));
      this.wanted.add(d);
    }
  }
}
