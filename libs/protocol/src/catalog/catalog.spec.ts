import {
  commandApplicability,
  commandSpec,
  compareOsVersions,
  ignoredSettings,
  PAYLOAD_TYPES,
  payloadApplicability,
  payloadSpec,
  REQUEST_TYPES,
  validateCommand,
  validatePayloadSettings,
} from './catalog';

const PASSCODE = 'com.apple.mobiledevice.passwordpolicy';
const paths = (issues: { path: string }[]) => issues.map((i) => i.path);

describe('catalog lookups', () => {
  it('holds the iOS payload types and commands, sorted, and nothing macOS-only', () => {
    expect(PAYLOAD_TYPES).toEqual(expect.arrayContaining([PASSCODE, 'com.apple.applicationaccess', 'com.apple.wifi.managed']));
    expect(PAYLOAD_TYPES).not.toContain('com.apple.MCX.FileVault2');
    expect(PAYLOAD_TYPES).not.toContain('TopLevel');
    expect([...PAYLOAD_TYPES].sort()).toEqual(PAYLOAD_TYPES);
    expect(REQUEST_TYPES).toEqual(expect.arrayContaining(['InstallProfile', 'DeviceInformation', 'EraseDevice']));
    expect(REQUEST_TYPES).not.toContain('SetAutoAdminPassword');
    expect(payloadSpec(PASSCODE)).toMatchObject({ title: 'Passcode', iosIntroduced: '4.0', supervised: false, multiple: true });
    expect(commandSpec('DeviceInformation')).toMatchObject({ returnsData: true, supervised: false });
    expect(commandSpec('RestartDevice')).toMatchObject({ supervised: true, iosIntroduced: '10.3', returnsData: false });
    expect(payloadSpec('com.apple.nope')).toBeUndefined();
  });
});

describe('validatePayloadSettings', () => {
  it('accepts the passcode payload from the field', () => {
    expect(
      validatePayloadSettings(PASSCODE, { forcePIN: true, allowSimple: false, minLength: 6, requireAlphanumeric: false }),
    ).toEqual({ errors: [], warnings: [] });
  });

  it('ignores the envelope keys the server fills in, and does not require them', () => {
    const report = validatePayloadSettings(PASSCODE, { PayloadDisplayName: 'Passcode', PayloadVersion: 1, forcePIN: true });
    expect(report).toEqual({ errors: [], warnings: [] });
    expect(paths(validatePayloadSettings(PASSCODE, { PayloadType: 'com.apple.wifi.managed' }).errors)).toEqual([
      `${PASSCODE}.PayloadType`,
    ]);
  });

  it('reports wrong JSON types by path', () => {
    const { errors } = validatePayloadSettings(PASSCODE, { forcePIN: 'yes', minLength: 6.5, maxInactivity: '5' });
    expect(errors).toEqual([
      { path: `${PASSCODE}.forcePIN`, message: 'must be a boolean, got a string ("yes")' },
      { path: `${PASSCODE}.minLength`, message: 'must be an integer, got 6.5' },
      { path: `${PASSCODE}.maxInactivity`, message: 'must be an integer, got a string ("5")' },
    ]);
  });

  it('enforces Apple ranges on both ends', () => {
    expect(validatePayloadSettings(PASSCODE, { minLength: 50 }).errors).toEqual([
      { path: `${PASSCODE}.minLength`, message: 'must be between 0 and 16, got 50' },
    ]);
    expect(paths(validatePayloadSettings(PASSCODE, { minLength: -1 }).errors)).toEqual([`${PASSCODE}.minLength`]);
    expect(validatePayloadSettings(PASSCODE, { minLength: 16, maxFailedAttempts: 2 }).errors).toEqual([]);
  });

  it('enforces rangelists, for strings and reals', () => {
    const restrictions = 'com.apple.applicationaccess';
    expect(validatePayloadSettings(restrictions, { ratingRegion: 'xx' }).errors).toEqual([
      { path: `${restrictions}.ratingRegion`, message: 'must be one of us, au, ca, de, fr, ie, jp, nz, gb, got xx' },
    ]);
    expect(validatePayloadSettings(restrictions, { ratingRegion: 'gb', safariAcceptCookies: 1.5 }).errors).toEqual([]);
    expect(paths(validatePayloadSettings(restrictions, { safariAcceptCookies: 3 }).errors)).toEqual([
      `${restrictions}.safariAcceptCookies`,
    ]);
  });

  it('warns about unknown keys and keys iOS does not have, without failing', () => {
    const report = validatePayloadSettings(PASSCODE, { minLength: 6, minLenght: 6, changeAtNextAuth: true });
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([
      { path: `${PASSCODE}.minLenght`, message: 'unknown key; iOS will ignore it' },
      { path: `${PASSCODE}.changeAtNextAuth`, message: 'not supported on iOS; the device ignores it' },
    ]);
  });

  it('refuses an unknown payload type', () => {
    expect(validatePayloadSettings('com.example.nope', {}).errors).toEqual([
      { path: 'com.example.nope', message: 'unknown payload type com.example.nope' },
    ]);
  });

  it('requires required keys, and checks data and nested dictionaries', () => {
    const webClip = 'com.apple.webClip.managed';
    expect(validatePayloadSettings(webClip, { Label: 'Intranet' }).errors).toEqual([
      { path: `${webClip}.URL`, message: 'required key is missing' },
    ]);
    const wifi = 'com.apple.wifi.managed';
    const pkcs12 = 'com.apple.security.pkcs12';
    expect(validatePayloadSettings(pkcs12, { PayloadContent: { $data: 'AAEC' } }).errors).toEqual([]);
    expect(validatePayloadSettings(pkcs12, { PayloadContent: 'AAEC' }).errors).toEqual([
      { path: `${pkcs12}.PayloadContent`, message: 'must be data as { "$data": "<base64>" }, got a string ("AAEC")' },
    ]);
    expect(paths(validatePayloadSettings(pkcs12, { PayloadContent: { $data: 'not base64!' } }).errors)).toEqual([
      `${pkcs12}.PayloadContent`,
    ]);
    const errors = validatePayloadSettings(wifi, { SSID_STR: 'x', EAPClientConfiguration: { AcceptEAPTypes: ['13'] } }).errors;
    expect(paths(errors)).toEqual([`${wifi}.EAPClientConfiguration.AcceptEAPTypes[0]`]);
  });

  it('follows the recursive home-screen layout into folders', () => {
    const type = 'com.apple.homescreenlayout';
    const folder = (pages: unknown) => ({ Pages: [[{ Type: 'Folder', DisplayName: 'Work', Pages: pages }]] });
    expect(validatePayloadSettings(type, folder([[{ Type: 'App', BundleID: 'com.apple.mobilesafari' }]])).errors).toEqual([]);
    expect(validatePayloadSettings(type, folder([[{ Type: 'Widget' }]])).errors).toEqual([
      { path: `${type}.Pages[0][0].Pages[0][0].Type`, message: 'must be one of App, Folder, WebClip, got Widget' },
    ]);
  });

  it('refuses null, which a plist cannot carry', () => {
    expect(validatePayloadSettings(PASSCODE, { minLength: null }).errors).toEqual([
      { path: `${PASSCODE}.minLength`, message: 'must not be null: plists have no null' },
    ]);
  });
});

