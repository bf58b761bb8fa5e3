import { CommandStatus, FINAL_COMMAND_STATUSES } from '@mdm/contracts';
import { type Command, type GlobalOptions, parseCommandLine, UsageError, usage, type WatchOptions } from './args';
import { ApiClient, ApiError, queryString, UnreachableError } from './api-client';
import { ConfigError, resolveConfig } from './config';
import { runInventoryCommand } from './inventory-commands';
import {
  countsLine,
  DELIVERY_COLUMNS,
  type DeliveryRow,
  deliveryDetail,
  DEVICE_COLUMNS,
  type DeviceRow,
  type EventRow,
  eventLine,
  pageFooter,
  table,
} from './format';

/** Exit codes, as `mdmctl --help` lists them. */
export const Exit = { Ok: 0, Failed: 1, Usage: 2, CommandFailed: 3, TimedOut: 4, Interrupted: 130 } as const;

/** What the CLI touches outside itself, so tests can run it in-process. */
export interface Io {
  stdout(text: string | Buffer): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  readFile(path: string): Buffer;
  writeFile(path: string, data: Buffer): void;
  /** Aborted on Ctrl-C: followers stop cleanly. */
  signal: AbortSignal;
}

interface Context {
  api: ApiClient;
  io: Io;
  global: GlobalOptions;
}

/** Runs one command line; resolves to the process exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let topic: string | undefined;
  try {
    const { global, command } = parseCommandLine(argv);
    if (command.name === 'help') {
      io.stdout(`${usage(command.topic)}\n`);
      return Exit.Ok;
    }
    topic = command.name;
    const api = new ApiClient(resolveConfig(global, io.env, io.cwd));
    return await execute({ api, io, global }, command);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`mdmctl: ${err.message}\n\n${usage(topic)}\n`);
      return Exit.Usage;
    }
    if (err instanceof ConfigError) {
      io.stderr(`mdmctl: ${err.message}\n`);
      return Exit.Usage;
    }
    if (err instanceof ApiError) {
      io.stderr(`mdmctl: the server answered ${err.status}: ${err.serverMessage} (${err.method} ${err.path})\n`);
      return Exit.Failed;
    }
    if (err instanceof UnreachableError) {
      io.stderr(`mdmctl: ${err.message}\n`);
      return Exit.Failed;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      io.stderr(`mdmctl: ${(err as Error).message}\n`);
      return Exit.Usage;
    }
    throw err;
  }
}

async function execute(ctx: Context, command: Exclude<Command, { name: 'help' }>): Promise<number> {
  switch (command.name) {
    case 'push-cert upload':
      return uploadPushCertificate(ctx, command);
    case 'push-cert list':
      return listPushCertificates(ctx);
    case 'enrollment-profile':
      return downloadEnrollmentProfile(ctx, command);
    case 'devices list':
      return listDevices(ctx, command);
    case 'devices get':
      ctx.io.stdout(`${JSON.stringify(await ctx.api.json('GET', `/v1/devices/${encodeURIComponent(command.udid)}`), null, 2)}\n`);
      return Exit.Ok;
    case 'command send':
      return sendCommand(ctx, command);
    case 'command status':
      return commandStatus(ctx, command.commandUuid, command.watch);
    case 'events tail':
      return tailEvents(ctx, command);
    case 'devices inventory':
    case 'devices refresh':
      return runInventoryCommand(ctx.api, (text) => ctx.io.stdout(text), ctx.global.json, command);
    case 'sim start':
      // Loaded only here: the device simulator (test kit) is heavy and no other command needs it.
      return (await import('./sim/sim-start')).simStart(ctx.api, command, ctx.io);
  }
}

interface CertificateView {
  topic: string;
  notAfter: string;
  fingerprint: string;
  status: string;
  daysLeft: number;
  warnings: string[];
  action?: string;
}

async function uploadPushCertificate(ctx: Context, c: Extract<Command, { name: 'push-cert upload' }>): Promise<number> {
  const body: Record<string, unknown> = c.pkcs12
    ? { pkcs12: ctx.io.readFile(c.pkcs12).toString('base64'), ...(c.password !== undefined ? { password: c.password } : {}) }
    : {
        certificate: ctx.io.readFile(c.certificate!).toString('utf8'),
        ...(c.privateKey ? { privateKey: ctx.io.readFile(c.privateKey).toString('utf8') } : {}),
      };
  if (c.force) body['force'] = true;
  const result = c.add
    ? await ctx.api.json<CertificateView>('POST', '/v1/apns/certificates', body)
    : await ctx.api.json<CertificateView>('PUT', '/v1/apns/certificate', body);
  if (ctx.global.json) {
    ctx.io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    ctx.io.stdout(`${result.topic}: ${result.action ?? 'stored'}, valid until ${result.notAfter} (${result.daysLeft} days)\n`);
    for (const w of result.warnings ?? []) ctx.io.stdout(`warning: ${w}\n`);
  }
  return Exit.Ok;
}

async function listPushCertificates(ctx: Context): Promise<number> {
  const page = await ctx.api.json<{ status: string; warnings: string[]; certificates: CertificateView[]; total: number; offset: number }>(
    'GET',
    '/v1/apns/certificates?limit=1000',
  );
  if (ctx.global.json) {
    ctx.io.stdout(`${JSON.stringify(page, null, 2)}\n`);
    return Exit.Ok;
  }
  ctx.io.stdout(
    `${table(page.certificates, [
      { header: 'TOPIC', value: (c) => c.topic },
      { header: 'STATUS', value: (c) => c.status },
      { header: 'NOT AFTER', value: (c) => c.notAfter },
      { header: 'DAYS LEFT', value: (c) => c.daysLeft },
      { header: 'FINGERPRINT', value: (c) => c.fingerprint.slice(0, 16) },
    ])}\n`,
  );
  for (const w of page.warnings) ctx.io.stdout(`warning: ${w}\n`);
  return Exit.Ok;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function downloadEnrollmentProfile(ctx: Context, c: Extract<Command, { name: 'enrollment-profile' }>): Promise<number> {
  let path: string;
  if (c.config !== undefined) {
    const id = UUID.test(c.config) ? c.config : await configurationId(ctx, c.config);
    path = `/v1/enrollment-configurations/${id}/profile`;
  } else {
    path = `/v1/enrollment/profile${queryString({ topic: c.topic, accessRights: c.accessRights, unsigned: c.unsigned ? 'true' : undefined })}`;
  }
  const profile = await ctx.api.bytes(path);
  if (c.out) {
    ctx.io.writeFile(c.out, profile);
    ctx.io.stderr(`wrote ${profile.length} bytes to ${c.out}\n`);
  } else {
    ctx.io.stdout(profile);
  }
  return Exit.Ok;
}

/** An enrollment configuration's id by its name, paging through the list. */
async function configurationId(ctx: Context, name: string): Promise<string> {
  for (let offset = 0; ; ) {
    const page = await ctx.api.json<{ configurations: Array<{ id: string; name: string }>; total: number }>(
      'GET',
      `/v1/enrollment-configurations${queryString({ limit: 1000, offset })}`,
    );
    const found = page.configurations.find((c) => c.name === name);
    if (found) return found.id;
    offset += page.configurations.length;
    if (!page.configurations.length || offset >= page.total) throw new UsageError(`no enrollment configuration named ${name}`);
  }
}

