import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Broadcast } from '@mdm/contracts';
import { BroadcastBus } from '@mdm/messaging';
import { ApnsCertificateEntity } from '@mdm/persistence';
import { parsePushCertificate, PkiError, SecretBox } from '@mdm/pki';

export interface ApnsCertificateView {
  topic: string;
  notBefore: string;
  notAfter: string;
  fingerprint: string;
}

/** The customer's push certificates, one per topic; the key is sealed before it touches the database. */
@Injectable()
export class ApnsCertificateService {
  constructor(
    @InjectRepository(ApnsCertificateEntity) private readonly certs: Repository<ApnsCertificateEntity>,
    private readonly secrets: SecretBox,
    private readonly broadcast: BroadcastBus,
  ) {}

  async upload(certificatePem: string, privateKeyPem: string): Promise<ApnsCertificateView> {
    let parsed: ReturnType<typeof parsePushCertificate>;
    try {
      parsed = parsePushCertificate({ certificatePem, privateKeyPem });
    } catch (err) {
      if (err instanceof PkiError) throw new BadRequestException(err.message);
      throw err;
    }
    await this.certs.upsert(
      {
        topic: parsed.topic,
        certPem: parsed.certPem,
        keySealed: this.secrets.seal(parsed.keyPem),
        fingerprint: parsed.fingerprint,
        notBefore: parsed.notBefore,
        notAfter: parsed.notAfter,
        updatedAt: new Date(),
      },
      ['topic'],
    );
    // Push workers reload on this notice (and on their own timer, in case they missed it).
    await this.broadcast.publish(Broadcast.ApnsCertificateChanged, parsed.topic);
    return view(parsed);
  }

  async list(): Promise<ApnsCertificateView[]> {
    return (await this.certs.find({ order: { createdAt: 'ASC' } })).map(view);
  }

  async hasTopic(topic: string): Promise<boolean> {
    return this.certs.existsBy({ topic });
  }
}

function view(c: { topic: string; notBefore: Date; notAfter: Date; fingerprint: string }): ApnsCertificateView {
  return {
    topic: c.topic,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    fingerprint: c.fingerprint,
  };
}
