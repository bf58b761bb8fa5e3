import { BlockList, isIP } from 'node:net';

/**
 * Which peers may hand the gateway a client certificate in a header. A device certificate is not a
 * secret, so a header from anyone else proves nothing: only the TLS proxy that verified the
 * handshake (and overwrites the header) is believed.
 */
export class TrustedProxies {
  private readonly list = new BlockList();

  /** `entries`: addresses or CIDR ranges, IPv4 or IPv6. Throws naming a bad entry. */
  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = raw.trim();
      const [address, bits] = entry.split('/');
      const family = address ? isIP(address) : 0;
      if (!address || family === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) {
        this.list.addAddress(address, type);
      } else {
        const prefix = Number(bits);
        if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) throw new Error(`"${entry}" has a bad prefix length`);
        this.list.addSubnet(address, prefix, type);
      }
    }
  }

  includes(peer: string | undefined): boolean {
    if (!peer) return false;
    // Node reports IPv4 peers on a dual-stack socket as ::ffff:a.b.c.d.
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peer)?.[1];
    if (v4) return this.list.check(v4, 'ipv4');
    return this.list.check(peer, isIP(peer) === 6 ? 'ipv6' : 'ipv4');
  }
}
