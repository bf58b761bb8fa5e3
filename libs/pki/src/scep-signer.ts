import { createPublicKey, type KeyObject } from 'node:crypto';
import { isSelfSigned } from './certificates';
import type { ScepRequest } from './scep-request';

/** Whether the signer certificate carries the CSR's public key, as iOS signs its PKCSReq. */
export function csrMatchesSigner(request: Pick<ScepRequest, 'csr' | 'signer'>): boolean {
  const spki = (key: KeyObject) => key.export({ format: 'der', type: 'spki' });
  return spki(createPublicKey(request.csr.publicKeyPem)).equals(spki(request.signer.publicKey));
}

/**
 * Why a PKCSReq's signer may not sign for its CSR, or undefined when it may. RFC 8894 lets the requester
 * sign with a self-signed certificate, on the CSR's key (iOS) or on a throwaway key (some clients and
 * simulators): the CSR's own signature, checked by `parseScepRequest`, already proves possession of the
 * key to certify, and the CertRep goes encrypted to the signer. An issued certificate on another key is
 * an existing identity asking for a new one, which is what RenewalReq (with its trust checks) is for.
 */
export function pkcsReqSignerRefusal(request: Pick<ScepRequest, 'csr' | 'signer'>): string | undefined {
  if (csrMatchesSigner(request) || isSelfSigned(request.signer)) return undefined;
  return `signer certificate (${request.signer.subject.replace(/\n/g, ', ')}) neither holds the CSR key nor is self-signed; renew an issued identity with RenewalReq`;
}
