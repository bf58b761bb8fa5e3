import { LastSeenBuffer } from './last-seen';

describe('LastSeenBuffer', () => {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

  it('writes every device marked since the last flush in one call, newest time each, ids sorted', async () => {
    const writes: Array<[string[], Date[]]> = [];
    const buffer = new LastSeenBuffer(async (ids, at) => void writes.push([ids, at]), () => undefined);
    buffer.mark('b', t(2));
    buffer.mark('a', t(1));
    buffer.mark('b', t(5));
    buffer.mark('b', t(3));
    await buffer.flush();
    expect(writes).toEqual([[['a', 'b'], [t(1), t(5)]]]);
    await buffer.flush();
    expect(writes).toHaveLength(1);
  });

  it('keeps a failed batch for the next flush, where a newer time for the same device wins', async () => {
    const writes: Array<[string[], Date[]]> = [];
    let fail = true;
    const errors: number[] = [];
    const buffer = new LastSeenBuffer(
      async (ids, at) => {
        if (fail) throw new Error('database down');
        writes.push([ids, at]);
      },
      (_err, n) => errors.push(n),
    );
    buffer.mark('a', t(1));
    buffer.mark('b', t(1));
    await buffer.flush();
    expect(errors).toEqual([2]);
    expect(buffer.size).toBe(2);
    buffer.mark('a', t(9));
    fail = false;
    await buffer.flush();
    expect(writes).toEqual([[['a', 'b'], [t(9), t(1)]]]);
    expect(buffer.size).toBe(0);
  });

  it('flushes early when maxPending devices wait, and stop() writes the rest', async () => {
    const writes: string[][] = [];
    const buffer = new LastSeenBuffer(async (ids) => void writes.push(ids), () => undefined, 60_000, 2);
    buffer.start();
    buffer.mark('a');
    buffer.mark('b');
    buffer.mark('c');
    await buffer.stop();
    expect(writes).toEqual([['a', 'b'], ['c']]);
  });
});
