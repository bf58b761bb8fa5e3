import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { X509Certificate } from 'node:crypto';
import { fingerprintSha256, parseForwardedCertificate, PkiError, verifyDetachedSignature } from '@mdm/pki';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { DeviceTrustService } from './device-trust.service';
import { TrustedProxies } from './trusted-proxies';

export interface AuthenticatedDevice {
  fingerprint: string;
  notAfter: Date;
}

/**
 * Every device request proves who sent it: an `Mdm-Signature` (detached CMS over the exact body)
 * or a client certificate forwarded by the TLS proxy. Either way the certificate must chain to a
 * trusted device CA. Whether it is the one bound to the UDID is checked by the owning service,
 * inside the transaction that acts on the request.
 */
@Injectable()
export class DeviceAuthService {
  private readonly proxies: TrustedProxies;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly trust: DeviceTrustService,
  ) {
    this.proxies = new TrustedProxies(config.MDM_TRUSTED_PROXIES);
  }

  /** `peer`: the TCP peer's address; a forwarded certificate counts only from a trusted proxy. */
  async authenticate(headers: Record<string, string | string[] | undefined>, body: Buffer, peer: string | undefined): Promise<AuthenticatedDevice> {
    const signature = headers['mdm-signature'];
    const forwarded = headers[this.config.MDM_CLIENT_CERT_HEADER];
    let cert: X509Certificate;
    try {
      if (typeof signature === 'string' && signature.length > 0) {
        cert = (await verifyDetachedSignature(signature, body)).signer;
      } else if (typeof forwarded === 'string' && forwarded.length > 0) {
        if (!this.proxies.includes(peer)) {
          throw new UnauthorizedException(
            `a client certificate in ${this.config.MDM_CLIENT_CERT_HEADER} is only accepted from a trusted proxy (MDM_TRUSTED_PROXIES); ${peer ?? 'this peer'} is not one`,
          );
        }
        cert = parseForwardedCertificate(forwarded);
      } else {
        throw new UnauthorizedException(
          `request is not authenticated: no Mdm-Signature header and no client certificate in ${this.config.MDM_CLIENT_CERT_HEADER}`,
        );
      }
      await this.trust.verify(cert);
    } catch (err) {
      if (err instanceof PkiError) throw new UnauthorizedException(`device authentication failed: ${err.message}`);
      throw err;
    }
    return { fingerprint: fingerprintSha256(cert), notAfter: new Date(cert.validTo) };
  }
}
