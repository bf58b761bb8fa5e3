import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { PushResult } from '@mdm/apns';
import type { Job, JobData } from '@mdm/contracts';
import { JobProducer, OnJob } from '@mdm/messaging';
import { DeviceEntity } from '@mdm/persistence';
import { ApnsClientsService } from '../apns/apns-clients.service';
import { PUSH_CONFIG, type PushConfig } from '../push.config';

type Outcome = JobData<'push.outcome'>['outcome'];
interface Sent {
  deviceId: string;
  outcome: Outcome;
  reason?: string;
}

/** Sends one MDM push per requested device and reports each outcome. */
@Injectable()
export class PushRequestedProcessor {
  private readonly logger = new Logger(PushRequestedProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly clients: ApnsClientsService,
    private readonly producer: JobProducer,
    @Inject(PUSH_CONFIG) private readonly config: PushConfig,
  ) {}

  @OnJob('push.requested')
  async handle(data: JobData<'push.requested'>): Promise<void> {
    const devices = await this.dataSource.getRepository(DeviceEntity).find({
      where: { id: In(data.deviceIds) },
      select: { id: true, udid: true, enrolled: true, topic: true, pushToken: true, pushMagic: true, tokenInvalidAt: true },
    });
    const expiration = Math.floor(Date.now() / 1000) + this.config.APNS_PUSH_TTL_SECONDS;
    const results = await Promise.all(devices.map((d) => this.pushOne(d, expiration)));
    await this.record(results);

    const retry = results.filter((r) => r.outcome === 'retryable').map((r) => r.deviceId);
    if (retry.length) {
      // A fresh job for just these devices: the ones already pushed must not be pushed twice.
      await this.producer.enqueue(
        { name: 'push.requested', data: { deviceIds: retry, reason: 'retry', requestedAt: new Date().toISOString() } },
        { delay: 1000 + Math.floor(Math.random() * 1000) },
      );
    }
  }

  private async pushOne(d: DeviceEntity, expiration: number): Promise<Sent> {
    if (!d.enrolled || !d.pushToken || !d.pushMagic || !d.topic) {
      return { deviceId: d.id, outcome: 'skipped', reason: 'device is not enrolled or has no push token' };
    }
    if (d.tokenInvalidAt) return { deviceId: d.id, outcome: 'skipped', reason: 'push token is dead until the next TokenUpdate' };
    const topic = await this.clients.forTopic(d.topic);
    if (!topic) return { deviceId: d.id, outcome: 'certificate-error', reason: `no push certificate for topic ${d.topic}` };
    if (topic.notAfter.getTime() <= Date.now()) {
      return { deviceId: d.id, outcome: 'certificate-error', reason: `push certificate for ${d.topic} expired on ${topic.notAfter.toISOString()}` };
    }
    const result: PushResult = await topic.client.send({ token: d.pushToken, topic: d.topic, pushMagic: d.pushMagic, expiration });
    return { deviceId: d.id, outcome: result.outcome, reason: result.reason };
  }

  private async record(results: Sent[]): Promise<void> {
    const now = new Date();
    const attempted = results.filter((r) => r.outcome !== 'skipped');
    // One UPDATE per distinct outcome/reason rather than per device.
    const groups = new Map<string, Sent[]>();
    for (const r of attempted) {
      const key = `${r.outcome}\u0000${r.reason ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const list of groups.values()) {
      const { outcome, reason } = list[0]!;
      const ids = list.map((r) => r.deviceId);
      const label = reason ? `${outcome}: ${reason}` : outcome;
      if (outcome === 'dead-token') {
        await this.dataSource.query(
          `UPDATE devices SET last_push_at = $2, last_push_outcome = $3, token_invalid_at = $2, token_invalid_reason = $4 WHERE id = ANY($1)`,
          [ids, now, label, reason ?? 'dead token'],
        );
      } else {
        await this.dataSource.query(`UPDATE devices SET last_push_at = $2, last_push_outcome = $3 WHERE id = ANY($1)`, [ids, now, label]);
      }
    }
    const failed = attempted.filter((r) => r.outcome !== 'sent');
    if (failed.length) this.logger.warn(`${failed.length} of ${results.length} pushes not sent (${failed[0]?.outcome}: ${failed[0]?.reason ?? ''})`);
    const jobs: Job[] = attempted.map((r) => ({
      name: 'push.outcome',
      data: { deviceId: r.deviceId, outcome: r.outcome, reason: r.reason, at: now.toISOString() },
    }));
    if (jobs.length) await this.producer.enqueueBulk(jobs);
  }
}
