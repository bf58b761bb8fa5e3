import { X509Certificate } from 'node:crypto';
import { fingerprintSha256, parseCertificatesPem, validityOf } from './certificates';
import { PkiError } from './errors';

/** Bounded so a flood of distinct (even unverifiable) certificates cannot grow memory without limit. */
const MAX_CACHE_ENTRIES = 10_000;

/**
 * Certificates the server trusts to issue device identities. Every certificate in the store is trusted;
 * a leaf is accepted when it is signed by one of them (directly or via other certificates of the store).
 */
export class TrustStore {
  private readonly anchors: X509Certificate[];
  private readonly fingerprints: Set<string>;
  /** Chains already built, by leaf fingerprint: signatures never change, only time-validity must be rechecked. */
  private readonly chains = new Map<string, Chain>();

  constructor(anchors: X509Certificate[]) {
    this.anchors = [...anchors];
    this.fingerprints = new Set(anchors.map(fingerprintSha256));
  }

  static fromPem(...pemBundles: string[]): TrustStore {
    return new TrustStore(pemBundles.flatMap((bundle) => parseCertificatesPem(bundle)));
  }

  get size(): number {
    return this.anchors.length;
  }

  /**
   * Throws PkiError 'untrusted' | 'expired' | 'not-yet-valid' unless `cert` chains to the store and all is valid at `at`.
   * `fingerprint`: the certificate's `fingerprintSha256`, when the caller has it already.
   */
  verify(cert: X509Certificate, at: Date = new Date(), fingerprint: string = fingerprintSha256(cert)): void {
    let chain = this.chains.get(fingerprint);
    if (!chain) {
      chain = windowOf(this.buildChain(cert, fingerprint));
      if (this.chains.size >= MAX_CACHE_ENTRIES) {
        const oldest = this.chains.keys().next().value;
        if (oldest !== undefined) this.chains.delete(oldest);
      }
      this.chains.set(fingerprint, chain);
    }
    const now = at.getTime();
    if (now >= chain.validFrom && now <= chain.validUntil) return;
    // Outside the window: name the first link (leaf first) that is out of its validity.
    for (const link of chain.links) {
      const { notBefore, notAfter } = validityOf(link);
      const who = link === chain.links[0] ? 'certificate' : `issuing certificate "${link.subject.replace(/\n/g, ', ')}"`;
      if (now > notAfter.getTime()) {
        throw new PkiError(`${who} expired on ${notAfter.toISOString()}`, 'expired');
      }
      if (now < notBefore.getTime()) {
        throw new PkiError(`${who} is not valid before ${notBefore.toISOString()}`, 'not-yet-valid');
      }
    }
  }

  /** The leaf followed by store certificates up to a self-signed one (or the last one the store holds). */
  private buildChain(leaf: X509Certificate, leafFingerprint: string): X509Certificate[] {
    if (this.fingerprints.has(leafFingerprint)) return [leaf];
    const chain = [leaf];
    let current = leaf;
    // Bounded by the store size, so a loop of cross-signed certificates cannot spin forever.
    for (let depth = 0; depth <= this.anchors.length; depth++) {
      const issuer = this.anchors.find((candidate) => candidate.ca && issues(candidate, current));
      if (!issuer) {
        if (chain.length === 1) {
          throw new PkiError(`certificate "${leaf.issuer.replace(/\n/g, ', ')}" issuer is not a trusted CA`, 'untrusted');
        }
        return chain;
      }
      chain.push(issuer);
      if (issues(issuer, issuer)) return chain;
      current = issuer;
    }
    return chain;
  }
}

/** A chain with the instants between which every link of it is valid. */
interface Chain {
  links: X509Certificate[];
  validFrom: number;
  validUntil: number;
}

function windowOf(links: X509Certificate[]): Chain {
  const validities = links.map(validityOf);
  return {
    links,
    validFrom: Math.max(...validities.map((v) => v.notBefore.getTime())),
    validUntil: Math.min(...validities.map((v) => v.notAfter.getTime())),
  };
}

function issues(issuer: X509Certificate, cert: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}
