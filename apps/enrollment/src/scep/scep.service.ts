import { BadRequestException, Inject, Injectable, Logger } from '@nestjs/common';
import { X509Certificate } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DeviceCertificateStore, DeviceStore, recordEvents } from '@mdm/persistence';
import {
  buildCertRep,
  fingerprintSha256,
  issueCertificate,
  parseScepRequest,
  PkiError,
  pkcsReqSignerRefusal,
  SCEP_CA_CAPABILITIES,
  type ScepFailInfo,
  type ScepRequest,
  ScepRequestError,
  TrustStore,
} from '@mdm/pki';
import { DeviceCaService } from '../device-ca/device-ca.service';
import { ENROLLMENT_CONFIG, type EnrollmentConfig } from '../enrollment.config';
import { ChallengeService } from './challenge.service';

export interface ScepAnswer {
  contentType: string;
  body: Buffer | string;
}

/**
 * SCEP (RFC 8894) for device identities: PKCSReq with a one-time (or the static) challenge, and
 * RenewalReq signed by a certificate this CA issued. A refused request gets a CertRep FAILURE with
 * failInfo, never a certificate; an unreadable one gets 400.
 */
@Injectable()
export class ScepService {
  private readonly logger = new Logger(ScepService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly ca: DeviceCaService,
    private readonly challenges: ChallengeService,
    @Inject(ENROLLMENT_CONFIG) private readonly config: EnrollmentConfig,
  ) {}

  capabilities(): ScepAnswer {
    return { contentType: 'text/plain', body: SCEP_CA_CAPABILITIES.join('\n') };
  }

  async caCertificate(): Promise<ScepAnswer> {
    const { certPem } = await this.ca.ca();
    return { contentType: 'application/x-x509-ca-cert', body: new X509Certificate(certPem).raw };
  }

  async pkiOperation(message: Buffer): Promise<ScepAnswer> {
    if (!message.length) throw new BadRequestException('PKIOperation needs a PKCS#7 message in the body (POST) or the message parameter (GET)');
    const ca = await this.ca.ca();
    let request: ScepRequest;
    try {
      request = await parseScepRequest(message, ca);
    } catch (err) {
      // Far enough parsed to know whom to answer: a signed FAILURE in the request's own digest.
      if (err instanceof ScepRequestError && err.replyTo) {
        this.logger.warn(`SCEP ${err.messageType ?? 'request'} refused (${err.failInfo}): ${err.message}`);
        return this.reply(await buildCertRep({ request: err.replyTo, ca, result: { status: 'FAILURE', failInfo: err.failInfo } }));
      }
      if (err instanceof PkiError) throw new BadRequestException(`malformed SCEP message: ${err.message}`);
      throw err;
    }

    const refusal = await this.check(request, ca);
    if (refusal) {
      this.logger.warn(`SCEP ${request.messageType} ${request.transactionId} refused (${refusal.failInfo}): ${refusal.why}`);
      return this.reply(await buildCertRep({ request, ca, result: { status: 'FAILURE', failInfo: refusal.failInfo } }));
    }
    const certificatePem = await this.issue(request, ca);
    return this.reply(await buildCertRep({ request, ca, result: { status: 'SUCCESS', certificatePem } }));
  }

  private reply(body: Buffer): ScepAnswer {
    return { contentType: 'application/x-pki-message', body };
  }

  private async check(request: ScepRequest, ca: { certPem: string }): Promise<{ failInfo: ScepFailInfo; why: string } | undefined> {
    switch (request.messageType) {
      case 'PKCSReq': {
        const signerRefusal = pkcsReqSignerRefusal(request);
        if (signerRefusal) return { failInfo: 'badRequest', why: signerRefusal };
        const verdict = await this.challenges.consume(request.csr.challengePassword);
        if (verdict !== 'ok') return { failInfo: 'badRequest', why: `challenge ${verdict}` };
        return undefined;
      }
      case 'RenewalReq': {
        const fingerprint = fingerprintSha256(request.signer);
        const known = await DeviceCertificateStore.byFingerprint(this.dataSource, fingerprint);
        if (!known) return { failInfo: 'badCertId', why: 'renewal signed by a certificate this CA did not issue' };
        if (known.revokedAt) return { failInfo: 'badCertId', why: `renewal signed by a revoked certificate (${known.revocationReason ?? 'revoked'})` };
        try {
          new TrustStore([new X509Certificate(ca.certPem)]).verify(request.signer);
        } catch (err) {
          return { failInfo: 'badCertId', why: `renewal signer not valid: ${(err as Error).message}` };
        }
        return undefined;
      }
      case 'CertPoll':
        // Certificates are issued at once, so there is never a pending request to poll (the
        // parser already refuses CertPoll; this keeps the switch exhaustive).
        return { failInfo: 'badCertId', why: 'no pending request' };
      default: {
        const never: never = request.messageType;
        return { failInfo: 'badRequest', why: `unsupported messageType ${String(never)}` };
      }
    }
  }

  private async issue(request: ScepRequest, ca: { certPem: string; keyPem: string }): Promise<string> {
    const { certPem } = await issueCertificate({
      issuer: ca,
      subject: request.csr.subject || 'CN=MDM Device',
      publicKeyPem: request.csr.publicKeyPem,
      validityDays: this.config.MDM_DEVICE_CERT_DAYS,
      extendedKeyUsage: ['clientAuth'],
    });
    const cert = new X509Certificate(certPem);
    const fingerprint = fingerprintSha256(cert);
    const renewalOf = request.messageType === 'RenewalReq' ? fingerprintSha256(request.signer) : null;
    await this.dataSource.transaction(async (tx) => {
      await DeviceCertificateStore.insert(tx, {
        fingerprint,
        serialNumber: cert.serialNumber,
        subject: cert.subject,
        notBefore: new Date(cert.validFrom),
        notAfter: new Date(cert.validTo),
        renewalOf,
        issuedAt: new Date(),
      });
      if (!renewalOf) return;
      // The renewed identity replaces the old one on the enrollment it was bound to.
      const device = await DeviceStore.lockByCertFingerprint(tx, renewalOf);
      if (!device) return;
      await DeviceStore.rebindCertificate(tx, device.id, fingerprint, new Date(cert.validTo));
      await recordEvents(tx, [
        {
          type: 'device.certificate_renewed',
          data: { udid: device.udid, enrollmentId: device.enrollmentId, notAfter: new Date(cert.validTo).toISOString() },
        },
      ]);
      this.logger.log(`device ${device.udid} renewed its identity certificate`);
    });
    return certPem;
  }
}
