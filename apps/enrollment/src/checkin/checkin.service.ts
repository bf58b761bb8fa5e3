import {
  BadRequestException,
  ForbiddenException,
  GoneException,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { type AuthenticateFacts, CommandDeliveriesStore, DeviceCertificateStore, type DeviceRecord, DeviceStore, recordEvents } from '@mdm/persistence';
import { SecretBox } from '@mdm/pki';
import {
  type AuthenticateMessage,
  buildPlist,
  type CheckinMessage,
  type CheckOutMessage,
  deviceIdOf,
  type GetBootstrapTokenMessage,
  parseCheckin,
  type PlistDict,
  ProtocolError,
  type SetBootstrapTokenMessage,
  tokenHex,
  type TokenUpdateMessage,
} from '@mdm/protocol';
import { requireBoundCertificate, type VerifiedDeviceCert } from '@mdm/service-kit';
import { ApnsCertificateService } from '../apns-certificate/apns-certificate.service';


/** Handles check-in messages. Each one is a single transaction: it applies whole or not at all. */
@Injectable()
export class CheckinService {
  private readonly logger = new Logger(CheckinService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly apnsCertificates: ApnsCertificateService,
    private readonly secrets: SecretBox,
  ) {}

  /** Returns the plist body to answer with (empty for most messages). */
  async handle(body: Buffer, cert: VerifiedDeviceCert): Promise<string> {
    let message: CheckinMessage;
    try {
      message = parseCheckin(body);
    } catch (err) {
      if (err instanceof ProtocolError) throw new BadRequestException(err.message);
      throw err;
    }
    switch (message.MessageType) {
      case 'Authenticate':
        await this.authenticate(message, cert, rawPayloadOf(body, message));
        return '';
      case 'TokenUpdate':
        await this.tokenUpdate(message, cert, rawPayloadOf(body, message));
        return '';
      case 'CheckOut':
        await this.checkOut(message, cert, rawPayloadOf(body, message));
        return '';
      case 'UserAuthenticate':
        // Apple: answering 410 tells the device this server has no user channel, and it stops asking.
        throw new GoneException('user channels are not supported by this server');
      case 'SetBootstrapToken':
        await this.setBootstrapToken(message, cert);
        return '';
      case 'GetBootstrapToken':
        return this.getBootstrapToken(message, cert);
      case 'DeclarativeManagement':
        await this.bound(deviceIdOf(message), cert);
        throw new HttpException('declarative management is not supported by this server yet', HttpStatus.NOT_IMPLEMENTED);
      case 'GetToken':
        await this.bound(deviceIdOf(message), cert);
        throw new HttpException(`no token service for TokenServiceType ${message.TokenServiceType}: this server has none yet`, HttpStatus.NOT_IMPLEMENTED);
      default: {
        const unknown: never = message;
        throw new BadRequestException(`unknown check-in message ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Stored sealed, and only ever handed back to the enrollment that set it. */
  private async setBootstrapToken(msg: SetBootstrapTokenMessage, cert: VerifiedDeviceCert): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const device = await this.boundDevice(tx, deviceIdOf(msg), cert);
      const token = msg.BootstrapToken && msg.BootstrapToken.length ? this.secrets.seal(msg.BootstrapToken) : null;
      await DeviceStore.saveBootstrapToken(tx, device.id, token, new Date());
    });
  }

  private async getBootstrapToken(msg: GetBootstrapTokenMessage, cert: VerifiedDeviceCert): Promise<string> {
    const device = await this.bound(deviceIdOf(msg), cert);
    // Apple: an empty dict when the server holds no token for this device.
    if (!device.bootstrapToken) return buildPlist({});
    return buildPlist({ BootstrapToken: this.secrets.open(device.bootstrapToken) });
  }

  private bound(udid: string, cert: VerifiedDeviceCert): Promise<DeviceRecord> {
    return this.dataSource.transaction((tx) => this.boundDevice(tx, udid, cert));
  }

  /** A (re-)enrollment: binds the certificate to the UDID and clears whatever an earlier enrollment left. */
  private async authenticate(msg: AuthenticateMessage, cert: VerifiedDeviceCert, rawPayload: string): Promise<void> {
    if (!(await this.apnsCertificates.hasTopic(msg.Topic))) {
      throw new ForbiddenException(`topic ${msg.Topic} is not served by this server: upload its push certificate first`);
    }
    const udid = deviceIdOf(msg);
    const now = new Date();
    await this.dataSource.transaction(async (tx) => {
      const existing = await DeviceStore.lockByUdid(tx, udid);
      const facts: AuthenticateFacts = {
        enrollmentId: randomUUID(),
        topic: msg.Topic,
        serialNumber: msg.SerialNumber ?? existing?.serialNumber ?? null,
        productName: msg.ProductName ?? existing?.productName ?? null,
        model: msg.Model ?? existing?.model ?? null,
        modelName: msg.ModelName ?? existing?.modelName ?? null,
        deviceName: msg.DeviceName ?? existing?.deviceName ?? null,
        osVersion: msg.OSVersion ?? existing?.osVersion ?? null,
        buildVersion: msg.BuildVersion ?? existing?.buildVersion ?? null,
        certFingerprint: cert.fingerprint,
        certNotAfter: cert.notAfter,
        at: now,
      };
      if (existing) {
        await DeviceStore.reauthenticate(tx, existing.id, facts);
        if (existing.certFingerprint && existing.certFingerprint !== cert.fingerprint) {
          await DeviceCertificateStore.revoke(tx, existing.certFingerprint, 'replaced by a new enrollment');
        }
        this.logger.log(`device ${udid} re-authenticated: previous enrollment cleared`);
      } else {
        await DeviceStore.insertAuthenticated(tx, udid, facts);
        this.logger.log(`device ${udid} authenticated`);
      }
      await recordEvents(tx, [
        {
          type: 'device.authenticated',
          data: {
            udid,
            enrollmentId: facts.enrollmentId,
            serialNumber: facts.serialNumber,
            productName: facts.productName,
            osVersion: facts.osVersion,
            reenrollment: !!existing,
            rawPayload,
          },
        },
      ]);
    });
  }

  private async tokenUpdate(msg: TokenUpdateMessage, cert: VerifiedDeviceCert, rawPayload: string): Promise<void> {
    const now = new Date();
    await this.dataSource.transaction(async (tx) => {
      const device = await this.boundDevice(tx, deviceIdOf(msg), cert);
      if (device.topic !== msg.Topic) {
        throw new BadRequestException(`TokenUpdate topic ${msg.Topic} differs from the enrolled topic ${device.topic ?? '(none)'}`);
      }
      const count = device.tokenUpdateCount + 1;
      await DeviceStore.saveTokenUpdate(tx, device.id, {
        pushToken: tokenHex(msg.Token),
        pushMagic: msg.PushMagic,
        unlockToken: msg.UnlockToken ? this.secrets.seal(msg.UnlockToken) : device.unlockToken,
        tokenUpdateCount: count,
        enrolledAt: device.enrolledAt ?? now,
        at: now,
      });
      await recordEvents(tx, [
        { type: 'device.token_updated', data: { udid: device.udid, enrollmentId: device.enrollmentId, count, rawPayload } },
        ...(device.enrolled
          ? []
          : [{ type: 'device.enrolled' as const, data: { udid: device.udid, enrollmentId: device.enrollmentId, topic: msg.Topic } }]),
      ]);
      // The command service follows device.enrolled in the event feed and queues the first inventory.
    });
  }

  private async checkOut(msg: CheckOutMessage, cert: VerifiedDeviceCert, rawPayload: string): Promise<void> {
    const now = new Date();
    await this.dataSource.transaction(async (tx) => {
      const device = await this.boundDevice(tx, deviceIdOf(msg), cert);
      await DeviceStore.checkOut(tx, device.id, now);
      if (device.certFingerprint) await DeviceCertificateStore.revoke(tx, device.certFingerprint, 'device checked out');
      // The command service cancels them when it follows this event.
      const canceledCommands = await CommandDeliveriesStore.countOpenOf(tx, device.id);
      await recordEvents(tx, [
        { type: 'device.checked_out', data: { udid: device.udid, enrollmentId: device.enrollmentId, canceledCommands, rawPayload } },
      ]);
    });
    this.logger.log(`device ${deviceIdOf(msg)} checked out`);
  }

  /** The device row, locked, if the request's certificate is the one bound at Authenticate. */
  private async boundDevice(tx: EntityManager, udid: string, cert: VerifiedDeviceCert): Promise<DeviceRecord> {
    return requireBoundCertificate(await DeviceStore.lockByUdid(tx, udid), udid, cert);
  }
}

/**
 * The check-in as the device sent it (base64), for the events' `rawPayload`. A TokenUpdate with an
 * UnlockToken is written again without it: the server keeps that token sealed, the event log is not.
 */
function rawPayloadOf(body: Buffer, message: CheckinMessage): string {
  if (message.MessageType !== 'TokenUpdate' || message.UnlockToken === undefined) return body.toString('base64');
  const copy: PlistDict = { ...(message as PlistDict) };
  delete copy['UnlockToken'];
  return Buffer.from(buildPlist(copy), 'utf8').toString('base64');
}
