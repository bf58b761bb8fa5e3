// Where `npm test` finds Postgres and Redis. A pure choice (the Docker probe is injected) so it is unit
// tested without an engine; scripts/test.mjs starts the containers it asks for.
'use strict';

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';

/**
 * Per dependency: a URL in the environment wins; otherwise a throw-away container when a Docker engine
 * answers; otherwise the one on localhost. The engine is asked only when a URL is missing, and a probe
 * that fails counts as no engine.
 * @param {NodeJS.ProcessEnv} env
 * @param {{ dockerAnswers: () => Promise<boolean> }} probes
 */
async function chooseTestServices(env, probes) {
  const given = { postgres: env.DATABASE_URL || undefined, redis: env.REDIS_URL || undefined };
  const docker = given.postgres && given.redis ? false : await probes.dockerAnswers().catch(() => false);
  const pick = (url, local) => (url ? { source: 'environment', url } : docker ? { source: 'container' } : { source: 'localhost', url: local });
  return { postgres: pick(given.postgres, LOCAL_POSTGRES), redis: pick(given.redis, LOCAL_REDIS) };
}

module.exports = { chooseTestServices, LOCAL_POSTGRES, LOCAL_REDIS };
