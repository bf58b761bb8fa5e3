import { CreateWebhookRequest, describeZodError, EVENT_TYPES, ReplayWebhookRequest } from '@mdm/contracts';
import { webhookReplays, webhookWants } from './event-patterns';

const created = new Date('2026-01-01T00:00:00Z');
const after = new Date('2026-01-02T00:00:00Z');
const hook = (events: string[], format: 'mdm' | 'nanomdm' = 'mdm') => ({ id: 'w', events, format, createdAt: created });

describe('webhook event patterns', () => {
  it('matches exact types and prefix.* patterns, nothing else', () => {
    const h = hook(['command.*', 'device.enrolled']);
    expect(webhookWants(h, { type: 'command.acknowledged', occurredAt: after })).toBe(true);
    expect(webhookWants(h, { type: 'device.enrolled', occurredAt: after })).toBe(true);
    expect(webhookWants(h, { type: 'device.authenticated', occurredAt: after })).toBe(false);
    expect(webhookWants(hook(['apns.certificate.*']), { type: 'apns.certificate.expiring', occurredAt: after })).toBe(true);
    expect(webhookWants(hook(['apns.certificate.*']), { type: 'push.sent', occurredAt: after })).toBe(false);
  });

  it('takes * as every event type, as GitHub and Stripe do', () => {
    for (const type of ['command.acknowledged', 'device.enrolled', 'push.sent', 'apns.certificate.expiring']) {
      expect(webhookWants(hook(['*']), { type, occurredAt: after })).toBe(true);
      expect(webhookReplays(hook(['*']), type)).toBe(true);
    }
    expect(webhookWants(hook(['*'], 'nanomdm'), { type: 'command.queued.v2', occurredAt: after })).toBe(false);
    expect(webhookReplays(hook(['*']), 'command.sent.v2', ['device.*'])).toBe(false);
  });

  it('does not hand a webhook events from before it existed (replay is for those)', () => {
    expect(webhookWants(hook(['command.*']), { type: 'command.sent.v2', occurredAt: new Date(created.getTime() - 1) })).toBe(false);
    expect(webhookReplays(hook(['command.*']), 'command.sent.v2')).toBe(true);
  });

  it('gives nanomdm webhooks only the events that format has a message for', () => {
    const h = hook(['command.*', 'device.*'], 'nanomdm');
    expect(webhookWants(h, { type: 'command.acknowledged', occurredAt: after })).toBe(true);
    expect(webhookWants(h, { type: 'command.queued.v2', occurredAt: after })).toBe(false);
    expect(webhookWants(h, { type: 'device.enrolled', occurredAt: after })).toBe(false);
    expect(webhookWants(h, { type: 'device.token_updated', occurredAt: after })).toBe(true);
  });

  it('narrows a replay to the types asked for', () => {
    expect(webhookReplays(hook(['command.*']), 'command.error', ['command.error'])).toBe(true);
    expect(webhookReplays(hook(['command.*']), 'command.sent.v2', ['command.error'])).toBe(false);
    expect(webhookReplays(hook(['command.*']), 'device.enrolled', ['device.*'])).toBe(false);
  });

  describe('validation of a new webhook', () => {
    const base = { url: 'https://hooks.example.com/mdm', secret: 'a-secret-of-16-chars', events: ['command.*'] };
    const error = (body: unknown): string => {
      const r = CreateWebhookRequest.safeParse(body);
      return r.success ? '' : describeZodError(r.error);
    };

    it('accepts every catalog type and every existing prefix, with defaults', () => {
      const parsed = CreateWebhookRequest.parse({ ...base, events: [...EVENT_TYPES, 'device.*', 'apns.*', 'apns.certificate.*'] });
      expect(parsed).toMatchObject({ format: 'mdm', enabled: true });
    });

    it('accepts * alone or beside other patterns, and refuses other wildcards', () => {
      expect(CreateWebhookRequest.parse({ ...base, events: ['*'] }).events).toEqual(['*']);
      expect(CreateWebhookRequest.parse({ ...base, events: ['*', 'device.enrolled'] }).events).toEqual(['*', 'device.enrolled']);
      expect(ReplayWebhookRequest.safeParse({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', types: ['*'] }).success).toBe(true);
      expect(error({ ...base, events: ['**'] })).toMatch(/events\.0: unknown event type \*\*/);
      expect(error({ ...base, events: ['.*'] })).toMatch(/events\.0: /);
    });

    it('names the bad pattern', () => {
      expect(error({ ...base, events: ['command.*', 'device.enroled'] })).toMatch(/events\.1: unknown event type device\.enroled/);
      expect(error({ ...base, events: ['nothing.*'] })).toMatch(/events\.0: no event type starts with nothing\./);
      expect(error({ ...base, events: [] })).toMatch(/events/);
    });

    it('wants an http(s) URL and a secret of 16+ characters', () => {
      expect(error({ ...base, url: 'ftp://example.com/x' })).toMatch(/^url: /);
      expect(error({ ...base, url: 'not a url' })).toMatch(/^url: /);
      expect(error({ ...base, secret: 'short' })).toMatch(/secret must be at least 16/);
      expect(error({ ...base, format: 'micromdm' })).toMatch(/^format: /);
    });

    it('wants a replay range in order', () => {
      expect(ReplayWebhookRequest.safeParse({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }).success).toBe(false);
      expect(ReplayWebhookRequest.safeParse({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', types: ['command.*'] }).success).toBe(true);
      expect(ReplayWebhookRequest.safeParse({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', types: ['x.y'] }).success).toBe(false);
    });
  });
});
