import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Correlation ids: the `X-Request-Id` of the API call that queued a command follows it to the push, the
 * device's answer and the webhook.
 *
 * - `commands.correlation_id`: written by `POST /v1/commands`.
 * - `push_requests.correlation_id`: defaults to the transaction-local setting `mdm.correlation_id`, which
 *   the command service sets in the transaction that queues a command. Every push request that
 *   transaction inserts (one per device, in one statement) gets it without a second write per row, and
 *   callers that set nothing (NotNow re-pushes, sweeps, retries) leave it NULL. A device whose push is
 *   already pending keeps that request (coalescing), and with it the id of the command that asked first.
 * - The `command.*` events (the triggers of `EventFeed1764278000000`, replaced here, not edited there)
 *   carry `correlationId` from the command row; `jsonb_strip_nulls` leaves it out when there is none.
 */
export class CorrelationIds1764283000000 implements MigrationInterface {
  name = 'CorrelationIds1764283000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE commands ADD COLUMN correlation_id text`);
    // current_setting(..., true) is NULL before the setting is first used in a session and '' after a
    // transaction that set it locally ended: both mean "none". Stable, so existing rows get NULL at once.
    await q.query(`ALTER TABLE push_requests ADD COLUMN correlation_id text DEFAULT NULLIF(current_setting('mdm.correlation_id', true), '')`);
    await replaceTriggerFunctions(q, true);
  }

  async down(q: QueryRunner): Promise<void> {
    await replaceTriggerFunctions(q, false);
    await q.query(`ALTER TABLE push_requests DROP COLUMN correlation_id`);
    await q.query(`ALTER TABLE commands DROP COLUMN correlation_id`);
  }
}

/** The two trigger functions of `EventFeed1764278000000`, with or without `correlationId` in the data. */
async function replaceTriggerFunctions(q: QueryRunner, withCorrelation: boolean): Promise<void> {
  const correlation = withCorrelation ? `, 'correlationId', c.correlation_id` : '';
  const insertEvents = (changed: string): string => `
        INSERT INTO events (event_id, type, udid, data, occurred_at)
        SELECT gen_random_uuid(), command_event_type(n.status), dev.udid,
               jsonb_strip_nulls(jsonb_build_object(
                 'udid', dev.udid, 'deviceId', n.device_id, 'commandUuid', n.command_uuid,
                 'requestType', c.request_type, 'status', n.status, 'reason', n.status_reason,
                 'notNowCount', n.not_now_count, 'errorChain', n.error_chain, 'answer', n.result${correlation})),
               clock_timestamp()
          FROM new_rows n
          JOIN devices dev ON dev.id = n.device_id
          JOIN commands c ON c.command_uuid = n.command_uuid
          ${changed}
         ORDER BY n.id;`;
  await q.query(`
      CREATE OR REPLACE FUNCTION command_deliveries_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${insertEvents('')}
        RETURN NULL;
      END $$`);
  await q.query(`
      CREATE OR REPLACE FUNCTION command_deliveries_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${insertEvents('JOIN old_rows o ON o.id = n.id WHERE o.status IS DISTINCT FROM n.status')}
        RETURN NULL;
      END $$`);
}
