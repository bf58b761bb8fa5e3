import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as cms from '@peculiar/asn1-cms';
import { certificateFromDer, describe, parseCertificatePem } from './certificates';
import { parseAttachedSignedData } from './cms';
import { contentOf } from './cms-content-info';
import { DIGEST_BY_OID, type DigestAlgorithm } from './cms-algorithms';
import { EnvelopeError, openEnvelope, type ContentEncryption, type EnvelopeFault } from './cms-envelope';
import { identifies } from './cms-identity';
import type { CmsSigner } from './cms-sign';
import { parseCsr, type ParsedCsr } from './csr';
import { PkiError } from './errors';
import { readScepAttributes, SCEP_MESSAGE_TYPE_CODES, type ScepFailInfo, type ScepMessageType } from './scep-message';

export type ScepContentEncryption = ContentEncryption;

export interface ScepRequest {
  messageType: ScepMessageType;
  transactionId: string;
  senderNonce: Buffer;
  /** Verified to have made the signature, not trusted: self-signed for PKCSReq, the current device cert for RenewalReq. */
  signer: X509Certificate;
  csr: ParsedCsr;
  digestAlgorithm: DigestAlgorithm;
  /** What the client encrypted its envelope with: it can decrypt a reply in the same algorithm. */
  contentEncryption: ScepContentEncryption;
}

/** What a CertRep needs from the request. */
export type ScepReplyTo = Pick<ScepRequest, 'transactionId' | 'senderNonce' | 'signer' | 'digestAlgorithm'>;

interface RequestContext {
  transactionId?: string;
  senderNonce?: Buffer;
  signer?: X509Certificate;
  digestAlgorithm?: DigestAlgorithm;
  messageType?: ScepMessageType;
}

const MESSAGE_TYPES: Record<string, ScepMessageType> = {
  [SCEP_MESSAGE_TYPE_CODES.PKCSReq]: 'PKCSReq',
  [SCEP_MESSAGE_TYPE_CODES.RenewalReq]: 'RenewalReq',
  [SCEP_MESSAGE_TYPE_CODES.CertPoll]: 'CertPoll',
};

/** How each kind of unopenable envelope is answered. */
const ENVELOPE_FAIL_INFO: Record<EnvelopeFault, ScepFailInfo> = {
  unreadable: 'badRequest',
  'other-recipient': 'badMessageCheck',
  'unsupported-algorithm': 'badAlg',
  undecryptable: 'badMessageCheck',
};

/**
 * A request that could not be honoured but was read far enough to answer it with a FAILURE CertRep
 * (`replyTo`), which is what clients expect instead of an HTTP error.
 */
export class ScepRequestError extends PkiError {
  readonly transactionId?: string;
  readonly senderNonce?: Buffer;
  readonly signer?: X509Certificate;
  readonly digestAlgorithm?: DigestAlgorithm;
  readonly messageType?: ScepMessageType;

  constructor(
    message: string,
    code: string,
    readonly failInfo: ScepFailInfo,
    context: RequestContext,
  ) {
    super(message, code);
    this.name = 'ScepRequestError';
    Object.assign(this, context);
  }

  /** Input for `buildCertRep` when transactionID, senderNonce and the signer certificate were read. */
  get replyTo(): ScepReplyTo | undefined {
    if (!this.transactionId || !this.senderNonce || !this.signer) return undefined;
    const { transactionId, senderNonce, signer } = this;
    return { transactionId, senderNonce, signer, digestAlgorithm: this.digestAlgorithm ?? 'SHA-256' };
  }
}

type Fail = (message: string, code: string, failInfo: ScepFailInfo) => ScepRequestError;

/**
 * Reads a SCEP PKIOperation body: checks the outer signature with the certificate it carries, decrypts the
 * envelope with the CA key and checks the CSR's own signature. Trust in the signer (RenewalReq), the
 * challenge and the subject are the caller's policy.
 */
