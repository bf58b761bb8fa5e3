import type { PlistDict } from '@mdm/protocol';
import type { DeviceResponse, DeviceSimulator, ReceivedCommand } from './device-simulator';

/** A certificate a simulated device reports in CertificateList. */
export interface SimulatedCertificate {
  commonName: string;
  /** DER; PEM is converted. */
  certificate: Buffer | string;
  isIdentity: boolean;
}

/** SecurityInfo and CertificateList answers a test can change between refreshes (mutate the object). */
export interface SimulatedInventory {
  securityInfo?: PlistDict;
  certificates?: SimulatedCertificate[];
}

function der(certificate: Buffer | string): Buffer {
  if (Buffer.isBuffer(certificate)) return certificate;
  return Buffer.from(certificate.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/**
 * Answers SecurityInfo and CertificateList from `inventory` (response keys of Apple's information.security
 * and certificate.list), and every other command as the simulator does.
 */
export function answerWithInventory(device: DeviceSimulator, command: ReceivedCommand, inventory: SimulatedInventory): Promise<DeviceResponse> {
  const ack = { CommandUUID: command.commandUuid, Status: 'Acknowledged' };
  if (command.requestType === 'SecurityInfo' && inventory.securityInfo) return device.report({ ...ack, SecurityInfo: inventory.securityInfo });
  if (command.requestType === 'CertificateList' && inventory.certificates) {
    return device.report({
      ...ack,
      CertificateList: inventory.certificates.map((c) => ({ CommonName: c.commonName, Data: der(c.certificate), IsIdentity: c.isIdentity })),
    });
  }
  return device.answer(command);
}
