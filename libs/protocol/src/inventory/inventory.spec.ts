import * as fs from 'node:fs';
import { createCertificateAuthority } from '@mdm/pki';
import { parsePlistDict } from '../plist';
import { parseReport } from '../report';
import { type CertificateSummary, parseInventoryAnswer, summarizeCertificate } from './answers';
import { canonicalJson, diffCertificates, diffSecurityInfo, mergeDeviceInformation } from './diff';
import { INVENTORY_GROUPS, inventoryGroup, inventoryQuerySpec, IOS_DEVICE_INFORMATION_QUERIES } from './queries';
import { itWithShared, sharedPath } from '../../../../test/support/shared-checkout';

const FIXTURE = sharedPath('fixtures/nanomdm/DeviceInformation.1.plist');

/** A CA certificate as DER: any X.509 certificate will do for a CertificateList answer. */
async function certificateDer(commonName: string): Promise<Buffer> {
  const { certPem } = await createCertificateAuthority({ commonName, organization: 'Example', validityDays: 30 });
  return Buffer.from(certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

describe('inventory queries (derived from Apple\'s schema)', () => {
  it('lists the iOS queries with their answer types, without macOS-only or removed ones', () => {
    expect(IOS_DEVICE_INFORMATION_QUERIES.length).toBeGreaterThan(60);
    expect(IOS_DEVICE_INFORMATION_QUERIES).toEqual(expect.arrayContaining(['UDID', 'OSVersion', 'SerialNumber', 'WiFiMAC', 'IsSupervised']));
    expect(IOS_DEVICE_INFORMATION_QUERIES).not.toContain('ProvisioningUDID');
    expect(IOS_DEVICE_INFORMATION_QUERIES).not.toContain('SIMCarrierNetwork');
    expect(inventoryQuerySpec('DeviceCapacity')).toMatchObject({ type: 'real' });
    expect(inventoryQuerySpec('LastCloudBackupDate')).toMatchObject({ type: 'date', iosIntroduced: '8.0' });
    expect(inventoryQuerySpec('AccessibilitySettings')).toMatchObject({ type: 'dictionary', supervised: true });
  });

  it('places every iOS query in a named group (a new one from Apple lands in other until placed)', () => {
    const unplaced = IOS_DEVICE_INFORMATION_QUERIES.filter((q) => inventoryGroup(q) === 'other');
    expect(unplaced).toEqual([]);
    expect(inventoryGroup('SomethingApple2030Adds')).toBe('other');
    expect(INVENTORY_GROUPS).toEqual(['hardware', 'os', 'network', 'security', 'other']);
  });
});

describe('parseInventoryAnswer', () => {
  itWithShared(FIXTURE)('keeps every answer of a real device, as JSON', () => {
    const report = parseReport(fs.readFileSync(FIXTURE));
    const answer = parseInventoryAnswer('DeviceInformation', report.body);
    expect(answer?.section).toBe('deviceInformation');
    const value = answer?.section === 'deviceInformation' ? answer.value : {};
    const responses = report.body['QueryResponses'];
    expect(Object.keys(value).sort()).toEqual(Object.keys(responses as object).sort());
  });

  it('reads SecurityInfo, turning data and dates into JSON', () => {
    const body = parsePlistDict(`<?xml version="1.0"?><plist version="1.0"><dict>
      <key>SecurityInfo</key><dict>
        <key>PasscodePresent</key><true/><key>HardwareEncryptionCaps</key><integer>3</integer>
        <key>ManagementStatus</key><dict><key>EnrolledViaDEP</key><false/></dict>
      </dict></dict></plist>`);
    expect(parseInventoryAnswer('SecurityInfo', body)).toEqual({
      section: 'securityInfo',
      value: { PasscodePresent: true, HardwareEncryptionCaps: 3, ManagementStatus: { EnrolledViaDEP: false } },
    });
  });

  it('has nothing to record when the expected dictionary or list is missing', () => {
    expect(parseInventoryAnswer('DeviceInformation', { QueryResponses: 'odd' })).toBeUndefined();
    expect(parseInventoryAnswer('SecurityInfo', {})).toBeUndefined();
    expect(parseInventoryAnswer('CertificateList', { CertificateList: {} })).toBeUndefined();
  });

  it('summarises certificates (subject, issuer, expiry, identity) without keeping them', async () => {
    const der = await certificateDer('Wi-Fi Identity');
    const answer = parseInventoryAnswer('CertificateList', {
      CertificateList: [
        { CommonName: 'Wi-Fi Identity', Data: der, IsIdentity: true },
        { CommonName: 'Broken', Data: Buffer.from('not a certificate'), IsIdentity: false },
      ],
    });
    expect(answer?.section).toBe('certificates');
    const [good, broken] = answer?.section === 'certificates' ? answer.value : [];
    expect(good).toMatchObject({
      commonName: 'Wi-Fi Identity',
      subject: expect.stringContaining('CN=Wi-Fi Identity'),
      issuer: expect.stringContaining('O=Example'),
      isIdentity: true,
    });
    const days = (Date.parse(good?.notAfter ?? '') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
    expect(good?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(good)).not.toContain(der.toString('base64').slice(0, 40));
    expect(broken).toMatchObject({ commonName: 'Broken', subject: null, notAfter: null, isIdentity: false });
  });
});

describe('inventory history', () => {
  it('takes the first DeviceInformation answer as the baseline, then records what changed', () => {
    const first = mergeDeviceInformation(null, { OSVersion: '17.5', DeviceName: 'A' });
    expect(first).toEqual({ value: { OSVersion: '17.5', DeviceName: 'A' }, changes: [] });
    const second = mergeDeviceInformation(first.value, { OSVersion: '18.1', DeviceName: 'A', TimeZone: 'Europe/Paris' });
    expect(second.changes).toEqual([
      { field: 'OSVersion', oldValue: '17.5', newValue: '18.1' },
      { field: 'TimeZone', oldValue: null, newValue: 'Europe/Paris' },
    ]);
  });

  it('keeps queries a partial answer did not include, and does not record volatile ones', () => {
    const merged = mergeDeviceInformation({ OSVersion: '17.5', BatteryLevel: 0.9 }, { BatteryLevel: 0.4 });
    expect(merged).toEqual({ value: { OSVersion: '17.5', BatteryLevel: 0.4 }, changes: [] });
  });

  it('compares dictionaries whatever their key order', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] })).toBe(canonicalJson({ a: [{ x: 1, y: 2 }], b: 1 }));
    const merged = mergeDeviceInformation({ OrganizationInfo: { A: '1', B: '2' } }, { OrganizationInfo: { B: '2', A: '1' } });
    expect(merged.changes).toEqual([]);
  });

  it('names each SecurityInfo leaf that changed, including ones that appear or go', () => {
    const before = { PasscodePresent: false, ManagementStatus: { IsUserEnrollment: false }, FDE_Enabled: true };
    const after = { PasscodePresent: true, ManagementStatus: { IsUserEnrollment: false, EnrolledViaDEP: true } };
    expect(diffSecurityInfo(null, after)).toEqual([]);
    expect(diffSecurityInfo(before, after)).toEqual([
      { field: 'SecurityInfo.PasscodePresent', oldValue: false, newValue: true },
      { field: 'SecurityInfo.FDE_Enabled', oldValue: true, newValue: null },
      { field: 'SecurityInfo.ManagementStatus.EnrolledViaDEP', oldValue: null, newValue: true },
    ]);
  });

  it('records certificates installed and removed, told apart by fingerprint', () => {
    const cert = (fingerprint: string, commonName: string): CertificateSummary => ({
      fingerprint, commonName, subject: `CN=${commonName}`, issuer: 'CN=CA', notBefore: null, notAfter: null, isIdentity: false,
    });
    const a = cert('aa', 'Root'), b = cert('bb', 'Wi-Fi'), c = cert('cc', 'VPN');
    expect(diffCertificates(null, [a])).toEqual([]);
    expect(diffCertificates([a, b], [a, c])).toEqual([
      { field: 'Certificate Wi-Fi', oldValue: { ...b }, newValue: null },
      { field: 'Certificate VPN', oldValue: null, newValue: { ...c } },
    ]);
    expect(summarizeCertificate({ IsIdentity: true })).toMatchObject({ commonName: null, isIdentity: true });
  });
});