type DevicePage = { devices: DeviceRow[]; total: number; limit: number; offset: number };

async function listDevices(ctx: Context, c: Extract<Command, { name: 'devices list' }>): Promise<number> {
  let page = await ctx.api.json<DevicePage>('GET', `/v1/devices${queryString({ ...(c.all ? { limit: 1000 } : {}), ...c.query })}`);
  const devices = [...page.devices];
  while (c.all && page.devices.length && devices.length < page.total) {
    page = await ctx.api.json<DevicePage>('GET', `/v1/devices${queryString({ limit: 1000, ...c.query, offset: devices.length })}`);
    devices.push(...page.devices);
  }
  const offset = c.all ? 0 : page.offset;
  if (ctx.global.json) {
    ctx.io.stdout(`${JSON.stringify({ devices, total: page.total, limit: c.all ? devices.length : page.limit, offset }, null, 2)}\n`);
    return Exit.Ok;
  }
  if (devices.length) ctx.io.stdout(`${table(devices, DEVICE_COLUMNS)}\n`);
  ctx.io.stdout(`${pageFooter({ total: page.total, offset }, devices.length, 'devices')}\n`);
  return Exit.Ok;
}

interface CommandAnswer {
  commandUuid: string;
  requestType: string;
  total: number;
  counts: Record<string, number>;
  devices: DeliveryRow[];
  warnings?: string[];
}

async function sendCommand(ctx: Context, c: Extract<Command, { name: 'command send' }>): Promise<number> {
  const created = await ctx.api.json<CommandAnswer>('POST', '/v1/commands', {
    udids: c.udids,
    command: c.command,
    push: c.push,
    raw: c.raw,
    ...(c.expiresAt ? { expiresAt: c.expiresAt } : {}),
  });
  ctx.io.stdout(`command ${created.commandUuid} (${created.requestType}) for ${created.total} device(s): ${countsLine(created.counts)}\n`);
  for (const w of created.warnings ?? []) ctx.io.stdout(`warning: ${w}\n`);
  if (!c.watch) {
    const blocked = created.devices.filter((d) => d.status === CommandStatus.Blocked);
    if (blocked.length) ctx.io.stdout(`${table(blocked, DELIVERY_COLUMNS)}\n`);
    return Exit.Ok;
  }
  return commandStatus(ctx, created.commandUuid, c.watch);
}

const FINAL = new Set<string>(FINAL_COMMAND_STATUSES);

