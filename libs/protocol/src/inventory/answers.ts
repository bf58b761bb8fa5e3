import { createHash, X509Certificate } from 'node:crypto';
import { type JsonValue, plistToJson } from '../command';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist-value';

export type JsonDict = { [key: string]: JsonValue };

/** A certificate the device holds, as an operator reads it (never the certificate itself). */
export interface CertificateSummary {
  /** SHA-256 of the DER, lowercase hex: what tells two certificates apart. */
  fingerprint: string;
  commonName: string | null;
  subject: string | null;
  issuer: string | null;
  notBefore: string | null;
  notAfter: string | null;
  /** The device holds the private key too (an identity), as the device reports it. */
  isIdentity: boolean;
}

/** What a DeviceInformation, SecurityInfo or CertificateList answer contributes to the inventory. */
export type InventoryAnswer =
  | { section: 'deviceInformation'; value: JsonDict }
  | { section: 'securityInfo'; value: JsonDict }
  | { section: 'certificates'; value: CertificateSummary[] };

export const INVENTORY_REQUEST_TYPES = ['DeviceInformation', 'SecurityInfo', 'CertificateList'] as const;
export type InventoryRequestType = (typeof INVENTORY_REQUEST_TYPES)[number];

export function isInventoryRequestType(requestType: string): requestType is InventoryRequestType {
  return (INVENTORY_REQUEST_TYPES as readonly string[]).includes(requestType);
}

/**
 * The inventory part of an Acknowledged answer, or undefined when the answer has none (a device that
 * answered without the expected dictionary or array must not wipe what is known).
 */
export function parseInventoryAnswer(requestType: InventoryRequestType, body: PlistDict): InventoryAnswer | undefined {
  switch (requestType) {
    case 'DeviceInformation': {
      const responses = body['QueryResponses'];
      return isPlistDict(responses) ? { section: 'deviceInformation', value: plistToJson(responses) as JsonDict } : undefined;
    }
    case 'SecurityInfo': {
      const info = body['SecurityInfo'];
      return isPlistDict(info) ? { section: 'securityInfo', value: plistToJson(info) as JsonDict } : undefined;
    }
    case 'CertificateList': {
      const list = body['CertificateList'];
      if (!Array.isArray(list)) return undefined;
      return { section: 'certificates', value: list.filter(isPlistDict).map(summarizeCertificate) };
    }
    default: {
      const never: never = requestType;
      throw new Error(`not an inventory command: ${String(never)}`);
    }
  }
}

/** One CertificateList item; a certificate that does not parse keeps its name and fingerprint. */
export function summarizeCertificate(item: PlistDict): CertificateSummary {
  const data: PlistValue | undefined = item['Data'];
  const der = Buffer.isBuffer(data) ? data : Buffer.alloc(0);
  const summary: CertificateSummary = {
    fingerprint: createHash('sha256').update(der).digest('hex'),
    commonName: typeof item['CommonName'] === 'string' ? item['CommonName'] : null,
    subject: null,
    issuer: null,
    notBefore: null,
    notAfter: null,
    isIdentity: item['IsIdentity'] === true,
  };
  if (der.length === 0) return summary;
  try {
    const cert = new X509Certificate(der);
    summary.subject = oneLine(cert.subject);
    summary.issuer = oneLine(cert.issuer);
    summary.notBefore = new Date(cert.validFrom).toISOString();
    summary.notAfter = new Date(cert.validTo).toISOString();
  } catch {
    // Not DER X.509: the device's own name for it is all there is to show.
  }
  return summary;
}

/** Node prints distinguished names one attribute a line. */
function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}
