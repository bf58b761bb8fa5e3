import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  let now = 0;
  const clock = (): number => now;
  beforeEach(() => (now = 1000));

  it('keeps an entry for its lifetime only', () => {
    const cache = new TtlCache<string>(100, 10, clock);
    cache.set('a', 'A');
    now += 99;
    expect(cache.get('a')).toBe('A');
    now += 1;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries, dropping expired entries and then the oldest', () => {
    const cache = new TtlCache<number>(100, 3, clock);
    cache.set('old', 0);
    now += 60;
    cache.set('b', 1);
    cache.set('c', 2);
    now += 40; // 'old' has expired, 'b' and 'c' have not
    cache.set('d', 3);
    expect([cache.get('old'), cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([undefined, 1, 2, 3]);
    cache.set('e', 4);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('e')).toBe(4);
  });

  it('deletes the entries a predicate picks', () => {
    const cache = new TtlCache<{ owner: string }>(100, 10, clock);
    cache.set('1', { owner: 'x' });
    cache.set('2', { owner: 'y' });
    cache.set('3', { owner: 'x' });
    cache.deleteWhere((v) => v.owner === 'x');
    expect([cache.get('1'), cache.get('2'), cache.get('3')]).toEqual([undefined, { owner: 'y' }, undefined]);
  });
});
