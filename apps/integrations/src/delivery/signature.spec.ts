import { createHmac } from 'node:crypto';
import { signatureHeader, signatureOf, verifySignature } from './signature';

describe('webhook signature', () => {
  const secret = 'whsec_0123456789abcdef';
  const body = '{"id":"e1","type":"device.enrolled","occurredAt":"2026-01-01T00:00:00.000Z","data":{}}';

  it('is the hex HMAC-SHA256 of "<t>.<body>" with the secret, as an independent computation gives', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signatureOf(secret, 1700000000, body)).toBe(expected);
    expect(signatureHeader(secret, 1700000000, body)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies what it signs, within the tolerance', () => {
    const header = signatureHeader(secret, 1700000000, body);
    expect(verifySignature(secret, header, body, { now: 1700000100 })).toBe(true);
  });

  it('refuses another body, another secret, an old timestamp and malformed headers', () => {
    const header = signatureHeader(secret, 1700000000, body);
    expect(verifySignature(secret, header, body.replace('e1', 'e2'), { now: 1700000000 })).toBe(false);
    expect(verifySignature('another-secret-of-16', header, body, { now: 1700000000 })).toBe(false);
    expect(verifySignature(secret, header, body, { now: 1700000000 + 301 })).toBe(false);
    expect(verifySignature(secret, undefined, body)).toBe(false);
    expect(verifySignature(secret, 'v1=abc', body, { now: 1700000000 })).toBe(false);
    expect(verifySignature(secret, header.replace('t=1700000000', 't=1700000001'), body, { now: 1700000000 })).toBe(false);
  });

  it('accepts any of several v1 values (secret rotation)', () => {
    const good = signatureOf(secret, 1700000000, body);
    const header = `t=1700000000,v1=${'0'.repeat(64)},v1=${good}`;
    expect(verifySignature(secret, header, body, { now: 1700000000 })).toBe(true);
  });
});