export async function parseScepRequest(pkiMessage: Buffer, ca: CmsSigner): Promise<ScepRequest> {
  const caCert = parseCertificatePem(ca.certPem);
  let caKey: KeyObject;
  try {
    caKey = createPrivateKey(ca.keyPem);
  } catch (err) {
    throw new PkiError(`SCEP CA key is not a usable unencrypted PEM key: ${describe(err)}`, 'malformed');
  }

  const context = readContext(readSignedData(pkiMessage));
  const fail: Fail = (message, code, failInfo) => new ScepRequestError(message, code, failInfo, context);

  let content: Buffer;
  try {
    const verified = await parseAttachedSignedData(pkiMessage);
    content = verified.content;
    context.signer = verified.signer;
  } catch (err) {
    if (err instanceof PkiError) throw fail(`SCEP message signature: ${err.message}`, err.code, 'badMessageCheck');
    throw err;
  }
  if (!context.digestAlgorithm) throw fail('SCEP message uses an unsupported digest algorithm', 'malformed', 'badAlg');
  if (!context.transactionId || !context.senderNonce) {
    throw fail('SCEP message lacks transactionID or senderNonce', 'malformed', 'badRequest');
  }
  if (!context.messageType) throw fail('SCEP messageType is missing or not a request this CA serves', 'malformed', 'badRequest');
  // Issuing is synchronous (never PENDING), so no client has a reason to poll.
  if (context.messageType === 'CertPoll') throw fail('CertPoll is not supported: this CA never answers PENDING', 'unsupported', 'badRequest');

  const { plaintext, contentEncryption } = openRequestEnvelope(content, { cert: caCert, key: caKey }, fail);
  const csr = readCsr(plaintext, fail);
  const { transactionId, senderNonce, signer, digestAlgorithm, messageType } = context;
  if (!signer) throw fail('SCEP signer certificate missing', 'malformed', 'badMessageCheck');
  return { messageType, transactionId, senderNonce, signer, csr, digestAlgorithm, contentEncryption };
}

function openRequestEnvelope(content: Buffer, ca: { cert: X509Certificate; key: KeyObject }, fail: Fail) {
  try {
    return openEnvelope(content, ca);
  } catch (err) {
    if (!(err instanceof EnvelopeError)) throw err;
    const message = err.fault === 'other-recipient' ? 'SCEP envelope is not encrypted to this CA certificate' : `SCEP ${err.message}`;
    throw fail(message, err.code, ENVELOPE_FAIL_INFO[err.fault]);
  }
}

function readCsr(der: Buffer, fail: Fail): ParsedCsr {
  try {
    return parseCsr(der);
  } catch (err) {
    if (err instanceof PkiError) {
      throw fail(`SCEP CSR: ${err.message}`, err.code, err.code === 'bad-signature' ? 'badMessageCheck' : 'badRequest');
    }
    throw err;
  }
}

function readSignedData(der: Buffer): cms.SignedData {
  let signedData: cms.SignedData;
  try {
    signedData = contentOf(der, cms.id_signedData, cms.SignedData);
  } catch (err) {
    throw new PkiError(`SCEP message is not a CMS SignedData: ${describe(err)}`, 'malformed');
  }
  if (signedData.signerInfos.length !== 1) throw new PkiError('SCEP message must have exactly one signer', 'malformed');
  return signedData;
}

/** Reads what a failure answer needs, leniently: whatever cannot be read stays undefined. */
function readContext(signedData: cms.SignedData): RequestContext {
  const signerInfo = signedData.signerInfos[0];
  const attrs = signerInfo.signedAttrs ?? [];
  const attributes = readScepAttributes((oid) => {
    const found = attrs.find((a) => a.attrType === oid)?.attrValues[0];
    return found ? Buffer.from(found) : undefined;
  });
  let signer: X509Certificate | undefined;
  try {
    signer = signerCertificate(signedData, signerInfo.sid);
  } catch {
    signer = undefined;
  }
  return {
    transactionId: attributes.transactionId,
    senderNonce: attributes.senderNonce,
    signer,
    digestAlgorithm: DIGEST_BY_OID[signerInfo.digestAlgorithm.algorithm],
    messageType: attributes.messageType ? MESSAGE_TYPES[attributes.messageType] : undefined,
  };
}

function signerCertificate(signedData: cms.SignedData, sid: cms.SignerIdentifier): X509Certificate | undefined {
  for (const choice of signedData.certificates ?? []) {
    if (!choice.certificate) continue;
    const raw = Buffer.from(AsnConvert.serialize(choice.certificate));
    if (identifies(sid, raw)) return certificateFromDer(raw);
  }
  return undefined;
}
