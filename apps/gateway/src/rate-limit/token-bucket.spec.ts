import { TrustedProxies } from '../device/trusted-proxies';
import { clientAddress } from './client-address';
import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('allows a burst, then the sustained rate, per key', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3, now: clock });
    expect([1, 2, 3].map(() => buckets.take('a').allowed)).toEqual([true, true, true]);
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(buckets.take('b').allowed).toBe(true);
    now += 500; // one token back at 2/s
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
    now += 10_000; // refills to the burst, not beyond
    expect([1, 2, 3, 4].map(() => buckets.take('a').allowed)).toEqual([true, true, true, false]);
  });

  it('says how long to wait, in whole seconds', () => {
    const slow = new TokenBuckets({ ratePerSecond: 0.1, burst: 1, now: clock });
    expect(slow.take('a').allowed).toBe(true);
    expect(slow.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it('is off at rate 0', () => {
    const off = new TokenBuckets({ ratePerSecond: 0, burst: 1, now: clock });
    for (let i = 0; i < 1000; i++) expect(off.take('a').allowed).toBe(true);
    expect(off.size).toBe(0);
  });

  it('remembers a bounded number of keys, forgetting the least recently used', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 1, maxKeys: 2, now: clock });
    buckets.take('a');
    buckets.take('b');
    expect(buckets.take('a').allowed).toBe(false); // a is now the most recent
    buckets.take('c'); // evicts b
    expect(buckets.size).toBe(2);
    expect(buckets.take('a').allowed).toBe(false);
    expect(buckets.take('b').allowed).toBe(true); // b starts again full
  });
});

describe('clientAddress', () => {
  const proxies = new TrustedProxies(['127.0.0.1', '10.0.0.0/8']);

  it('is the peer, unless the peer is a trusted proxy', () => {
    expect(clientAddress('192.0.2.7', '198.51.100.1', proxies)).toBe('192.0.2.7');
    expect(clientAddress('::ffff:192.0.2.7', undefined, proxies)).toBe('192.0.2.7');
    expect(clientAddress('127.0.0.1', undefined, proxies)).toBe('127.0.0.1');
  });

  it('takes the right-most forwarded address that is not a trusted proxy', () => {
    expect(clientAddress('127.0.0.1', '198.51.100.1', proxies)).toBe('198.51.100.1');
    // The client wrote the left-most entry itself: it proves nothing.
    expect(clientAddress('127.0.0.1', '203.0.113.9, 198.51.100.1, 10.1.2.3', proxies)).toBe('198.51.100.1');
    expect(clientAddress('127.0.0.1', ['garbage', '198.51.100.1'], proxies)).toBe('198.51.100.1');
  });

  it('charges IPv6 clients per /64', () => {
    expect(clientAddress('2001:db8:1:2:aaaa::1', undefined, proxies)).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:db8:1:2:bbbb:cccc:dddd:eeee', undefined, proxies)).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:db8::5', undefined, proxies)).toBe('2001:db8:0:0::/64');
    expect(clientAddress('::1', undefined, proxies)).toBe('0:0:0:0::/64');
  });
});
