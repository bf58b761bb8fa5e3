import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Gauge } from 'prom-client';
import { ProfileCommandsStore } from '@mdm/persistence';
import { cachedReading, SCRAPE_CACHE_MS, ServiceMetrics } from '@mdm/service-kit';

/**
 * The profile service's outbox on /metrics: `profile_commands` rows planned but not yet accepted by the
 * command service (all replicas; read from Postgres when scraped, cached between scrapes).
 */
@Injectable()
export class ProfileMetrics {
  constructor(dataSource: DataSource, metrics: ServiceMetrics) {
    const outbox = cachedReading(SCRAPE_CACHE_MS, () => ProfileCommandsStore.backlog(dataSource));
    new Gauge({
      name: 'mdm_profile_commands_unsubmitted',
      help: 'Planned InstallProfile/RemoveProfile/ProfileList commands not yet accepted by the command service (all replicas)',
      registers: [metrics.registry],
      async collect() {
        this.set((await outbox()).count);
      },
    });
    new Gauge({
      name: 'mdm_profile_commands_oldest_unsubmitted_age_seconds',
      help: 'Age of the oldest planned profile command not yet accepted by the command service (0 when none)',
      registers: [metrics.registry],
      async collect() {
        this.set((await outbox()).ageSeconds);
      },
    });
  }
}
