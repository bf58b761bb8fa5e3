import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApnsClient } from '@mdm/apns';
import { Broadcast } from '@mdm/contracts';
import { BroadcastBus } from '@mdm/messaging';
import { ApnsCertificateEntity } from '@mdm/persistence';
import { SecretBox } from '@mdm/pki';
import { PUSH_CONFIG, type PushConfig } from '../push.config';

interface TopicClient {
  fingerprint: string;
  notAfter: Date;
  client: ApnsClient;
}

/**
 * One APNs client per topic, built from the stored push certificates. A renewed certificate
 * replaces the client without a restart: on the broadcast notice, and on a timer for notices missed.
 */
@Injectable()
export class ApnsClientsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ApnsClientsService.name);
  private readonly clients = new Map<string, TopicClient>();
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;

  constructor(
    @InjectRepository(ApnsCertificateEntity) private readonly certs: Repository<ApnsCertificateEntity>,
    @Inject(PUSH_CONFIG) private readonly config: PushConfig,
    private readonly secrets: SecretBox,
    private readonly broadcast: BroadcastBus,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    await this.broadcast.subscribe(Broadcast.ApnsCertificateChanged, () => void this.reload());
    this.timer = setInterval(() => void this.reload(), this.config.APNS_CERT_RELOAD_SECONDS * 1000);
    this.timer.unref();
  }

  /** The client for a topic, reloading once if the topic is new to this worker. */
  async forTopic(topic: string): Promise<{ client: ApnsClient; notAfter: Date } | undefined> {
    if (!this.clients.has(topic)) await this.reload();
    const entry = this.clients.get(topic);
    return entry && { client: entry.client, notAfter: entry.notAfter };
  }

  reload(): Promise<void> {
    // Coalesce concurrent reloads (a burst of notices, or a timer tick during a reload).
    this.reloading ??= this.doReload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async doReload(): Promise<void> {
    try {
      const rows = await this.certs.find();
      for (const row of rows) {
        const current = this.clients.get(row.topic);
        if (current?.fingerprint === row.fingerprint) continue;
        const client = new ApnsClient({
          url: this.config.APNS_URL,
          certPem: row.certPem,
          keyPem: this.secrets.open(row.keySealed).toString('utf8'),
          ca: this.config.apnsCa,
          proxyUrl: this.config.HTTPS_PROXY,
          sessions: this.config.APNS_SESSIONS,
        });
        this.clients.set(row.topic, { fingerprint: row.fingerprint, notAfter: row.notAfter, client });
        this.logger.log(`push certificate for ${row.topic} ${current ? 'renewed' : 'loaded'} (valid until ${row.notAfter.toISOString()})`);
        if (current) void current.client.close();
      }
    } catch (err) {
      this.logger.error(`reloading push certificates failed: ${(err as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.clients.values()].map((c) => c.client.close()));
  }
}
