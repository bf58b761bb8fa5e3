/** What a worker must do to its APNs clients so they match the stored push certificates. */
export interface ReloadPlan<Row> {
  /** Rows whose topic has no client yet, or whose certificate differs from the client's: build a client. */
  load: Row[];
  /** Rows whose client already has this certificate. */
  keep: Row[];
  /** Topics with a client but no stored certificate (a forced upload replaced it): close the client. */
  drop: string[];
}

export function reloadPlan<Row extends { topic: string; fingerprint: string }>(
  loaded: ReadonlyMap<string, { fingerprint: string }>,
  stored: readonly Row[],
): ReloadPlan<Row> {
  const plan: ReloadPlan<Row> = { load: [], keep: [], drop: [] };
  for (const row of stored) (loaded.get(row.topic)?.fingerprint === row.fingerprint ? plan.keep : plan.load).push(row);
  const storedTopics = new Set(stored.map((r) => r.topic));
  plan.drop = [...loaded.keys()].filter((topic) => !storedTopics.has(topic));
  return plan;
}
