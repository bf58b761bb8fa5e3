/**
 * Codes let callers map failures to HTTP answers and log lines without parsing messages:
 * - `bad-signature`: the CMS signature or a certificate signature does not verify
 * - `malformed`: the input could not be decoded (base64, PEM, DER, CMS, sealed secret)
 * - `untrusted`: the certificate does not chain to a trusted anchor
 * - `expired` / `not-yet-valid`: outside the validity period
 * - `key-mismatch`: a private key does not belong to the certificate
 * - `no-topic`: a push certificate without a `com.apple.mgmt.` UID
 */
export type PkiErrorCode =
  | 'bad-signature'
  | 'malformed'
  | 'untrusted'
  | 'expired'
  | 'not-yet-valid'
  | 'key-mismatch'
  | 'no-topic';

export class PkiError extends Error {
  constructor(
    message: string,
    readonly code: PkiErrorCode | (string & {}),
  ) {
    super(message);
    this.name = 'PkiError';
  }
}
