import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { DetachedSignatureVerifier, fingerprintSha256, parseForwardedCertificate, PkiError } from '@mdm/pki';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { DeviceTrustService } from './device-trust.service';
import { TrustedProxies } from './trusted-proxies';

export interface AuthenticatedDevice {
  fingerprint: string;
  /** The certificate's notAfter, ISO 8601. */
  notAfterIso: string;
}

/** Device certificates kept parsed (key, fingerprint, validity): one per device that checks in. */
const SIGNER_CACHE_ENTRIES = 10_000;

/**
 * Every device request proves who sent it: an `Mdm-Signature` (detached CMS over the exact body)
 * or a client certificate forwarded by the TLS proxy. Either way the certificate must chain to a
 * trusted device CA, at the time of the request. Whether it is the one bound to the UDID is checked
 * by the owning service, inside the transaction that acts on the request.
 */
@Injectable()
export class DeviceAuthService {
  private readonly proxies: TrustedProxies;
  private readonly signatures = new DetachedSignatureVerifier(SIGNER_CACHE_ENTRIES);

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
    try {
      if (typeof signature === 'string' && signature.length > 0) {
        const { signer } = this.signatures.verify(signature, body);
        await this.trust.verify(signer.certificate, signer.fingerprint);
        return { fingerprint: signer.fingerprint, notAfterIso: signer.notAfter.toISOString() };
      }
      if (typeof forwarded === 'string' && forwarded.length > 0) {
        if (!this.proxies.includes(peer)) {
          throw new UnauthorizedException(
            `a client certificate in ${this.config.MDM_CLIENT_CERT_HEADER} is only accepted from a trusted proxy (MDM_TRUSTED_PROXIES); ${peer ?? 'this peer'} is not one`,
          );
        }
        const cert = parseForwardedCertificate(forwarded);
        const fingerprint = fingerprintSha256(cert);
        await this.trust.verify(cert, fingerprint);
        return { fingerprint, notAfterIso: new Date(cert.validTo).toISOString() };
      }
    } catch (err) {
      if (err instanceof PkiError) throw new UnauthorizedException(`device authentication failed: ${err.message}`);
      throw err;
    }
    throw new UnauthorizedException(
      `request is not authenticated: no Mdm-Signature header and no client certificate in ${this.config.MDM_CLIENT_CERT_HEADER}`,
    );
  }
}
