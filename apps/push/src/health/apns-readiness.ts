import type { DataSource } from 'typeorm';
import { PushTopicsStore } from '@mdm/persistence';
import type { ReadinessChecks } from '@mdm/service-kit';
import type { ApnsClientsService } from '../apns/apns-clients.service';

/**
 * The push worker's APNs part of /ready, as the check `apns`: 'ok' when at least one stored topic has a
 * certificate this worker may push with (loaded, not expired, not stopped by an APNs 403). Its session is
 * connected or opened on the next push (the client connects on demand and reconnects with backoff, so a
 * network blip toward APNs is not a reason to call the worker unready). Not ready when no push certificate
 * is stored, or every stored one is expired or stopped (the answer then says why, per topic): such a worker
 * can only fail pushes.
 */
export function apnsReadiness(dataSource: DataSource, clients: ApnsClientsService): ReadinessChecks {
  return async () => {
    const topics = await PushTopicsStore.topics(dataSource);
    if (!topics.length) return { apns: 'no push certificate stored' };
    const refused: string[] = [];
    for (const topic of topics) {
      const lookup = await clients.forTopic(topic);
      // One usable topic is enough to do work.
      if (lookup.kind === 'ready') return { apns: 'ok' };
      refused.push(lookup.reason);
    }
    return { apns: `no topic can push: ${refused.join('; ')}` };
  };
}
