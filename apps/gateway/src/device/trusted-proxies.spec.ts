import { TrustedProxies } from './trusted-proxies';

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(['127.0.0.1', '::1', '10.1.0.0/16', 'fd00::/8']);

  it('believes the listed addresses and ranges, in both notations Node reports', () => {
    expect(proxies.includes('127.0.0.1')).toBe(true);
    expect(proxies.includes('::ffff:127.0.0.1')).toBe(true);
    expect(proxies.includes('::1')).toBe(true);
    expect(proxies.includes('10.1.200.7')).toBe(true);
    expect(proxies.includes('fd12::5')).toBe(true);
  });

  it('believes no one else', () => {
    expect(proxies.includes('10.2.0.1')).toBe(false);
    expect(proxies.includes('::ffff:192.0.2.1')).toBe(false);
    expect(proxies.includes('2001:db8::1')).toBe(false);
    expect(proxies.includes(undefined)).toBe(false);
    expect(new TrustedProxies([]).includes('127.0.0.1')).toBe(false);
  });

  it('names a bad entry', () => {
    expect(() => new TrustedProxies(['proxy.example.com'])).toThrow(/proxy\.example\.com/);
    expect(() => new TrustedProxies(['10.0.0.0/40'])).toThrow(/prefix/);
  });
});
