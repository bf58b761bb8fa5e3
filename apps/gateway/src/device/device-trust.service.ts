import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { X509Certificate } from 'node:crypto';
import { parseCertificatesPem, PkiError, TrustStore } from '@mdm/pki';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { UpstreamClient } from '../upstream/upstream.client';

/** At most one extra CA refresh per this interval when a certificate doesn't chain. */
const MISS_REFRESH_MS = 5000;

/**
 * The CAs whose device certificates the gateway accepts: the server's own device CA (fetched from
 * the enrollment service, which owns it) plus the operator's MDM_DEVICE_CA_FILE.
 */
@Injectable()
export class DeviceTrustService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DeviceTrustService.name);
  private readonly extra: X509Certificate[];
  private ownCaPem = '';
  private store: TrustStore;
  private timer: NodeJS.Timeout | undefined;
  private lastRefresh = 0;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly upstream: UpstreamClient,
  ) {
    this.extra = config.extraDeviceCaPem ? parseCertificatesPem(config.extraDeviceCaPem) : [];
    this.store = new TrustStore(this.extra);
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.config.MDM_CA_REFRESH_SECONDS * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Throws PkiError when the certificate doesn't chain to a trusted CA or is outside its validity. */
  async verify(cert: X509Certificate, fingerprint: string): Promise<void> {
    try {
      this.store.verify(cert, new Date(), fingerprint);
    } catch (err) {
      // The enrollment service may have created or replaced its CA since we last looked.
      if (err instanceof PkiError && err.code === 'untrusted' && Date.now() - this.lastRefresh > MISS_REFRESH_MS) {
        await this.refresh();
        this.store.verify(cert, new Date(), fingerprint);
        return;
      }
      throw err;
    }
  }

  private async refresh(): Promise<void> {
    this.lastRefresh = Date.now();
    try {
      const res = await this.upstream.forward('enrollment', 'GET', '/internal/device-ca', {});
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const pem = res.body.toString('utf8');
      if (pem !== this.ownCaPem) {
        this.ownCaPem = pem;
        this.store = new TrustStore([...parseCertificatesPem(pem), ...this.extra]);
        this.logger.log('device CA loaded');
      }
    } catch (err) {
      this.logger.warn(`cannot fetch the device CA from the enrollment service: ${(err as Error).message}`);
    }
  }
}
