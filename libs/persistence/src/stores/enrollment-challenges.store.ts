import { select, selectOne, type Sql } from '../sql';

/** `enrollment_challenges`: one-time SCEP challenges, by hash only. */
export const EnrollmentChallengeStore = {
  async insert(sql: Sql, challengeHash: string, topic: string, expiresAt: Date): Promise<void> {
    await sql.query(`INSERT INTO enrollment_challenges (challenge_hash, topic, expires_at) VALUES ($1, $2, $3)`, [challengeHash, topic, expiresAt]);
  },

  /** Expired challenges are useless; a day's grace keeps `state` able to say "expired" rather than "unknown". */
  async deleteExpired(sql: Sql): Promise<void> {
    await sql.query(`DELETE FROM enrollment_challenges WHERE expires_at < now() - interval '1 day'`);
  },

  /** Marks an unused, unexpired challenge used, in one statement: of two racing requests only one gets true. */
  async consume(sql: Sql, challengeHash: string): Promise<boolean> {
    // Wrapped in a SELECT so the driver hands back the rows (a bare UPDATE answers [rows, count]).
    const used = await select<{ id: string }>(
      sql,
      `WITH used AS (
         UPDATE enrollment_challenges SET used_at = now()
          WHERE challenge_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING id)
       SELECT id FROM used`,
      [challengeHash],
    );
    return used.length > 0;
  },

  /** Whether a challenge was used, for saying why one was refused; undefined when none has this hash. */
  async state(sql: Sql, challengeHash: string): Promise<{ usedAt: Date | null; expiresAt: Date } | undefined> {
    const row = await selectOne<{ used_at: Date | null; expires_at: Date }>(
      sql,
      `SELECT used_at, expires_at FROM enrollment_challenges WHERE challenge_hash = $1`,
      [challengeHash],
    );
    return row && { usedAt: row.used_at, expiresAt: row.expires_at };
  },
};
