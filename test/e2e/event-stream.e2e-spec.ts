import { type DeviceSimulator, eventually } from '@mdm/testing';
import { TestSystem } from './system';

jest.setTimeout(120_000);

interface StreamedEvent {
  id: string;
  event: string;
  data: { id: string; type: string; cursor: string; data: Record<string, unknown> };
}

/** Reads server-sent events from a fetch body until stopped. */
class SseReader {
  readonly events: StreamedEvent[] = [];
  private readonly controller = new AbortController();
  private done: Promise<void> = Promise.resolve();
  status = 0;

  async open(url: string, headers: Record<string, string>): Promise<void> {
    const res = await fetch(url, { headers, signal: this.controller.signal });
    this.status = res.status;
    if (!res.ok || !res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    this.done = (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const field = (name: string): string | undefined => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
            const data = field('data');
            if (data) this.events.push({ id: field('id')!, event: field('event')!, data: JSON.parse(data) as StreamedEvent['data'] });
          }
        }
      } catch {
        /* aborted */
      }
    })();
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}

/** `GET /v1/events/stream` (server-sent events from the event log) and `GET /v1/commands`. */
describe('event stream and command list', () => {
  let system: TestSystem;
  let device: DeviceSimulator;
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${system.apiKey}` });

  beforeAll(async () => {
    system = await TestSystem.start({ MDM_ENROLL_INVENTORY: 'false' });
    device = await system.enrolledDevice(await system.uploadPushCertificate());
  });

  afterAll(async () => {
    await system?.close('e2e-event-stream-services.log');
  });

  const command = async (requestType: string): Promise<string> => {
    const body = requestType === 'DeviceInformation' ? { RequestType: requestType, Queries: ['OSVersion'] } : { RequestType: requestType };
    const res = await system.api('POST', '/v1/commands', { udids: [device.udid], command: body, push: false });
    expect(res.status).toBe(201);
    return res.json.commandUuid;
  };

  it('streams new events as they happen and resumes after Last-Event-ID', async () => {
    const first = new SseReader();
    await first.open(`${system.baseUrl}/v1/events/stream?type=command.*&udid=${device.udid}`, auth());
    expect(first.status).toBe(200);
    const a = await command('ProfileList');
    const seen = await eventually(() => {
      const e = first.events.find((x) => x.data.data['commandUuid'] === a);
      if (!e) throw new Error(`not streamed yet: ${first.events.length} events`);
      return e;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    expect(seen).toMatchObject({ event: 'command.queued.v2', id: seen.data.cursor });
    // Events from before the stream opened are not replayed (it starts at the end of the log).
    expect(first.events.every((e) => e.data.type.startsWith('command.'))).toBe(true);
    await first.close();

    const b = await command('DeviceInformation');
    const resumed = new SseReader();
    await resumed.open(`${system.baseUrl}/v1/events/stream?type=command.*&udid=${device.udid}`, { ...auth(), 'last-event-id': seen.id });
    await eventually(() => {
      if (!resumed.events.some((x) => x.data.data['commandUuid'] === b)) throw new Error('missed the event queued while disconnected');
    }, { timeoutMs: 15_000, intervalMs: 100 });
    expect(resumed.events.some((x) => x.data.data['commandUuid'] === a)).toBe(false);
    await resumed.close();
  });

  it('refuses unknown parameters and keys without the read scope', async () => {
    const bad = await fetch(`${system.baseUrl}/v1/events/stream?typo=1`, { headers: auth() });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('typo');
    expect((await fetch(`${system.baseUrl}/v1/events/stream`)).status).toBe(401);
  });

  it('lists commands newest first with their counts per status, filtered and paged', async () => {
    const c = await command('ProfileList');
    const list = await system.api('GET', '/v1/commands?requestType=ProfileList&limit=1');
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ limit: 1, offset: 0 });
    expect(list.json.total).toBeGreaterThanOrEqual(2);
    expect(list.json.commands).toEqual([expect.objectContaining({ commandUuid: c, requestType: 'ProfileList', total: 1, counts: { QUEUED: 1 } })]);
    expect((await system.api('GET', '/v1/commands?sort=udid')).status).toBe(400);
  });
});
