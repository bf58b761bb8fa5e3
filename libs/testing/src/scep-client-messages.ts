import { createHash, createPrivateKey, createPublicKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  buildSignedData,
  certificatesOfDegenerate,
  createCsr,
  EnvelopeError,
  envelopeTo,
  generateRsaKeyPair,
  openEnvelope,
  readScepAttributes,
  readSignedMessage,
  SCEP_ATTRIBUTE_OIDS,
  SCEP_FAIL_INFO_CODES,
  SCEP_MESSAGE_TYPE_CODES,
  SCEP_PKI_STATUS_CODES,
  scepNonce,
  scepText,
  type CertificateAndKey,
  type ContentEncryption,
} from '@mdm/pki';

/*
 * The device's side of a PKIOperation. The CMS envelope and signing code is @mdm/pki's, the one the server
 * uses; the openssl interoperability specs are what check both against an independent implementation.
 */

export type ScepClientEncryption = Exclude<ContentEncryption, 'AES-192-CBC'>;

export interface ScepPkiMessageOptions {
  /** Who the envelope is encrypted to: the CA (or its RA) certificate from GetCACert. */
  recipientCertPem: string;
  /** The key pair the CSR asks a certificate for. */
  keyPem: string;
  publicKeyPem: string;
  subject: string;
  challenge?: string;
  encryption: ScepClientEncryption;
  digest: 'SHA-1' | 'SHA-256';
  /** RenewalReq signed with this identity. */
  renew?: CertificateAndKey;
  /** Hostile tests: sign a PKCSReq with this identity instead of a self-signed certificate for `keyPem`. */
  signer?: CertificateAndKey;
  /** Sign a PKCSReq with a self-signed certificate on a fresh key of its own instead of `keyPem`. */
  throwawaySigner?: boolean;
  /** Hostile or interoperability tests: this CSR (DER) instead of one built from the options. */
  csr?: Buffer;
  /** Interoperability tests: this pkcsPKIEnvelope (e.g. built by openssl) instead of one built here. */
  envelope?: Buffer;
}

/** What the client keeps between sending a PKIMessage and reading the CertRep. */
export interface ScepPendingRequest {
  message: Buffer;
  messageType: 'PKCSReq' | 'RenewalReq';
  transactionId: string;
  senderNonce: Buffer;
  /** Signed the request; the CertRep envelope is encrypted to it. */
  signer: CertificateAndKey;
  keyPem: string;
  publicKeyPem: string;
}

/** A FAILURE CertRep (`failInfo` is badAlg, badRequest, ...; `pending` for PENDING) or an HTTP error (`http`). */
export class ScepFailure extends Error {
  constructor(
    readonly failInfo: string,
    readonly httpStatus: number,
  ) {
    super(failInfo === 'http' ? `SCEP server answered HTTP ${httpStatus}` : `SCEP enrollment failed: ${failInfo}`);
    this.name = 'ScepFailure';
  }
}

const FAIL_INFO_NAMES: Record<string, string> = Object.fromEntries(Object.entries(SCEP_FAIL_INFO_CODES).map(([name, code]) => [code, name]));