describe('validateCommand', () => {
  it('requires the keys Apple marks required', () => {
    expect(validateCommand({ RequestType: 'InstallProfile' }).errors).toEqual([
      { path: 'command.Payload', message: 'required key is missing' },
    ]);
    expect(validateCommand({ RequestType: 'InstallProfile', Payload: { $data: 'PD94bWw+' } })).toEqual({ errors: [], warnings: [] });
  });

  it('checks EraseDevice key types, nested ones included', () => {
    expect(validateCommand({ RequestType: 'EraseDevice', PreserveDataPlan: true })).toEqual({ errors: [], warnings: [] });
    const { errors, warnings } = validateCommand({
      RequestType: 'EraseDevice',
      PreserveDataPlan: 'true',
      ReturnToService: { Enabled: 1, WiFiProfileData: { $data: 'AA==' } },
      PIN: '123456',
    });
    expect(errors).toEqual([
      { path: 'command.PreserveDataPlan', message: 'must be a boolean, got a string ("true")' },
      { path: 'command.ReturnToService.Enabled', message: 'must be a boolean, got number 1' },
    ]);
    expect(warnings).toEqual([{ path: 'command.PIN', message: 'not supported on iOS; the device ignores it' }]);
  });

  it('refuses an unknown RequestType and points at raw sending', () => {
    expect(validateCommand({ RequestType: 'MakeCoffee' }).errors).toEqual([
      { path: 'command.RequestType', message: 'unknown RequestType MakeCoffee (send it raw to bypass)' },
    ]);
  });

  it('wants DeviceInformation Queries as an array of strings, and warns about unknown queries', () => {
    expect(validateCommand({ RequestType: 'DeviceInformation', Queries: ['UDID', 'OSVersion', 'IsSupervised'] })).toEqual({
      errors: [],
      warnings: [],
    });
    expect(validateCommand({ RequestType: 'DeviceInformation', Queries: 'UDID' }).errors).toEqual([
      { path: 'command.Queries', message: 'must be an array, got a string ("UDID")' },
    ]);
    const report = validateCommand({ RequestType: 'DeviceInformation', Queries: ['UDID', 7, 'ShoeSize'] });
    expect(report.errors).toEqual([{ path: 'command.Queries[1]', message: 'must be a string, got number 7' }]);
    expect(paths(report.warnings)).toEqual(['command.Queries[2]']);
    expect(paths(validateCommand({ RequestType: 'DeviceInformation' }).errors)).toEqual(['command.Queries']);
  });

  it('tells the Settings items apart by their Item value', () => {
    const ok = validateCommand({
      RequestType: 'Settings',
      Settings: [
        { Item: 'DataRoaming', Enabled: false },
        { Item: 'Wallpaper', Image: { $data: 'AA==' }, Where: 3 },
      ],
    });
    expect(ok).toEqual({ errors: [], warnings: [] });
    const bad = validateCommand({
      RequestType: 'Settings',
      Settings: [{ Item: 'Wallpaper', Image: { $data: 'AA==' }, Where: 4 }, { Item: 'Teleport' }, { Enabled: true }],
    });
    expect(paths(bad.errors)).toEqual(['command.Settings[0].Where', 'command.Settings[1].Item', 'command.Settings[2].Item']);
  });
});

