import { loadCommandConfig, parseInterval } from './command.config';

describe('INVENTORY_REFRESH_INTERVAL', () => {
  it('reads a number with a unit, or off', () => {
    expect(parseInterval('24h')).toBe(86_400_000);
    expect(parseInterval('90s')).toBe(90_000);
    expect(parseInterval('1.5 h')).toBe(5_400_000);
    expect(parseInterval('7d')).toBe(604_800_000);
    expect(parseInterval('OFF')).toBe(0);
    expect(parseInterval('24')).toBeUndefined();
    expect(parseInterval('500ms')).toBeUndefined();
    expect(parseInterval('daily')).toBeUndefined();
  });

  it('defaults to a day and refuses a bad value naming the variable', () => {
    expect(loadCommandConfig({}).INVENTORY_REFRESH_INTERVAL).toBe(86_400_000);
    expect(() => loadCommandConfig({ INVENTORY_REFRESH_INTERVAL: '24' })).toThrow(/INVENTORY_REFRESH_INTERVAL.*duration/s);
  });
});
