import { existsSync } from 'node:fs';
import path from 'node:path';

/** The checkout next to the repository that holds Apple's schema and real device fixtures. */
export const SHARED = path.resolve(__dirname, '../../../shared');

/** A path inside ../shared. */
export const sharedPath = (...segments: string[]): string => path.join(SHARED, ...segments);

/** Under CI a missing ../shared must fail the run: a skipped drift or fixture test would pass it quietly. */
const mustExist = (): boolean => Boolean(process.env['CI']);

function missing(file: string): Error {
  return new Error(`${file} is missing: check out ../shared next to the repository (CI runs every test that needs it)`);
}

/** `describe` for tests that read `file` from ../shared: skipped (and said so) when it is absent, failed under CI. */
export function describeWithShared(file: string): (name: string, body: () => void) => void {
  if (existsSync(file)) return describe;
  if (mustExist()) return (name) => describe(name, () => it(`needs ${file}`, () => { throw missing(file); }));
  console.warn(`${file} not found: skipping the tests that need it`);
  return describe.skip;
}

/** `it` for a test that reads `file` from ../shared: skipped (and said so) when it is absent, failed under CI. */
export function itWithShared(file: string): (name: string, fn: jest.ProvidesCallback, timeout?: number) => void {
  if (existsSync(file)) return it;
  if (mustExist()) return (name) => it(name, () => { throw missing(file); });
  console.warn(`${file} not found: skipping the test that needs it`);
  return it.skip;
}
