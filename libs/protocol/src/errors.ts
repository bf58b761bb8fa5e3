/**
 * The only error this library throws for bad input, so callers can answer a device with 400 (or an
 * operator with a validation error) by catching one class, and never leak a parser's internals.
 */
export class ProtocolError extends Error {
  constructor(
    message: string,
    /** The plist key (or JSON path) that is missing or wrong, when the problem has one. */
    readonly key?: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
