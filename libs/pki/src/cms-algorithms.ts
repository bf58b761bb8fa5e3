export type DigestAlgorithm = 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export const DIGEST_BY_OID: Readonly<Record<string, DigestAlgorithm>> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
  // Some signers put the signature algorithm where the digest algorithm belongs; the hash is still clear.
  '1.2.840.113549.1.1.5': 'SHA-1',
  '1.2.840.113549.1.1.14': 'SHA-224',
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
};

export const DIGEST_OID: Readonly<Record<DigestAlgorithm, string>> = {
  'SHA-1': '1.3.14.3.2.26',
  'SHA-224': '2.16.840.1.101.3.4.2.4',
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};

export const ECDSA_OID: Readonly<Record<DigestAlgorithm, string>> = {
  'SHA-1': '1.2.840.10045.4.1',
  'SHA-224': '1.2.840.10045.4.3.1',
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};

export const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
export const RSA_PSS = '1.2.840.113549.1.1.10';

/** DER NULL: RSA and hash algorithm identifiers carry explicit NULL parameters, as most verifiers expect. */
export const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

/** Algorithms verified as PKCS#1 v1.5 or ECDSA over the signer's digest algorithm (node picks by key type). */
export const SIGNATURE_OIDS: ReadonlySet<string> = new Set([
  RSA_ENCRYPTION,
  '1.2.840.10045.2.1',
  '1.2.840.113549.1.1.5',
  '1.2.840.113549.1.1.14',
  '1.2.840.113549.1.1.11',
  '1.2.840.113549.1.1.12',
  '1.2.840.113549.1.1.13',
  ...Object.values(ECDSA_OID),
]);

export function nodeHashName(digest: DigestAlgorithm): string {
  return digest.replace('-', '').toLowerCase();
}
