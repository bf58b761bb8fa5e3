import { chooseTestServices, LOCAL_POSTGRES, LOCAL_REDIS } from '../../scripts/test-services';

const docker = (answers: boolean | Error) => {
  const probe = jest.fn(() => (answers instanceof Error ? Promise.reject(answers) : Promise.resolve(answers)));
  return { probe, probes: { dockerAnswers: probe } };
};

describe('chooseTestServices (where npm test finds Postgres and Redis)', () => {
  it('uses the URLs it is given and never asks Docker', async () => {
    const { probe, probes } = docker(true);
    const chosen = await chooseTestServices({ DATABASE_URL: 'postgres://db:5432/x', REDIS_URL: 'redis://r:6379' }, probes);
    expect(chosen).toEqual({
      postgres: { source: 'environment', url: 'postgres://db:5432/x' },
      redis: { source: 'environment', url: 'redis://r:6379' },
    });
    expect(probe).not.toHaveBeenCalled();
  });

  it('starts containers for what is not given when a Docker engine answers', async () => {
    expect(await chooseTestServices({}, docker(true).probes)).toEqual({ postgres: { source: 'container' }, redis: { source: 'container' } });
    expect(await chooseTestServices({ REDIS_URL: 'redis://r:6379' }, docker(true).probes)).toEqual({
      postgres: { source: 'container' },
      redis: { source: 'environment', url: 'redis://r:6379' },
    });
  });

  it('uses localhost when no engine answers or the probe fails', async () => {
    const local = { postgres: { source: 'localhost', url: LOCAL_POSTGRES }, redis: { source: 'localhost', url: LOCAL_REDIS } };
    expect(await chooseTestServices({}, docker(false).probes)).toEqual(local);
    expect(await chooseTestServices({ DATABASE_URL: '' }, docker(new Error('no socket')).probes)).toEqual(local);
  });
});
