import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ApnsCertificateStore } from '@mdm/persistence';
import { signAttached } from '@mdm/pki';
import { buildPlist, type PlistDict } from '@mdm/protocol';
import { DeviceCaService } from '../device-ca/device-ca.service';
import { ENROLLMENT_CONFIG, type EnrollmentConfig } from '../enrollment.config';
import { ChallengeService } from '../scep/challenge.service';

export interface EnrollmentProfileOptions {
  /** Which push topic (tenant) to enroll into; the newest certificate's when there is one choice. */
  topic?: string;
  accessRights?: number;
  /** PayloadDisplayName the device shows for the profile. */
  displayName?: string;
  /** Unsigned XML, for inspection; devices should always get the signed profile. */
  unsigned?: boolean;
}

/** What this server tells devices it can do (com.apple.mdm ServerCapabilities). */
const SERVER_CAPABILITIES = ['com.apple.mdm.bootstraptoken'];

/**
 * The over-the-air enrollment profile: a SCEP payload that gets the device its identity and an MDM
 * payload that points at this server, signed so the device shows it as verified. Each download
 * carries a fresh one-time SCEP challenge.
 */
@Injectable()
export class EnrollmentProfileService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(ENROLLMENT_CONFIG) private readonly config: EnrollmentConfig,
    private readonly identities: DeviceCaService,
    private readonly challenges: ChallengeService,
  ) {}

  async build(opts: EnrollmentProfileOptions = {}): Promise<Buffer> {
    const topic = await this.topic(opts.topic);
    const { challenge } = await this.challenges.mint(topic);
    const base = this.config.MDM_PUBLIC_URL;
    const org = this.config.MDM_ORGANIZATION;
    const id = this.config.MDM_PROFILE_IDENTIFIER;
    const scepUuid = randomUUID().toUpperCase();
    const scep: PlistDict = {
      PayloadType: 'com.apple.security.scep',
      PayloadVersion: 1,
      PayloadIdentifier: `${id}.scep`,
      PayloadUUID: scepUuid,
      PayloadDisplayName: 'Device identity',
      PayloadContent: {
        URL: `${base}/scep`,
        Name: this.config.MDM_DEVICE_CA_NAME,
        Challenge: challenge,
        Keysize: 2048,
        'Key Type': 'RSA',
        // 1 (signing) | 4 (encryption): the identity signs check-ins and decrypts SCEP replies.
        'Key Usage': 5,
        Subject: [[['O', org]], [['CN', 'MDM Identity']]],
      },
    };
    const mdm: PlistDict = {
      PayloadType: 'com.apple.mdm',
      PayloadVersion: 1,
      PayloadIdentifier: `${id}.mdm`,
      PayloadUUID: randomUUID().toUpperCase(),
      PayloadDisplayName: 'Device management',
      ServerURL: `${base}/mdm/connect`,
      CheckInURL: `${base}/mdm/checkin`,
      Topic: topic,
      IdentityCertificateUUID: scepUuid,
      SignMessage: true,
      AccessRights: opts.accessRights ?? this.config.MDM_ACCESS_RIGHTS,
      CheckOutWhenRemoved: true,
      ServerCapabilities: SERVER_CAPABILITIES,
    };
    const profile: PlistDict = {
      PayloadType: 'Configuration',
      PayloadVersion: 1,
      PayloadIdentifier: id,
      PayloadUUID: randomUUID().toUpperCase(),
      PayloadDisplayName: opts.displayName ?? `${org} device management`,
      PayloadOrganization: org,
      PayloadDescription: `Enrolls this device in ${org}'s device management.`,
      PayloadContent: [scep, mdm],
    };
    const xml = Buffer.from(buildPlist(profile), 'utf8');
    if (opts.unsigned) return xml;
    return signAttached(xml, await this.identities.profileSigner());
  }

  private async topic(requested: string | undefined): Promise<string> {
    if (requested) {
      if (!(await ApnsCertificateStore.hasTopic(this.dataSource, requested))) throw new NotFoundException(`no push certificate for topic ${requested}`);
      return requested;
    }
    const newest = await ApnsCertificateStore.newestTopic(this.dataSource);
    if (!newest) {
      throw new ConflictException('no push certificate yet: upload one first (PUT /v1/apns/certificate), its topic goes into the enrollment profile');
    }
    return newest;
  }
}
