import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApnsClient } from '@mdm/apns';
import { Broadcast, noPushCertificateReason } from '@mdm/contracts';
import { BroadcastBus } from '@mdm/messaging';
import { PushTopicsStore } from '@mdm/persistence';
import { SecretBox } from '@mdm/pki';
import { PUSH_CONFIG, type PushConfig } from '../push.config';
import { reloadPlan } from './reload-plan';

interface TopicClient {
  fingerprint: string;
  notAfter: Date;
  client: ApnsClient;
  /** Why APNs refused this certificate (403); no pushes go out with it. */
  stopped: string | undefined;
}

export type TopicLookup =
  | { kind: 'ready'; client: ApnsClient }
  | { kind: 'missing' | 'expired' | 'stopped'; reason: string };

/**
 * One APNs client per topic, built from the stored push certificates. A renewed certificate
 * replaces the client without a restart, and a topic whose certificate is gone (a forced upload of
 * another topic) loses its client and its connections: on the broadcast notice, on a timer for notices
 * missed, and at once when a claimed push shows the stored certificate differs from the loaded one.
 * A topic whose certificate APNs refused stays stopped (on every replica, through push_topic_stops)
 * until a different certificate is stored.
 */
@Injectable()
export class ApnsClientsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ApnsClientsService.name);
  private readonly clients = new Map<string, TopicClient>();
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain: Promise<void> | undefined;

  constructor(
    private readonly dataSource: DataSource,
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

  /**
   * The client for a topic, reloading first if the topic is new to this worker or `storedFingerprint` (the
   * stored certificate's, read with the push; null: none is stored) differs from the loaded one.
   */
  async forTopic(topic: string, storedFingerprint?: string | null): Promise<TopicLookup> {
    const loaded = this.clients.get(topic);
    const stale = storedFingerprint === undefined ? !loaded : (loaded?.fingerprint ?? null) !== storedFingerprint;
    if (stale) await this.reload();
    const entry = this.clients.get(topic);
    if (!entry) return { kind: 'missing', reason: noPushCertificateReason(topic) };
    if (entry.stopped !== undefined) return { kind: 'stopped', reason: `topic stopped: APNs refused its certificate (${entry.stopped})` };
    if (entry.notAfter.getTime() <= Date.now()) {
      return { kind: 'expired', reason: `push certificate for ${topic} expired on ${entry.notAfter.toISOString()}` };
    }
    return { kind: 'ready', client: entry.client };
  }

  /** Pushes in the clients' hands: written to a stream, or waiting for room on one. */
  get inFlight(): number {
    let n = 0;
    for (const c of this.clients.values()) n += c.client.inFlight + c.client.queued;
    return n;
  }

  /**
   * APNs refused this topic's certificate: stop it here at once and, through the table, everywhere.
   * Returns the certificate's fingerprint when this call stopped it (so the caller raises the alert once).
   */
  async stopTopic(topic: string, reason: string): Promise<string | undefined> {
    const entry = this.clients.get(topic);
    if (!entry || entry.stopped !== undefined) return undefined;
    entry.stopped = reason;
    const stoppedHere = await PushTopicsStore.stop(this.dataSource, { topic, fingerprint: entry.fingerprint, reason });
    await this.broadcast.publish(Broadcast.ApnsCertificateChanged).catch(() => undefined);
    return stoppedHere ? entry.fingerprint : undefined;
  }

  reload(): Promise<void> {
    if (this.reloading) {
      // The running reload may have read the table before the change this call was made for: one more after
      // it, shared by every call made meanwhile (a burst of notices costs two reads, not one per notice).
      this.reloadAgain ??= this.reloading.then(() => {
        this.reloadAgain = undefined;
        return this.reload();
      });
      return this.reloadAgain;
    }
    this.reloading = this.doReload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async doReload(): Promise<void> {
    try {
      const rows = await PushTopicsStore.certificates(this.dataSource);
      const stops = await PushTopicsStore.stops(this.dataSource);
      const stopOf = new Map(stops.map((s) => [s.topic, s]));
      // A stop applies to the certificate APNs refused; a new certificate lifts it.
      const stoppedReason = (row: { topic: string; fingerprint: string }): string | undefined => {
        const stop = stopOf.get(row.topic);
        return stop?.fingerprint === row.fingerprint ? stop.reason : undefined;
      };
      const plan = reloadPlan(this.clients, rows);
      for (const topic of plan.drop) {
        const gone = this.clients.get(topic)!;
        this.clients.delete(topic);
        this.logger.warn(`push certificate for ${topic} is no longer stored: its APNs connections are closed and its devices cannot be pushed`);
        // Pushes already written to a stream are answered; nothing new goes out with this certificate.
        void gone.client.close();
      }
      for (const row of plan.keep) {
        const current = this.clients.get(row.topic)!;
        const stopped = stoppedReason(row);
        if (current.stopped === undefined && stopped !== undefined) this.logger.error(`push topic ${row.topic} stopped: ${stopped}`);
        current.stopped = stopped;
      }
      for (const row of plan.load) {
        const stop = stopOf.get(row.topic);
        const stopped = stoppedReason(row);
        const current = this.clients.get(row.topic);
        if (stop && !stopped) await PushTopicsStore.lift(this.dataSource, row.topic, stop.fingerprint);
        const client = new ApnsClient({
          url: this.config.APNS_URL,
          certPem: row.certPem,
          keyPem: this.secrets.open(row.keySealed).toString('utf8'),
          ca: this.config.apnsCa,
          proxyUrl: this.config.HTTPS_PROXY,
          sessions: this.config.APNS_SESSIONS,
        });
        this.clients.set(row.topic, { fingerprint: row.fingerprint, notAfter: row.notAfter, client, stopped });
        this.logger.log(`push certificate for ${row.topic} ${current ? 'renewed' : 'loaded'} (valid until ${row.notAfter.toISOString()})`);
        if (current) void current.client.close();
      }
    } catch (err) {
      this.logger.error(`reloading push certificates failed: ${(err as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // close() drains: every queued and in-flight push is answered before the connections go.
    await Promise.all([...this.clients.values()].map((c) => c.client.close()));
  }
}
