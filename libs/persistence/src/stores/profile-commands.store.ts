import { select, selectOne, type Sql } from '../sql';

export type ProfileCommandAction = 'install' | 'remove' | 'list';

/** A planned command whose request body is not built yet. */
export interface PlannedProfileCommand {
  id: string;
  action: ProfileCommandAction;
  profileId: string | null;
  version: number | null;
  identifier: string | null;
  udids: string[];
}

/** The body POSTed to the command service, stored before the first attempt so every retry sends the same. */
export interface ProfileCommandRequest {
  udids: string[];
  command: Record<string, unknown>;
  commandUuid?: string;
}

/**
 * The outbox of commands the reconciler planned (`profile_commands`), handed to the command service after
 * the planning transaction commits. Replicas share the work with SKIP LOCKED; the profile service owns it.
 */
export const ProfileCommandsStore = {
  async plan(tx: Sql, c: Omit<PlannedProfileCommand, 'id'>): Promise<string> {
    const row = await selectOne<{ id: string }>(
      tx,
      `INSERT INTO profile_commands (action, profile_id, version, identifier, udids) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [c.action, c.profileId, c.version, c.identifier, c.udids],
    );
    return row!.id;
  },

  /** Oldest first, locked for the caller's transaction, skipping rows another replica holds. */
  async claimUnprepared(tx: Sql, limit: number): Promise<PlannedProfileCommand[]> {
    const rows = await select<{ id: string; action: ProfileCommandAction; profile_id: string | null; version: number | null; identifier: string | null; udids: string[] }>(
      tx,
      `SELECT id, action, profile_id, version, identifier, udids FROM profile_commands
        WHERE submitted_at IS NULL AND request IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r) => ({ id: r.id, action: r.action, profileId: r.profile_id, version: r.version, identifier: r.identifier, udids: r.udids }));
  },

  async prepare(tx: Sql, id: string, request: ProfileCommandRequest & { commandUuid: string }): Promise<void> {
    await tx.query(`UPDATE profile_commands SET request = $2, command_uuid = $3 WHERE id = $1`, [id, JSON.stringify(request), request.commandUuid]);
  },

  /** As claimUnprepared, for rows whose request is built. */
  async claimPrepared(tx: Sql, limit: number): Promise<Array<{ id: string; request: ProfileCommandRequest }>> {
    return select(
      tx,
      `SELECT id, request FROM profile_commands
        WHERE submitted_at IS NULL AND request IS NOT NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
  },

  async attemptFailed(tx: Sql, id: string, error: string): Promise<void> {
    await tx.query(`UPDATE profile_commands SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [id, error]);
  },

  async submitted(tx: Sql, id: string, commandUuid: string): Promise<void> {
    await tx.query(`UPDATE profile_commands SET command_uuid = $2, submitted_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1`, [id, commandUuid]);
  },

  /** Takes the row out of the outbox without sending it, saying why. */
  async close(tx: Sql, id: string, reason: string): Promise<void> {
    await tx.query(`UPDATE profile_commands SET submitted_at = now(), last_error = $2 WHERE id = $1`, [id, reason]);
  },

  /** Rows not accepted by the command service yet, and the age of the oldest in seconds (0 when none). */
  async backlog(db: Sql): Promise<{ count: number; ageSeconds: number }> {
    const row = await selectOne<{ n: string; age: number | null }>(
      db,
      `SELECT count(*) AS n, extract(epoch FROM now() - min(created_at))::float8 AS age FROM profile_commands WHERE submitted_at IS NULL`,
    );
    return { count: Number(row?.n ?? 0), ageSeconds: Math.max(0, row?.age ?? 0) };
  },
};
