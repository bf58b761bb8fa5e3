import type { EntityManager } from 'typeorm';

/**
 * The Postgres channel that says "deliveries are due". NOTIFY is transactional: a listener hears it only
 * when the transaction that created the deliveries commits, so a wake-up is never early. It is only a hint;
 * the workers' poll finds every due delivery without it.
 */
export const DELIVERIES_CHANNEL = 'webhook_deliveries';

export async function notifyDeliveries(db: Pick<EntityManager, 'query'>): Promise<void> {
  await db.query(`SELECT pg_notify($1, '')`, [DELIVERIES_CHANNEL]);
}
