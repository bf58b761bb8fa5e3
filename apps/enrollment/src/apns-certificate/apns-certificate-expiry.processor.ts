import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Queue } from '@mdm/contracts';
import { JobProducer, OnJob } from '@mdm/messaging';
import { ApnsCertificateStore, recordEvents } from '@mdm/persistence';
import { ENROLLMENT_CONFIG, type EnrollmentConfig } from '../enrollment.config';
import { daysLeft, thresholdReached } from './expiry';

/** Scheduler id: a fixed id makes every replica's upsert the same single schedule. */
const SCHEDULER_ID = 'apns-certificate-check';

/**
 * Warns before push certificates expire (apns.certificate.expiring at 30, 14, 7 and 1 days) and says when one
 * has (apns.certificate.expired). A BullMQ job scheduler ticks the check, so it runs once per interval however
 * many enrollment replicas there are; the row lock and the stored threshold make each warning happen once even
 * if two checks overlap.
 */
@Injectable()
export class ApnsCertificateExpiryProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(ApnsCertificateExpiryProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: JobProducer,
    @Inject(ENROLLMENT_CONFIG) private readonly config: EnrollmentConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.queue(Queue.Enrollment).upsertJobScheduler(
      SCHEDULER_ID,
      { every: this.config.APNS_CERT_CHECK_SECONDS * 1000 },
      { name: 'apns.certificate.check', data: {}, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 } } },
    );
  }

  @OnJob('apns.certificate.check')
  async handle(): Promise<void> {
    await this.check();
  }

  /** One pass over every stored certificate; returns how many events it wrote. */
  async check(now = new Date()): Promise<number> {
    const ids = await ApnsCertificateStore.ids(this.dataSource);
    let written = 0;
    for (const id of ids) {
      written += await this.dataSource.transaction(async (tx) => {
        const cert = await ApnsCertificateStore.lockById(tx, id);
        if (!cert) return 0;
        const base = { topic: cert.topic, fingerprint: cert.fingerprint, notAfter: cert.notAfter.toISOString() };
        if (cert.notAfter.getTime() <= now.getTime()) {
          if (cert.expiredNotifiedAt) return 0;
          await ApnsCertificateStore.markExpiredNotified(tx, id, now);
          await recordEvents(tx, [{ type: 'apns.certificate.expired', data: base }], now);
          this.logger.error(`push certificate for ${cert.topic} expired on ${base.notAfter}: its devices can no longer be pushed`);
          return 1;
        }
        const threshold = thresholdReached(cert.notAfter, now);
        if (threshold === undefined || (cert.expiryWarnedThreshold !== null && cert.expiryWarnedThreshold <= threshold)) return 0;
        const left = daysLeft(cert.notAfter, now);
        await ApnsCertificateStore.markExpiryWarned(tx, id, threshold);
        await recordEvents(tx, [{ type: 'apns.certificate.expiring', data: { ...base, daysLeft: left, threshold } }], now);
        this.logger.warn(`push certificate for ${cert.topic} expires in ${left} day(s) (${base.notAfter}): renew it with the same Apple ID`);
        return 1;
      });
    }
    return written;
  }
}
