// @peculiar/x509 (the simulator's certificates) needs the Reflect metadata polyfill before it loads.
import 'reflect-metadata';
import { type ApiClient, ApiError, UnreachableError } from '../api-client';
import { followPushes } from './push-follower';
import { simPaths, trialPushesUrl } from './sim-config';
import { SimDevice, type SimLog } from './sim-device';
import { loadRecords, removeRecord, saveRecord } from './sim-store';

export interface SimStartOptions {
  /** Devices to keep online; default: those enrolled before, or 5. */
  count?: number;
  pollSeconds: number;
  dir?: string;
  /** The fake APNs control URL; default: the running trial's. */
  pushesUrl?: string;
}

export interface SimIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal: AbortSignal;
}

const DEFAULT_COUNT = 5;

/**
 * `mdmctl sim start`: enrolls simulated iPhones through the gateway (or brings back those enrolled before) and
 * keeps them online until Ctrl-C: each wakes on its push from the fake APNs and checks in every `pollSeconds`.
 */
export async function simStart(api: ApiClient, opts: SimStartOptions, io: SimIo): Promise<number> {
  const paths = simPaths(opts.dir, io.env, io.cwd);
  const log: SimLog = (d, text) => io.stdout(`${new Date().toISOString().slice(11, 19)}  ${d.record.serialNumber}  ${text}\n`);
  const byToken = new Map<string, SimDevice>();
  const followers = new AbortController();
  const stopFollowing = (): void => followers.abort();
  io.signal.addEventListener('abort', stopFollowing, { once: true });
  // Follow pushes before enrolling: the first commands are pushed while the devices enroll.
  const following = followPushes({
    controlUrl: () => opts.pushesUrl ?? trialPushesUrl(paths.trialFile),
    onPush: (push) => {
      const device = byToken.get(push.token.toLowerCase());
      if (!device) return;
      log(device, 'woke on its push');
      void device.wake();
    },
    onState: (text) => io.stderr(`mdmctl: ${text}\n`),
    signal: followers.signal,
  });
  try {
    let devices: SimDevice[];
    try {
      devices = await bringOnline(api, opts.count, paths.dir, log, io);
    } catch (err) {
      // The API's refusals are reported by the CLI; a device that cannot enroll is said here, without a stack.
      if (err instanceof ApiError || err instanceof UnreachableError) throw err;
      io.stderr(`mdmctl: a simulated device could not enroll: ${(err as Error).message}\n`);
      return 1;
    }
    if (io.signal.aborted) return 130;
    for (const d of devices) byToken.set(d.tokenHex, d);
    // A device just enrolled or restored asks for its waiting commands, as an iPhone does after enrolling.
    await Promise.all(devices.map((d) => d.wake()));
    io.stderr(`mdmctl: ${devices.length} simulated devices online (${paths.dir}); they answer pushes and check in every ${opts.pollSeconds} s until Ctrl-C\n`);
    const timer = setInterval(() => devices.forEach((d) => void d.wake()), opts.pollSeconds * 1000);
    await new Promise<void>((resolve) => (io.signal.aborted ? resolve() : io.signal.addEventListener('abort', () => resolve(), { once: true })));
    clearInterval(timer);
    await Promise.all(devices.map((d) => d.settled()));
    return 0;
  } finally {
    stopFollowing();
    await following;
  }
}

/** The stored devices (up to `count`), then new enrollments for the rest. */
async function bringOnline(api: ApiClient, count: number | undefined, dir: string, log: SimLog, io: SimIo): Promise<SimDevice[]> {
  const warn = (text: string): void => io.stderr(`mdmctl: ${text}\n`);
  const stored = loadRecords(dir, warn);
  const wanted = count ?? (stored.length || DEFAULT_COUNT);
  const devices: SimDevice[] = [];
  for (const record of stored.slice(0, wanted)) {
    const { sim, status, text } = await SimDevice.restore(api.url, record, log);
    if (status === 200) {
      devices.push(sim);
      log(sim, `back online (${record.udid})`);
      continue;
    }
    // Another server, or its database was reset: this identity means nothing there any more.
    warn(`${record.serialNumber} (${record.udid}) is unknown to ${api.url} (HTTP ${status}: ${text.slice(0, 120)}); enrolling a new device instead`);
    removeRecord(dir, record.udid);
  }
  while (devices.length < wanted && !io.signal.aborted) {
    // Each device gets its own profile: the SCEP challenge in it is good for one enrollment.
    const profile = await api.bytes('/v1/enrollment/profile');
    const sim = await SimDevice.enroll(api.url, profile, log);
    saveRecord(dir, sim.record);
    devices.push(sim);
    log(sim, `enrolled (${sim.record.udid})`);
  }
  return devices;
}
