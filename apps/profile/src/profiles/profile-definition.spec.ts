import { parsePlistDict, type PlistDict } from '@mdm/protocol';
import { buildMobileconfig, checkDefinition, derivedUuid, type ProfileContent, sameContent } from './profile-definition';

const PASSCODE = 'com.apple.mobiledevice.passwordpolicy';

const content = (settings: Record<string, unknown>): ProfileContent => ({
  name: 'Passcode',
  identifier: 'com.example.p',
  removalDisallowed: true,
  description: null,
  payloads: [{ type: PASSCODE, settings }],
});

describe('profile definitions', () => {
  it('derives RFC 9562 version 5 UUIDs, stable per name', () => {
    const a = derivedUuid('id/1/0');
    expect(a).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(derivedUuid('id/1/0')).toBe(a);
    expect(derivedUuid('id/2/0')).not.toBe(a);
  });

  it('names payload index, type and key in errors and warnings', () => {
    const report = checkDefinition(
      [
        { type: PASSCODE, settings: { minLength: 99, extra: 1 } },
        { type: 'com.example.unknown', settings: {} },
      ],
      false,
    );
    expect(report.errors).toEqual([
      `payloads[0] ${PASSCODE}.minLength: must be between 0 and 16, got 99`,
      'payloads[1] com.example.unknown: unknown payload type com.example.unknown (set allowUnknown to send it unchecked)',
    ]);
    expect(report.warnings).toEqual([`payloads[0] ${PASSCODE}.extra: unknown key; iOS will ignore it`]);
  });

  it('refuses values no plist can hold in payloads the catalog does not check', () => {
    const report = checkDefinition([{ type: 'com.example.unknown', settings: { a: null } }], true);
    expect(report.errors).toEqual(['payloads[0] com.example.unknown.a must not be null: plists have no null']);
  });

  it('treats key order as no change and builds identical XML for it', () => {
    const a = content({ minLength: 6, forcePIN: true });
    const b = content({ forcePIN: true, minLength: 6 });
    expect(sameContent(a, b)).toBe(true);
    expect(sameContent(a, content({ minLength: 8, forcePIN: true }))).toBe(false);
    expect(buildMobileconfig('x', 1, a)).toBe(buildMobileconfig('x', 1, b));
    expect(buildMobileconfig('x', 2, a)).not.toBe(buildMobileconfig('x', 1, a));
  });

  it('writes data and dates from their JSON wrappers', () => {
    const xml = buildMobileconfig('x', 1, {
      ...content({}),
      payloads: [{ type: 'com.apple.security.root', settings: { PayloadContent: { $data: 'AAEC' }, When: { $date: '2026-01-02T03:04:05Z' } } }],
    });
    const payload = (parsePlistDict(xml)['PayloadContent'] as PlistDict[])[0];
    expect(payload['PayloadContent']).toEqual(Buffer.from([0, 1, 2]));
    expect(payload['When']).toEqual(new Date('2026-01-02T03:04:05Z'));
    expect(payload['PayloadIdentifier']).toBe('com.example.p.com.apple.security.root.0');
  });
});
