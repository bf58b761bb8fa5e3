import { constants, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import * as cms from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  buildCertRep,
  buildSignedData,
  createCsr,
  csrMatchesSigner,
  envelopeTo,
  generateRsaKeyPair,
  parseScepRequest,
  PkiError,
  ScepRequestError,
  TrustStore,
  type CertificateAndKey,
  type KeyPairPem,
  type ScepFailInfo,
  type ScepRequest,
} from '@mdm/pki';
import { createDeviceIdentity } from './device-simulator';
import { buildScepPkiMessage, readCertRep, ScepFailure, type ScepClientEncryption, type ScepPendingRequest } from './scep-client-messages';
import { issueFor, spki } from './scep-spec-support';
import { createTestDeviceCa } from './test-pki';

async function scepError(promise: Promise<unknown>): Promise<ScepRequestError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ScepRequestError) return err;
    throw new Error(`expected a ScepRequestError, got ${String(err)}`);
  }
  throw new Error('expected a ScepRequestError, but the call succeeded');
}

function failureOf(fn: () => unknown): ScepFailure {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScepFailure) return err;
    throw new Error(`expected a ScepFailure, got ${String(err)}`);
  }
  throw new Error('expected a ScepFailure, but the call succeeded');
}


describe('SCEP client ↔ server, in process', () => {
  let ca: CertificateAndKey;
  let otherCa: CertificateAndKey;
  let keys: KeyPairPem;

  beforeAll(async () => {
    [ca, otherCa, keys] = await Promise.all([createTestDeviceCa(), createTestDeviceCa({ commonName: 'Other CA' }), generateRsaKeyPair(2048)]);
  });

  const build = (encryption: ScepClientEncryption, digest: 'SHA-1' | 'SHA-256', extra: Partial<Parameters<typeof buildScepPkiMessage>[0]> = {}) =>
    buildScepPkiMessage({ recipientCertPem: ca.certPem, ...keys, subject: 'CN=iPhone, O=Acme', challenge: 'c-123', encryption, digest, ...extra });

  it.each([
    ['AES-256-CBC', 'SHA-256'],
    ['AES-128-CBC', 'SHA-1'],
    ['DES-EDE3-CBC', 'SHA-256'],
    ['DES-EDE3-CBC', 'SHA-1'],
  ] as const)('enrolls with a PKCSReq in %s signed with %s', async (encryption, digest) => {
    const pending = await build(encryption, digest);
    const req = await parseScepRequest(pending.message, ca);
    expect(req).toMatchObject({ messageType: 'PKCSReq', transactionId: pending.transactionId, digestAlgorithm: digest, contentEncryption: encryption });
    expect(req.senderNonce.equals(pending.senderNonce)).toBe(true);
    expect(req.csr.challengePassword).toBe('c-123');
    expect(req.csr.subject).toBe('CN=iPhone, O=Acme');
    expect(req.signer.raw.equals(new X509Certificate(pending.signer.certPem).raw)).toBe(true);
    expect(req.signer.subject).toBe(req.signer.issuer); // self-signed, as iOS does
    expect(csrMatchesSigner(req)).toBe(true);

    const certificatePem = await issueFor(ca, req);
    // Half the cases answer in the client's own algorithm, half in the AES-256 default.
    const certRep = await buildCertRep({
      request: req,
      ca,
      result: { status: 'SUCCESS', certificatePem, chainPems: [ca.certPem] },
      encryption: digest === 'SHA-1' ? req.contentEncryption : undefined,
    });
    const issued = new X509Certificate(readCertRep(certRep, pending, [ca.certPem]));
    expect(issued.raw.equals(new X509Certificate(certificatePem).raw)).toBe(true);
    expect(issued.publicKey.export({ format: 'der', type: 'spki' })).toEqual(spki(keys.publicKeyPem));
    expect(issued.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
  });

  it('renews with a RenewalReq signed by the current identity and encrypts the answer to it', async () => {
    const current = await createDeviceIdentity(ca);
    const pending = await build('AES-256-CBC', 'SHA-256', { renew: current });
    const req = await parseScepRequest(pending.message, ca);
    expect(req.messageType).toBe('RenewalReq');
    expect(req.signer.raw.equals(new X509Certificate(current.certPem).raw)).toBe(true);
    // The server decides trust in the signer; here it chains to the CA.
    expect(() => TrustStore.fromPem(ca.certPem).verify(req.signer)).not.toThrow();
    expect(csrMatchesSigner(req)).toBe(false); // a renewal brings a new key
    const certRep = await buildCertRep({ request: req, ca, result: { status: 'SUCCESS', certificatePem: await issueFor(ca, req) } });
    const issued = new X509Certificate(readCertRep(certRep, pending, [ca.certPem]));
    expect(issued.publicKey.export({ format: 'der', type: 'spki' })).toEqual(spki(keys.publicKeyPem));
    // Someone else's key cannot open the envelope.
    const stranger = await createDeviceIdentity(ca);
    expect(() => readCertRep(certRep, { ...pending, signer: stranger }, [ca.certPem])).toThrow(/not encrypted to our certificate/);
  });

  it('reports a PKCSReq whose CSR key is not the signer key (no proof of possession)', async () => {
    const foreign = await createDeviceIdentity(ca);
    const pending = await build('AES-128-CBC', 'SHA-256', { signer: foreign });
    const req = await parseScepRequest(pending.message, ca);
    expect(req.messageType).toBe('PKCSReq');
    expect(csrMatchesSigner(req)).toBe(false);
  });

  it('rejects a PKIMessage changed after signing (envelope byte) as bad-signature, with enough to answer', async () => {
    const csr = await createCsr({ subject: 'CN=x', ...keys, challengePassword: 'c' });
    const envelope = envelopeTo(csr, new X509Certificate(ca.certPem), 'AES-128-CBC');
    const pending = await build('AES-128-CBC', 'SHA-256', { envelope });
    const tampered = Buffer.from(pending.message);
    const at = tampered.indexOf(envelope) + envelope.length - 5;
    tampered[at] ^= 0x01;
    const err = await scepError(parseScepRequest(tampered, ca));
    expect(err).toBeInstanceOf(PkiError);
    expect(err.code).toBe('bad-signature');
    expect(err.failInfo).toBe('badMessageCheck');
    expect(err.transactionId).toBe(pending.transactionId);
    const replyTo = err.replyTo;
    if (!replyTo) throw new Error('expected replyTo');
    const certRep = await buildCertRep({ request: replyTo, ca, result: { status: 'FAILURE', failInfo: err.failInfo } });
    expect(failureOf(() => readCertRep(certRep, pending, [ca.certPem]))).toMatchObject({ failInfo: 'badMessageCheck', httpStatus: 200 });
  });

  it('rejects a changed signed attribute (transactionID) as bad-signature', async () => {
    const pending = await build('AES-256-CBC', 'SHA-256');
    const tampered = Buffer.from(pending.message);
    const at = tampered.indexOf(Buffer.from(pending.transactionId, 'ascii'));
    tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41;
    expect(await scepError(parseScepRequest(tampered, ca))).toMatchObject({ code: 'bad-signature', failInfo: 'badMessageCheck' });
  });

  it('rejects an envelope encrypted to another CA (malformed, badMessageCheck)', async () => {
    const pending = await build('AES-256-CBC', 'SHA-256', { recipientCertPem: otherCa.certPem });
    const err = await scepError(parseScepRequest(pending.message, ca));
    expect(err).toMatchObject({ code: 'malformed', failInfo: 'badMessageCheck', transactionId: pending.transactionId });
    expect(err.message).toMatch(/not encrypted to this CA/);
  });

  it('gives one answer for a key transport with bad padding, a wrong key length or a wrong key (no padding oracle)', async () => {
    const csr = await createCsr({ subject: 'CN=x', ...keys, challengePassword: 'c' });
    const caPublicKey = new X509Certificate(ca.certPem).publicKey;
    const withKey = (encryptedKey: Buffer) => {
      const info = AsnConvert.parse(envelopeTo(csr, new X509Certificate(ca.certPem), 'AES-256-CBC'), cms.ContentInfo);
      const enveloped = AsnConvert.parse(info.content, cms.EnvelopedData);
      const ktri = enveloped.recipientInfos[0].ktri;
      if (!ktri) throw new Error('expected a KeyTransRecipientInfo');
      ktri.encryptedKey = new OctetString(encryptedKey);
      info.content = AsnConvert.serialize(enveloped);
      return Buffer.from(AsnConvert.serialize(info));
    };
    const pkcs1 = (plain: Buffer) => publicEncrypt({ key: caPublicKey, padding: constants.RSA_PKCS1_PADDING }, plain);
    const raw = (em: Buffer) => publicEncrypt({ key: caPublicKey, padding: constants.RSA_NO_PADDING }, em);
    const badPadding = Buffer.concat([Buffer.from([0x00, 0x01]), Buffer.alloc(256 - 35, 0xff), Buffer.from([0x00]), randomBytes(32)]);
    const cases = [pkcs1(randomBytes(16)), pkcs1(randomBytes(32)), raw(badPadding), randomBytes(255)];
    const answers = await Promise.all(
      cases.map(async (encryptedKey) => {
        // A wrong key decrypts to valid CBC padding 1 time in 256 and then fails as an unreadable CSR: the same
        // odds whatever the RSA padding was, so retry that outcome rather than let the test flake.
        for (let attempt = 0; ; attempt++) {
          const pending = await build('AES-256-CBC', 'SHA-256', { envelope: withKey(encryptedKey) });
          const err = await scepError(parseScepRequest(pending.message, ca));
          if (!err.message.startsWith('SCEP CSR:') || attempt === 3) return `${err.code}/${err.failInfo}/${err.message}`;
        }
      }),
    );
    expect(new Set(answers)).toEqual(new Set(['malformed/badMessageCheck/SCEP envelope could not be decrypted']));
  });

  it('answers a CSR whose own signature is broken with badMessageCheck', async () => {
    const csr = await createCsr({ subject: 'CN=x', ...keys, challengePassword: 'aaaa' });
    csr.write('bbbb', csr.indexOf(Buffer.from('aaaa')), 'ascii');
    const err = await scepError(parseScepRequest((await build('AES-256-CBC', 'SHA-256', { csr })).message, ca));
    expect(err).toMatchObject({ code: 'bad-signature', failInfo: 'badMessageCheck' });
  });

  it('answers garbage inside a valid signature with badRequest', async () => {
    const pending = await build('AES-256-CBC', 'SHA-256', { envelope: Buffer.from('not an envelope') });
    expect(await scepError(parseScepRequest(pending.message, ca))).toMatchObject({ code: 'malformed', failInfo: 'badRequest' });
  });

  it('refuses CertPoll (this CA never answers PENDING)', async () => {
    const pending = await build('AES-256-CBC', 'SHA-256');
    const signer = pending.signer;
    const message = buildSignedData({
      content: envelopeTo(Buffer.from([0x30, 0x00]), new X509Certificate(ca.certPem), 'AES-256-CBC'),
      signer,
      digest: 'SHA-256',
      attached: true,
      attributes: [
        ['2.16.840.1.113733.1.9.2', Buffer.from([0x13, 0x02, 0x32, 0x30])],
        ['2.16.840.1.113733.1.9.7', Buffer.from([0x13, 0x01, 0x54])],
        ['2.16.840.1.113733.1.9.5', Buffer.from([0x04, 0x01, 0x07])],
      ],
    });
    expect(await scepError(parseScepRequest(message, ca))).toMatchObject({ failInfo: 'badRequest', messageType: 'CertPoll', transactionId: 'T' });
  });

  it('rejects what is not CMS at all as a plain malformed PkiError', async () => {
    const err = await parseScepRequest(Buffer.from('hello'), ca).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PkiError);
    expect(err).not.toBeInstanceOf(ScepRequestError);
    expect((err as PkiError).code).toBe('malformed');
  });

  it.each(['badAlg', 'badMessageCheck', 'badRequest', 'badTime', 'badCertId'] as ScepFailInfo[])(
    'turns a FAILURE CertRep with %s into ScepFailure',
    async (failInfo) => {
      const pending = await build('AES-256-CBC', 'SHA-1');
      const req = await parseScepRequest(pending.message, ca);
      const certRep = await buildCertRep({ request: req, ca, result: { status: 'FAILURE', failInfo } });
      expect(failureOf(() => readCertRep(certRep, pending, [ca.certPem]))).toMatchObject({ failInfo, httpStatus: 200 });
    },
  );

  describe('the client checks the CertRep before trusting it', () => {
    let pending: ScepPendingRequest;
    let req: ScepRequest;
    beforeAll(async () => {
      pending = await build('AES-256-CBC', 'SHA-256');
      req = await parseScepRequest(pending.message, ca);
    });

    it('refuses a CertRep signed by another CA', async () => {
      const certRep = await buildCertRep({ request: req, ca: otherCa, result: { status: 'FAILURE', failInfo: 'badRequest' } });
      expect(() => readCertRep(certRep, pending, [ca.certPem])).toThrow(/not signed by the CA/);
    });

    it('refuses a CertRep for another transaction or nonce', async () => {
      const wrongTx = await buildCertRep({ request: { ...req, transactionId: 'other' }, ca, result: { status: 'FAILURE', failInfo: 'badRequest' } });
      expect(() => readCertRep(wrongTx, pending, [ca.certPem])).toThrow(/transactionID/);
      const wrongNonce = await buildCertRep({ request: { ...req, senderNonce: Buffer.alloc(16, 1) }, ca, result: { status: 'FAILURE', failInfo: 'badRequest' } });
      expect(() => readCertRep(wrongNonce, pending, [ca.certPem])).toThrow(/recipientNonce/);
    });

    it('refuses a CertRep changed after signing', async () => {
      const certRep = await buildCertRep({ request: req, ca, result: { status: 'SUCCESS', certificatePem: await issueFor(ca, req) } });
      const tampered = Buffer.from(certRep);
      tampered[Math.floor(tampered.length / 2)] ^= 0x01;
      expect(() => readCertRep(tampered, pending, [ca.certPem])).toThrow();
    });
  });
});

