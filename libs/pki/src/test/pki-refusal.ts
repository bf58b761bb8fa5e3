import { PkiError } from '../errors';

/** The PkiError `fn` throws; any other outcome fails the spec that asked. */
export function pkiRefusal(fn: () => unknown): PkiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PkiError) return err;
    throw new Error(`expected a PkiError, got ${String(err)}`);
  }
  throw new Error('expected a PkiError, but the call succeeded');
}