/** The request body of a PKIOperation, and what is needed to read the answer. No HTTP. */
export async function buildScepPkiMessage(opts: ScepPkiMessageOptions): Promise<ScepPendingRequest> {
  const messageType = opts.renew ? 'RenewalReq' : 'PKCSReq';
  const signerKeys = opts.throwawaySigner ? await generateRsaKeyPair(2048) : opts;
  const signer = opts.renew ?? opts.signer ?? (await selfSignedCertificate(opts.subject, signerKeys.keyPem, signerKeys.publicKeyPem));
  const csr =
    opts.csr ??
    (await createCsr({ subject: opts.subject, keyPem: opts.keyPem, publicKeyPem: opts.publicKeyPem, challengePassword: opts.challenge }));
  const envelope = opts.envelope ?? envelopeTo(csr, new X509Certificate(opts.recipientCertPem), opts.encryption);
  // RFC 8894: the transaction ID is a hash of the public key being certified.
  const spki = createPublicKey(opts.publicKeyPem).export({ format: 'der', type: 'spki' });
  const transactionId = createHash('sha256').update(spki).digest('hex').toUpperCase();
  const senderNonce = randomBytes(16);
  const message = buildSignedData({
    content: envelope,
    signer,
    digest: opts.digest,
    attached: true,
    attributes: [
      [SCEP_ATTRIBUTE_OIDS.messageType, scepText(SCEP_MESSAGE_TYPE_CODES[messageType])],
      [SCEP_ATTRIBUTE_OIDS.transactionId, scepText(transactionId)],
      [SCEP_ATTRIBUTE_OIDS.senderNonce, scepNonce(senderNonce)],
    ],
  });
  return { message, messageType, transactionId, senderNonce, signer, keyPem: opts.keyPem, publicKeyPem: opts.publicKeyPem };
}

/**
 * Checks a CertRep the way a device must before trusting it (signed by one of the GetCACert certificates,
 * our transactionID and nonce echoed), then returns the issued certificate or throws ScepFailure.
 */
export function readCertRep(certRep: Buffer, pending: ScepPendingRequest, caCertPems: string[]): string {
  const reply = readSignedMessage(certRep);
  if (!caCertPems.some((pem) => new X509Certificate(pem).raw.equals(reply.signer.raw))) {
    throw new Error('CertRep is not signed by the CA certificate from GetCACert');
  }
  const attributes = readScepAttributes(reply.signedAttribute);
  if (attributes.messageType !== SCEP_MESSAGE_TYPE_CODES.CertRep) throw new Error(`CertRep messageType is ${attributes.messageType}, expected 3`);
  if (attributes.transactionId !== pending.transactionId) throw new Error('CertRep transactionID is not ours');
  if (!attributes.recipientNonce?.equals(pending.senderNonce)) throw new Error('CertRep recipientNonce does not echo our senderNonce');
  const status = attributes.pkiStatus;
  if (status === SCEP_PKI_STATUS_CODES.FAILURE) {
    const code = attributes.failInfo ?? '';
    throw new ScepFailure(FAIL_INFO_NAMES[code] ?? `failInfo ${code}`, 200);
  }
  if (status === SCEP_PKI_STATUS_CODES.PENDING) throw new ScepFailure('pending', 200);
  if (status !== SCEP_PKI_STATUS_CODES.SUCCESS) throw new Error(`CertRep pkiStatus is ${status}`);

  const certs = certificatesOfDegenerate(openReplyEnvelope(reply.content, pending.signer));
  const ours = createPublicKey(pending.publicKeyPem).export({ format: 'der', type: 'spki' });
  const issued = certs.find((c) => c.publicKey.export({ format: 'der', type: 'spki' }).equals(ours));
  if (!issued) throw new Error('CertRep holds no certificate for our key');
  return issued.toString();
}

function openReplyEnvelope(content: Buffer, recipient: CertificateAndKey): Buffer {
  try {
    return openEnvelope(content, { cert: new X509Certificate(recipient.certPem), key: createPrivateKey(recipient.keyPem) }).plaintext;
  } catch (err) {
    if (err instanceof EnvelopeError) throw new Error(`CertRep ${err.message}`);
    throw err;
  }
}

async function selfSignedCertificate(subject: string, keyPem: string, publicKeyPem: string): Promise<CertificateAndKey> {
  x509.cryptoProvider.set(webcrypto);
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const pkcs8 = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, true, ['sign']);
  const spki = createPublicKey(publicKeyPem).export({ format: 'der', type: 'spki' });
  const publicKey = await webcrypto.subtle.importKey('spki', spki, alg, true, ['verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    name: subject,
    notBefore: new Date(now - 5 * 60 * 1000),
    notAfter: new Date(now + 24 * 60 * 60 * 1000),
    keys: { privateKey, publicKey },
    signingAlgorithm: alg,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem };
}