describe('applicability', () => {
  const unsupervised17 = { supervised: false, osVersion: '17.5.1' };

  it('keeps supervised-only commands and payloads from unsupervised devices', () => {
    expect(commandApplicability('RestartDevice', unsupervised17)).toEqual({ ok: false, reason: 'requires supervision' });
    expect(commandApplicability('RestartDevice', { supervised: true, osVersion: '17.5.1' })).toEqual({ ok: true });
    expect(payloadApplicability('com.apple.app.lock', unsupervised17)).toEqual({ ok: false, reason: 'requires supervision' });
    expect(payloadApplicability(PASSCODE, unsupervised17)).toEqual({ ok: true });
  });

  it('blocks what the device iOS is too old for, comparing versions numerically', () => {
    expect(payloadApplicability('com.apple.relay.managed', { supervised: true, osVersion: '16.7.10' })).toEqual({
      ok: false,
      reason: 'requires iOS 17.0 (device has 16.7.10)',
    });
    expect(payloadApplicability('com.apple.relay.managed', { supervised: true, osVersion: '17.0' })).toEqual({ ok: true });
    expect(commandApplicability('RestartDevice', { supervised: true, osVersion: '10.2' })).toEqual({
      ok: false,
      reason: 'requires iOS 10.3 (device has 10.2)',
    });
    expect(payloadApplicability('com.apple.osxserver.account', { supervised: false, osVersion: '12.0' })).toEqual({
      ok: false,
      reason: 'removed in iOS 12.0 (device has 12.0)',
    });
  });

  it('lets unknown facts and unknown types through: the server cannot tell', () => {
    expect(commandApplicability('RestartDevice', { supervised: null, osVersion: null })).toEqual({ ok: true });
    expect(payloadApplicability('com.apple.relay.managed', { supervised: null, osVersion: 'unknown' })).toEqual({ ok: true });
    expect(commandApplicability('MakeCoffee', unsupervised17)).toEqual({ ok: true });
  });

  it('lists restriction keys an unsupervised device will ignore', () => {
    const settings = { allowAirDrop: false, allowCamera: false, allowAccountModification: false };
    expect(ignoredSettings('com.apple.applicationaccess', settings, unsupervised17)).toEqual([
      { path: 'com.apple.applicationaccess.allowAirDrop', message: 'requires supervision' },
      { path: 'com.apple.applicationaccess.allowAccountModification', message: 'requires supervision' },
    ]);
    expect(ignoredSettings('com.apple.applicationaccess', settings, { supervised: true, osVersion: '17.5' })).toEqual([]);
  });
});

describe('compareOsVersions', () => {
  it.each([
    ['17.5', '17.10', -1],
    ['17.10', '17.5', 1],
    ['17.0', '17', 0],
    ['18.0.1', '18.0', 1],
    ['9.3.2', '10.0', -1],
    ['18.1 (22B83)', '18.1', 0],
  ] as const)('%s vs %s', (a, b, want) => {
    expect(compareOsVersions(a, b)).toBe(want);
  });

  it('refuses what is not a version', () => {
    expect(() => compareOsVersions('iOS', '17')).toThrow('not an OS version: iOS');
  });
});
