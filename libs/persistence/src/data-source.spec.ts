import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS } from './data-source';

/** TypeORM names a migration class `<Name><timestamp>`; the file starts with the same timestamp. */
const timestampOf = (name: string): number => Number(/(\d{13})$/.exec(name)?.[1]);

describe('MIGRATIONS', () => {
  it('lists every migration once, in timestamp order', () => {
    const listed = MIGRATIONS.map((m) => timestampOf(m.name));
    expect(listed.every(Number.isFinite)).toBe(true);
    expect(listed).toEqual([...listed].sort((a, b) => a - b));
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('lists every migration file', () => {
    const files = readdirSync(join(__dirname, 'migrations'))
      .filter((f) => /^\d+-.+\.ts$/.test(f))
      .map((f) => Number(f.split('-')[0]));
    expect(MIGRATIONS.map((m) => timestampOf(m.name)).sort((a, b) => a - b)).toEqual(files.sort((a, b) => a - b));
  });
});
