import { BadRequestException, ConflictException, Injectable, Logger } from '@nestjs/common';
import { createHash, createPublicKey, generateKeyPair, KeyObject, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { type ApnsCertificateView, Broadcast, type MdmEvent, type PostApnsCsrRequest, pushBatchJobs, type PutApnsCertificateRequest, type StrandedTopic } from '@mdm/contracts';
import { BroadcastBus, JobProducer } from '@mdm/messaging';
import {
  type ApnsCertificateRecord,
  ApnsCertificateStore,
  countEnrolledOnTopic,
  devicesWithOpenCommandsOnTopic,
  insertPushRequests,
  type PushCertificateContent,
  recordEvents,
  type Sql,
  strandedTopics,
} from '@mdm/persistence';
import { applePushIssuer, createCsr, parsePkcs12, parsePushCertificate, PkiError, SecretBox, type PushCertificate } from '@mdm/pki';
import { certificateStatus } from './expiry';

export interface UploadResult extends ApnsCertificateView {
  /** What the upload did to the stored certificates. */
  action: 'uploaded' | 'renewed' | 'unchanged' | 'replaced';
  previousTopic?: string;
}

/**
 * - `put`: renew. The certificate's topic must be one already stored (or none is stored yet); a different
 *   topic while exactly one is stored replaces it only with `force`, because every device enrolled under
 *   the old topic can then no longer be woken.
 * - `post`: add another topic (one per tenant); a topic already stored is refused (renew it with PUT).
 */
export type UploadMode = 'put' | 'post';

interface UploadOutcome {
  action: UploadResult['action'];
  events: MdmEvent[];
  previousTopic?: string;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** Push requests per `push.batch` job when a restored topic's devices are woken. */
const RESTORED_PUSH_BATCH = 500;

/** The customer's push certificates, one per topic; keys are sealed before they touch the database. */
@Injectable()
export class ApnsCertificateService {
  private readonly logger = new Logger(ApnsCertificateService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly broadcast: BroadcastBus,
    private readonly producer: JobProducer,
  ) {}

  async upload(req: PutApnsCertificateRequest, mode: UploadMode, force = false): Promise<UploadResult> {
    const { pair, pendingKeyId } = await this.resolvePair(req);
    const parsed = badRequestOnPkiError(() => parsePushCertificate(pair));

    const result = await this.dataSource.transaction(async (tx) => {
      // Lock every row: the topic rules look at all stored topics, so two uploads must not interleave.
      const stored = await ApnsCertificateStore.lockAll(tx);
      const outcome = await this.applyTopicRules(tx, stored, parsed, mode, force);
      if (pendingKeyId) await ApnsCertificateStore.deletePendingKey(tx, pendingKeyId);
      await recordEvents(tx, outcome.events);
      // Devices of a topic that had no certificate (replaced earlier) kept their commands: wake them now.
      const wake = outcome.action === 'uploaded' || outcome.action === 'replaced' ? await devicesWithOpenCommandsOnTopic(tx, parsed.topic) : [];
      return { ...outcome, pushIds: await insertPushRequests(tx, wake, 'certificate', 0) };
    });

    await this.announce(parsed.topic, result.action, result.pushIds);
    return { ...view(parsed), action: result.action, ...(result.previousTopic ? { previousTopic: result.previousTopic } : {}) };
  }

  async list(now = new Date()): Promise<ApnsCertificateView[]> {
    return (await ApnsCertificateStore.list(this.dataSource)).map((c) => view(c, now));
  }

  /** Enrolled devices per topic that has no stored certificate (see `strandedTopics`). */
  async stranded(): Promise<StrandedTopic[]> {
    return strandedTopics(this.dataSource);
  }

  async hasTopic(topic: string): Promise<boolean> {
    return ApnsCertificateStore.hasTopic(this.dataSource, topic);
  }

  /**
   * A new key for a push certificate and its CSR. The key stays on the server, sealed; uploading the signed
   * certificate without `privateKey` pairs it with this key by public key.
   */
  async createCsr(req: PostApnsCsrRequest): Promise<{ csr: string; publicKeySha256: string; createdAt: string }> {
    const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const subject = [`CN=${dnValue(req.commonName ?? 'MDM Push Certificate')}`, ...(req.email ? [`E=${dnValue(req.email)}`] : [])].join(', ');
    const der = await createCsr({ subject, keyPem: privateKey, publicKeyPem: publicKey });
    const csr = toPem('CERTIFICATE REQUEST', der);
    const publicKeySha256 = spkiSha256(publicKey);
    const createdAt = await ApnsCertificateStore.insertPendingKey(this.dataSource, { publicKeySha256, keySealed: this.secrets.seal(privateKey), csrPem: csr });
    return { csr, publicKeySha256, createdAt: createdAt.toISOString() };
  }

  /** Stores `parsed` as `mode` and the stored topics allow (see `UploadMode`), or refuses with a conflict. */
  private async applyTopicRules(
    tx: Sql,
    stored: ApnsCertificateRecord[],
    parsed: PushCertificate,
    mode: UploadMode,
    force: boolean,
  ): Promise<UploadOutcome> {
    const same = stored.find((c) => c.topic === parsed.topic);
    if (mode === 'post') {
      if (same) {
        throw new ConflictException(
          `a push certificate for topic ${parsed.topic} is already stored; renew it with PUT /v1/apns/certificate`,
        );
      }
      return this.insert(tx, parsed);
    }
    if (same) return this.renew(tx, same, parsed);
    if (stored.length === 0) return this.insert(tx, parsed);
    if (stored.length === 1) return this.replace(tx, stored[0]!, parsed, force);
    throw new ConflictException(
      `certificate topic ${parsed.topic} matches none of the ${stored.length} stored topics; PUT renews a stored topic's ` +
        'certificate: add a new topic with POST /v1/apns/certificates',
    );
  }

  /** Swaps the only stored topic for another one; without `force` it refuses, saying how many devices it would strand. */
  private async replace(tx: Sql, current: ApnsCertificateRecord, parsed: PushCertificate, force: boolean): Promise<UploadOutcome> {
    const enrolled = await countEnrolledOnTopic(tx, current.topic);
    if (!force) {
      throw new ConflictException(
        `certificate topic ${parsed.topic} differs from the current topic ${current.topic}: replacing it would orphan ` +
          `every enrolled device (${enrolled} enrolled under ${current.topic} could no longer be pushed and would have to re-enroll). ` +
          'Renew the certificate with the same Apple ID to keep the topic, add a topic with POST /v1/apns/certificates, ' +
          'or send "force": true (or ?force=true) to replace it anyway',
      );
    }
    const restored = await countEnrolledOnTopic(tx, parsed.topic);
    this.logger.warn(
      `push certificate topic ${current.topic} replaced by ${parsed.topic} (forced): ${enrolled} enrolled devices stranded, ${restored} reachable again`,
    );
    await ApnsCertificateStore.delete(tx, current.id);
    await this.insert(tx, parsed);
    return {
      action: 'replaced',
      previousTopic: current.topic,
      events: [
        {
          type: 'apns.certificate.replaced',
          data: {
            ...certEvent(parsed),
            previousTopic: current.topic,
            previousFingerprint: current.fingerprint,
            previousNotAfter: current.notAfter.toISOString(),
            strandedDevices: enrolled,
            restoredDevices: restored,
          },
        },
      ],
    };
  }

  /** After the commit: tells the push workers about the change and wakes the devices that waited for it. */
  private async announce(topic: string, action: UploadResult['action'], pushIds: string[]): Promise<void> {
    if (action !== 'unchanged') {
      // Push workers reload on this notice (and on their own timer, in case they missed it).
      await this.broadcast.publish(Broadcast.ApnsCertificateChanged, topic);
    }
    if (pushIds.length) {
      this.logger.log(`push certificate for ${topic} stored: pushing ${pushIds.length} of its devices with commands waiting`);
      // A lost job is found by the push workers' sweep: the push is late, never lost.
      await this.producer.enqueueBulk(pushBatchJobs(pushIds, RESTORED_PUSH_BATCH));
    }
  }

  private async resolvePair(req: PutApnsCertificateRequest): Promise<{ pair: { certificatePem: string; privateKeyPem: string }; pendingKeyId?: string }> {
    if (req.pkcs12 !== undefined) {
      const contents = badRequestOnPkiError(() => parsePkcs12(Buffer.from(req.pkcs12!, 'base64'), req.password ?? ''));
      return { pair: { certificatePem: contents.certificatePem, privateKeyPem: contents.privateKeyPem } };
    }
    const certificatePem = req.certificate!;
    if (req.privateKey !== undefined) return { pair: { certificatePem, privateKeyPem: req.privateKey } };

    let spki: string;
    try {
      spki = spkiSha256(new X509Certificate(certificatePem).publicKey);
    } catch (err) {
      throw new BadRequestException(`push certificate is not a PEM certificate: ${(err as Error).message}`);
    }
    const pending = await ApnsCertificateStore.pendingKeyBySpki(this.dataSource, spki);
    if (!pending) {
      throw new BadRequestException(
        'privateKey is missing and no key made by POST /v1/apns/csr matches this certificate: send privateKey, or a pkcs12 file with its key',
      );
    }
    return { pair: { certificatePem, privateKeyPem: this.secrets.openString(pending.keySealed) }, pendingKeyId: pending.id };
  }

  /** What a stored certificate row holds, the key sealed. */
  private content(parsed: PushCertificate): PushCertificateContent {
    return {
      certPem: parsed.certPem,
      keySealed: this.secrets.seal(parsed.keyPem),
      fingerprint: parsed.fingerprint,
      notBefore: parsed.notBefore,
      notAfter: parsed.notAfter,
    };
  }

  private async insert(tx: Sql, parsed: PushCertificate): Promise<{ action: 'uploaded'; events: MdmEvent[] }> {
    await ApnsCertificateStore.insert(tx, parsed.topic, this.content(parsed));
    return { action: 'uploaded', events: [{ type: 'apns.certificate.uploaded', data: certEvent(parsed) }] };
  }

  private async renew(
    tx: Sql,
    current: ApnsCertificateRecord,
    parsed: PushCertificate,
  ): Promise<{ action: 'renewed' | 'unchanged'; events: MdmEvent[] }> {
    // The same certificate again (a retried request) changes nothing and says nothing.
    if (current.fingerprint === parsed.fingerprint) return { action: 'unchanged', events: [] };
    await ApnsCertificateStore.renew(tx, current.id, this.content(parsed));
    return {
      action: 'renewed',
      events: [
        {
          type: 'apns.certificate.renewed',
          data: { ...certEvent(parsed), previousFingerprint: current.fingerprint, previousNotAfter: current.notAfter.toISOString() },
        },
      ],
    };
  }
}

function badRequestOnPkiError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PkiError) throw new BadRequestException(err.message);
    throw err;
  }
}

function certEvent(c: { topic: string; fingerprint: string; notAfter: Date }): { topic: string; fingerprint: string; notAfter: string } {
  return { topic: c.topic, fingerprint: c.fingerprint, notAfter: c.notAfter.toISOString() };
}

export function view(c: { topic: string; notBefore: Date; notAfter: Date; fingerprint: string; certPem: string }, now = new Date()): ApnsCertificateView {
  const expiry = certificateStatus(c, now);
  const issuer = applePushIssuer(new X509Certificate(c.certPem), c.topic);
  return {
    topic: c.topic,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    fingerprint: c.fingerprint,
    ...expiry,
    issuedByApple: issuer.issuedByApple,
    warnings: issuer.warning ? [...expiry.warnings, issuer.warning] : expiry.warnings,
  };
}

function spkiSha256(key: KeyObject | string): string {
  const publicKey = key instanceof KeyObject && key.type === 'public' ? key : createPublicKey(key);
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Keeps operator text from adding RDNs to the subject. */
function dnValue(value: string): string {
  return value.replace(/[,=+<>#;"\\]/g, ' ').trim();
}
