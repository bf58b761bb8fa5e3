import { randomBytes } from 'node:crypto';
import { envelopeTo, type ContentEncryption } from './cms-envelope';
import { buildSignedData, type CmsSigner, type SignedAttribute } from './cms-sign';
import { PkiError } from './errors';
import {
  degenerateCertificates,
  SCEP_ATTRIBUTE_OIDS,
  SCEP_FAIL_INFO_CODES,
  SCEP_MESSAGE_TYPE_CODES,
  SCEP_PKI_STATUS_CODES,
  scepNonce,
  scepText,
  type ScepFailInfo,
} from './scep-message';
import type { ScepReplyTo } from './scep-request';

export type ScepResult =
  | { status: 'SUCCESS'; certificatePem: string; chainPems?: string[] }
  | { status: 'FAILURE'; failInfo: ScepFailInfo };

/**
 * The CertRep: SignedData by the CA with the SCEP attributes; on success it carries an envelope, encrypted to
 * the request's signer certificate, of a certs-only SignedData with the issued certificate (and chain).
 */
export async function buildCertRep(input: {
  request: ScepReplyTo;
  ca: CmsSigner;
  result: ScepResult;
  /** AES-256-CBC unless the client is known to need less (e.g. `request.contentEncryption`). */
  encryption?: ContentEncryption;
}): Promise<Buffer> {
  const { request, ca, result } = input;
  if (request.senderNonce.length === 0) throw new PkiError('request senderNonce is empty', 'malformed');
  let content: Buffer | undefined;
  const attributes: SignedAttribute[] = [
    [SCEP_ATTRIBUTE_OIDS.messageType, scepText(SCEP_MESSAGE_TYPE_CODES.CertRep)],
    [SCEP_ATTRIBUTE_OIDS.transactionId, scepText(request.transactionId)],
    [SCEP_ATTRIBUTE_OIDS.recipientNonce, scepNonce(request.senderNonce)],
    [SCEP_ATTRIBUTE_OIDS.senderNonce, scepNonce(randomBytes(16))],
  ];
  switch (result.status) {
    case 'SUCCESS': {
      if (request.signer.publicKey.asymmetricKeyType !== 'rsa') {
        throw new PkiError('the request signer has no RSA key to encrypt the certificate to', 'malformed');
      }
      const degenerate = degenerateCertificates([result.certificatePem, ...(result.chainPems ?? [])]);
      content = envelopeTo(degenerate, request.signer, input.encryption ?? 'AES-256-CBC');
      attributes.push([SCEP_ATTRIBUTE_OIDS.pkiStatus, scepText(SCEP_PKI_STATUS_CODES.SUCCESS)]);
      break;
    }
    case 'FAILURE':
      attributes.push([SCEP_ATTRIBUTE_OIDS.pkiStatus, scepText(SCEP_PKI_STATUS_CODES.FAILURE)]);
      attributes.push([SCEP_ATTRIBUTE_OIDS.failInfo, scepText(SCEP_FAIL_INFO_CODES[result.failInfo])]);
      break;
  }
  return buildSignedData({ content, signer: ca, digest: request.digestAlgorithm, attached: true, attributes });
}
