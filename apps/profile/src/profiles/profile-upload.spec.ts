import { buildPlist } from '@mdm/protocol';
import { readMobileconfig, UploadError } from './profile-upload';

const xml = (top: Record<string, unknown>): Buffer => Buffer.from(buildPlist(top as Parameters<typeof buildPlist>[0]), 'utf8');

describe('reading an uploaded .mobileconfig', () => {
  it('keeps identifiers and settings, drops what the server rebuilds, warns about dropped top-level keys', async () => {
    const file = await readMobileconfig(
      xml({
        PayloadType: 'Configuration',
        PayloadVersion: 1,
        PayloadIdentifier: 'com.example.p',
        PayloadUUID: 'A',
        PayloadOrganization: 'Org',
        PayloadContent: [
          { PayloadType: 'com.apple.mobiledevice.passwordpolicy', PayloadVersion: 1, PayloadUUID: 'B', PayloadIdentifier: 'com.example.p.pw', minLength: 6, Blob: Buffer.from([1, 2]) },
        ],
      }),
    );
    expect(file).toMatchObject({ identifier: 'com.example.p', name: undefined, removalDisallowed: false, signed: false });
    expect(file.payloads).toEqual([
      { type: 'com.apple.mobiledevice.passwordpolicy', identifier: 'com.example.p.pw', settings: { minLength: 6, Blob: { $data: 'AQI=' } } },
    ]);
    expect(file.warnings).toEqual(['mobileconfig.PayloadOrganization: not kept; the server writes its own profile-level keys']);
  });

  it.each([
    ['not a Configuration', { PayloadType: 'com.apple.x', PayloadIdentifier: 'a.b', PayloadContent: [{ PayloadType: 'x' }] }, /PayloadType must be Configuration/],
    ['without payloads', { PayloadType: 'Configuration', PayloadIdentifier: 'a.b', PayloadContent: [] }, /non-empty array/],
    ['encrypted', { PayloadType: 'Configuration', PayloadIdentifier: 'a.b', EncryptedPayloadContent: Buffer.from([1]) }, /encrypted/],
    ['without an identifier', { PayloadType: 'Configuration', PayloadContent: [{ PayloadType: 'x' }] }, /PayloadIdentifier/],
    ['with a payload without a type', { PayloadType: 'Configuration', PayloadIdentifier: 'a.b', PayloadContent: [{ a: 1 }] }, /PayloadContent\[0\]\.PayloadType/],
  ])('refuses a profile %s', async (_what, top, message) => {
    await expect(readMobileconfig(xml(top))).rejects.toThrow(UploadError);
    await expect(readMobileconfig(xml(top))).rejects.toThrow(message);
  });

  it('refuses bytes that are neither XML nor CMS', async () => {
    await expect(readMobileconfig(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]))).rejects.toThrow(/neither a plist nor a valid signed profile/);
  });
});
