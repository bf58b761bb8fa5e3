import { isIP } from 'node:net';
import type { TrustedProxies } from '../device/trusted-proxies';

/**
 * The address a request is charged to. Behind the TLS proxy every TCP peer is the proxy, so when the
 * peer is one of MDM_TRUSTED_PROXIES the client is the right-most X-Forwarded-For entry that is not
 * itself a trusted proxy (entries further left were written by the client and prove nothing).
 * IPv6 clients are charged per /64, the block one subscriber usually holds.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, proxies: TrustedProxies): string {
  let client = peer ?? 'unknown';
  if (proxies.includes(peer) && forwardedFor !== undefined) {
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
      .split(',')
      .map((h) => h.trim())
      .filter((h) => isIP(h) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      client = hops[i];
      if (!proxies.includes(hops[i])) break;
    }
  }
  return rateKey(client);
}

function rateKey(address: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4) return v4;
  if (isIP(address) !== 6) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (zone and embedded IPv4 tail handled). */
function expandIpv6(address: string): string[] {
  const bare = address.split('%')[0].toLowerCase();
  const [head, tail] = bare.includes('::') ? bare.split('::') : [bare, undefined];
  const groups = (part: string | undefined): string[] =>
    !part ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const left = groups(head);
  const right = groups(tail);
  const fill = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...fill, ...right].map((g) => g.replace(/^0+(?=.)/, ''));
}
