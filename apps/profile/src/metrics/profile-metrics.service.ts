import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Gauge } from 'prom-client';
import { cachedReading, SCRAPE_CACHE_MS, ServiceMetrics } from '@mdm/service-kit';

/**
 * The profile service's outbox on /metrics: `profile_commands` rows planned but not yet accepted by the
 * command service (all replicas; read from Postgres when scraped, cached between scrapes).
 */
@Injectable()
export class ProfileMetrics {
  constructor(dataSource: DataSource, metrics: ServiceMetrics) {
    const outbox = cachedReading(SCRAPE_CACHE_MS, async () => {
      const rows: Array<{ n: string; age: number | null }> = await dataSource.query(
        `SELECT count(*) AS n, extract(epoch FROM now() - min(created_at))::float8 AS age FROM profile_commands WHERE submitted_at IS NULL`,
      );
      return { count: Number(rows[0]?.n ?? 0), age: Math.max(0, rows[0]?.age ?? 0) };
    });
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
        this.set((await outbox()).age);
      },
    });
  }
}