/** A command's status per device; with `watch`, polled and printed as it changes until every device is final. */
async function commandStatus(ctx: Context, commandUuid: string, watch: WatchOptions | undefined): Promise<number> {
  const path = `/v1/commands/${encodeURIComponent(commandUuid)}?limit=1000`;
  const get = (): Promise<CommandAnswer> => ctx.api.json<CommandAnswer>('GET', path);
  // The counts and the device page are two reads, so the rows decide whenever the page holds every device:
  // a page that still says PUSH after counts said ACKNOWLEDGED would otherwise never print the answer.
  const whole = (a: CommandAnswer): boolean => a.devices.length >= a.total;
  const done = (a: CommandAnswer): boolean =>
    whole(a) ? a.devices.every((d) => FINAL.has(d.status)) : Object.entries(a.counts).every(([status, n]) => !n || FINAL.has(status));
  const verdict = (a: CommandAnswer): number =>
    (whole(a) ? a.devices.every((d) => d.status === CommandStatus.Acknowledged) : (a.counts[CommandStatus.Acknowledged] ?? 0) === a.total)
      ? Exit.Ok
      : Exit.CommandFailed;
  let answer = await get();
  if (!watch) {
    if (ctx.global.json) {
      ctx.io.stdout(`${JSON.stringify(answer, null, 2)}\n`);
    } else {
      ctx.io.stdout(`command ${answer.commandUuid} (${answer.requestType}): ${countsLine(answer.counts)}\n${table(answer.devices, DELIVERY_COLUMNS)}\n`);
      if (answer.devices.length < answer.total) ctx.io.stdout(`${pageFooter({ total: answer.total, offset: 0 }, answer.devices.length, 'devices')}\n`);
    }
    return Exit.Ok;
  }
  const deadline = Date.now() + watch.timeoutMs;
  const seen = new Map<string, string>();
  let lastCounts = '';
  for (;;) {
    for (const d of answer.devices) {
      if (seen.get(d.udid) === d.status) continue;
      seen.set(d.udid, d.status);
      if (ctx.global.json) ctx.io.stdout(`${JSON.stringify({ commandUuid, ...d })}\n`);
      else ctx.io.stdout(`${new Date().toISOString()}  ${d.udid}  ${d.status}${deliveryDetail(d) ? `  ${deliveryDetail(d)}` : ''}\n`);
    }
    // Beyond the first page only the counts are followed.
    const counts = countsLine(answer.counts);
    if (answer.total > answer.devices.length && counts !== lastCounts && !ctx.global.json) ctx.io.stdout(`${counts}\n`);
    lastCounts = counts;
    if (done(answer)) {
      if (!ctx.global.json) ctx.io.stdout(`final: ${counts}\n`);
      return verdict(answer);
    }
    if (Date.now() >= deadline) {
      ctx.io.stderr(`mdmctl: command ${commandUuid} still not final after ${watch.timeoutMs / 1000} s: ${counts}\n`);
      return Exit.TimedOut;
    }
    if (!(await pause(Math.min(watch.intervalMs, deadline - Date.now()), ctx.io.signal))) return Exit.Interrupted;
    answer = await get();
  }
}

type EventsPage = { events: Array<EventRow & { id: string; seq: number; cursor: string }>; next: string | null; hasMore: boolean };

/** The last events, then new ones as they settle, following the log's cursor. */
async function tailEvents(ctx: Context, c: Extract<Command, { name: 'events tail' }>): Promise<number> {
  const print = (events: EventsPage['events']): void => {
    for (const e of events) ctx.io.stdout(ctx.global.json ? `${JSON.stringify(e)}\n` : `${eventLine(e)}\n`);
  };
  const read = (query: Record<string, string | number | undefined>): Promise<EventsPage> =>
    ctx.api.json<EventsPage>('GET', `/v1/events${queryString({ ...c.query, ...query })}`);
  let cursor: string | null = null;
  if (c.query['since'] === undefined) {
    // Newest first, then shown oldest first; the newest one's cursor is where following starts.
    const latest = await read({ order: 'desc', limit: Math.max(c.lines, 1) });
    cursor = latest.events[0]?.cursor ?? null;
    print(latest.events.slice(0, c.lines).reverse());
    if (!c.follow) return Exit.Ok;
  }
  const deadline = c.durationMs === undefined ? Infinity : Date.now() + c.durationMs;
  // On stderr, so stdout stays the events: from here on every new event is shown (a script can wait for this).
  if (c.follow) ctx.io.stderr(`mdmctl: following the event log ${c.durationMs === undefined ? 'until Ctrl-C' : `for ${c.durationMs / 1000} s`}\n`);
  for (;;) {
    const page = await read({ limit: 1000, after: cursor ?? undefined });
    print(page.events);
    cursor = page.next ?? cursor;
    if (!c.follow && !page.hasMore) return Exit.Ok;
    if (Date.now() >= deadline) return Exit.Ok;
    if (page.hasMore) continue;
    if (!(await pause(Math.min(c.intervalMs, deadline - Date.now()), ctx.io.signal))) return Exit.Ok;
  }
}

/** Waits `ms`; false when Ctrl-C came first. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(ms, 0));
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
