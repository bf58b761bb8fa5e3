import * as fs from 'fs';
import * as path from 'path';
import { CHECKIN_MESSAGE_TYPES, deviceIdOf, parseCheckin } from './checkin';
import type { CheckinMessage, CheckinMessageType } from './checkin';
import { tokenHex } from './device-information';
import { ProtocolError } from './errors';
import { buildPlist } from './plist-writer';
import type { PlistDict, PlistValue } from './plist-value';
import { describeWithShared, sharedPath } from '../../../test/support/shared-checkout';

const FIXTURES = sharedPath('fixtures/nanomdm');
const withFixtures = describeWithShared(FIXTURES);

const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));

function expectRefusal(fn: () => unknown, message: string | RegExp, key?: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  const err = caught as ProtocolError;
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
  if (key !== undefined) expect(err.key).toBe(key);
}

function expectType<T extends CheckinMessageType>(msg: CheckinMessage, type: T): Extract<CheckinMessage, { MessageType: T }> {
  expect(msg.MessageType).toBe(type);
  return msg as Extract<CheckinMessage, { MessageType: T }>;
}

withFixtures('real device check-ins', () => {
  it('Authenticate.1 (iPad, iOS 9.3.5)', () => {
    const msg = expectType(parseCheckin(fixture('Authenticate.1.plist')), 'Authenticate');
    expect(msg.UDID).toBe('663b07bb783e9ade1dae4fbb92ea12afc0ce5b69');
    expect(msg.SerialNumber).toBe('F5JM992LF193');
    expect(msg.ProductName).toBe('iPad2,5');
    expect(msg.OSVersion).toBe('9.3.5');
    expect(msg.BuildVersion).toBe('13G36');
    expect(msg.Topic).toBe('com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9');
    expect(msg.DeviceName).toBeUndefined();
    expect(deviceIdOf(msg)).toBe('663b07bb783e9ade1dae4fbb92ea12afc0ce5b69');
  });

  it('Authenticate.2 (Mac) keeps keys outside the schema, such as Challenge', () => {
    const msg = expectType(parseCheckin(fixture('Authenticate.2.plist')), 'Authenticate');
    expect(msg.UDID).toBe('66ADE930-5FDF-5EC4-8429-15640684C489');
    expect(msg.DeviceName).toBe('Fruit');
    expect(msg.Model).toBe('iMac14,2');
    expect(msg.ModelName).toBe('iMac');
    expect(msg.SerialNumber).toBe('C02MT66KFLHH');
    expect(msg.Challenge).toEqual(Buffer.from('apple'));
  });

  it('TokenUpdate.1 (iPad) with an UnlockToken', () => {
    const msg = expectType(parseCheckin(fixture('TokenUpdate.1.plist')), 'TokenUpdate');
    expect(msg.UDID).toBe('663b07bb783e9ade1dae4fbb92ea12afc0ce5b69');
    expect(msg.PushMagic).toBe('CEFDF0BD-E342-4A27-8742-E930EA116B0A');
    expect(Buffer.isBuffer(msg.Token)).toBe(true);
    expect(tokenHex(msg.Token)).toBe('47e8eec062c2f729ec1703c1b3e18f1971d85f00be76445d34080baa701b5f51');
    expect(msg.AwaitingConfiguration).toBe(false);
    expect(msg.Topic).toBe('com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9');
    expect(msg.UnlockToken?.length).toBe(1288);
    expect(msg.UnlockToken?.subarray(0, 4).toString('latin1')).toBe('DATA');
  });

  it('TokenUpdate.1.txt: the fields it lists belong to the same device, as sent in its Authenticate', () => {
    // The .txt lists BuildVersion/OSVersion/ProductName, which the TokenUpdate body does not carry;
    // they arrive in Authenticate.1 from the same UDID, which is where a server records them.
    const expected = fs
      .readFileSync(path.join(FIXTURES, 'TokenUpdate.1.txt'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => line.split('\t') as [string, string]);
    expect(expected.length).toBeGreaterThan(0);
    const auth = parseCheckin(fixture('Authenticate.1.plist'));
    const update = parseCheckin(fixture('TokenUpdate.1.plist'));
    expect(deviceIdOf(update)).toBe(deviceIdOf(auth));
    for (const [key, value] of expected) expect(auth[key]).toBe(value);
  });

  it('TokenUpdate.2 (Mac) without an UnlockToken', () => {
    const msg = expectType(parseCheckin(fixture('TokenUpdate.2.plist')), 'TokenUpdate');
    expect(msg.UDID).toBe('66ADE930-5FDF-5EC4-8429-15640684C489');
    expect(msg.PushMagic).toBe('888CEB39-BFFA-40F6-89FA-B60752EB63C2');
    expect(tokenHex(msg.Token)).toBe('1ba7c90066c50f77689a24f3a425caf68a300f729e88e460a9416022d5d642cc');
    expect(msg.UnlockToken).toBeUndefined();
  });
});

const TOPIC = 'com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9';
const UDID = '00008030-000A1D2E3F40802E';

/** A minimal valid body for each message type, as an iOS device would send it. */
const VALID: Record<CheckinMessageType, PlistDict> = {
  Authenticate: { MessageType: 'Authenticate', Topic: TOPIC, UDID, SerialNumber: 'F5JM992LF193' },
  TokenUpdate: { MessageType: 'TokenUpdate', Topic: TOPIC, UDID, Token: Buffer.from([1, 2, 255]), PushMagic: 'magic' },
  CheckOut: { MessageType: 'CheckOut', Topic: TOPIC, UDID },
  UserAuthenticate: { MessageType: 'UserAuthenticate', UDID, UserID: 'user-guid' },
  SetBootstrapToken: { MessageType: 'SetBootstrapToken', UDID, BootstrapToken: Buffer.from('bootstrap') },
  GetBootstrapToken: { MessageType: 'GetBootstrapToken', UDID, AwaitingConfiguration: true },
  DeclarativeManagement: { MessageType: 'DeclarativeManagement', UDID, Endpoint: 'tokens', Data: Buffer.from('{}') },
  GetToken: {
    MessageType: 'GetToken',
    UDID,
    TokenServiceType: 'com.apple.watch.pairing',
    TokenParameters: { PhoneUDID: 'p', WatchUDID: 'w', SecurityToken: 's' },
  },
};

describe('parseCheckin', () => {
  it('covers all eight message types', () => {
    expect([...CHECKIN_MESSAGE_TYPES].sort()).toEqual(Object.keys(VALID).sort());
  });

  it.each(CHECKIN_MESSAGE_TYPES.map((t) => [t]))('parses a %s', (type) => {
    const msg = parseCheckin(buildPlist(VALID[type]));
    expect(msg.MessageType).toBe(type);
    expect(msg).toEqual(VALID[type]);
    expect(deviceIdOf(msg)).toBe(UDID);
  });

  it('narrows on MessageType', () => {
    const msg = parseCheckin(buildPlist(VALID.TokenUpdate));
    if (msg.MessageType !== 'TokenUpdate') throw new Error('expected TokenUpdate');
    // Compiles only because the union narrowed: Token is Buffer here.
    expect(msg.Token.toString('hex')).toBe('0102ff');
  });

  it('accepts a user enrollment identified by EnrollmentID alone', () => {
    for (const type of ['Authenticate', 'TokenUpdate', 'CheckOut', 'DeclarativeManagement', 'GetToken'] as const) {
      const body: PlistDict = { ...VALID[type], EnrollmentID: 'enrollment-1' };
      delete body.UDID;
      const msg = parseCheckin(buildPlist(body));
      expect(msg.UDID).toBeUndefined();
      expect(deviceIdOf(msg)).toBe('enrollment-1');
    }
  });

  it('keeps unknown keys and Shared iPad user-channel keys', () => {
    const msg = parseCheckin(
      buildPlist({ ...VALID.TokenUpdate, UserShortName: 'appleid@example.com', UserID: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', FutureKey: [1, 2] }),
    );
    expect(msg.UserShortName).toBe('appleid@example.com');
    expect(msg.FutureKey).toEqual([1, 2]);
  });

  it('refuses a body without MessageType', () => {
    expectRefusal(() => parseCheckin(buildPlist({ UDID })), 'check-in: missing required key "MessageType"', 'MessageType');
  });

  it('refuses a MessageType that is not a string', () => {
    expectRefusal(() => parseCheckin(buildPlist({ MessageType: 3, UDID })), /key "MessageType" must be a string, got an integer/, 'MessageType');
  });

  it('refuses an unknown MessageType', () => {
    expectRefusal(() => parseCheckin(buildPlist({ MessageType: 'Bogus', UDID })), 'unknown check-in MessageType "Bogus"', 'MessageType');
    // Case matters: Apple's names are exact.
    expectRefusal(() => parseCheckin(buildPlist({ ...VALID.CheckOut, MessageType: 'checkout' })), /unknown check-in MessageType "checkout"/);
  });

  it.each([
    ['TokenUpdate', 'PushMagic'],
    ['TokenUpdate', 'Token'],
    ['TokenUpdate', 'Topic'],
    ['Authenticate', 'Topic'],
    ['CheckOut', 'Topic'],
    ['UserAuthenticate', 'UserID'],
    ['UserAuthenticate', 'UDID'],
    ['SetBootstrapToken', 'UDID'],
    ['DeclarativeManagement', 'Endpoint'],
    ['GetToken', 'TokenServiceType'],
  ] as const)('%s: refuses a missing %s', (type, key) => {
    const body: PlistDict = { ...VALID[type] };
    delete body[key];
    expectRefusal(() => parseCheckin(buildPlist(body)), `${type}: missing required key "${key}"`, key);
  });

  it('refuses a device-channel message with neither UDID nor EnrollmentID', () => {
    const body: PlistDict = { ...VALID.Authenticate };
    delete body.UDID;
    expectRefusal(() => parseCheckin(buildPlist(body)), 'Authenticate: missing required key "UDID" (or "EnrollmentID" for a user enrollment)', 'UDID');
  });

  it.each<[CheckinMessageType, string, PlistValue, string]>([
    ['TokenUpdate', 'Token', 'R+juwGLC9ynsFwPBs+GPGXHYXwC+dkRdNAgLqnAbX1E=', 'must be data'],
    ['TokenUpdate', 'PushMagic', Buffer.from('magic'), 'must be a string'],
    ['TokenUpdate', 'UnlockToken', 'not data', 'must be data'],
    ['TokenUpdate', 'AwaitingConfiguration', 'false', 'must be a boolean'],
    ['Authenticate', 'UDID', 42, 'must be a string'],
    ['Authenticate', 'SerialNumber', ['x'], 'must be a string'],
    ['CheckOut', 'EnrollmentID', true, 'must be a string'],
    ['DeclarativeManagement', 'Data', '{}', 'must be data'],
    ['GetToken', 'TokenParameters', 'x', 'must be a dict'],
  ])('%s: refuses a %s of the wrong type', (type, key, value, expectation) => {
    const body: PlistDict = { ...VALID[type], [key]: value };
    expectRefusal(() => parseCheckin(buildPlist(body)), `${type}: key "${key}" ${expectation}`, key);
  });

  it('names nested keys', () => {
    const body: PlistDict = { ...VALID.GetToken, TokenParameters: { PhoneUDID: 7 } };
    expectRefusal(() => parseCheckin(buildPlist(body)), 'GetToken: key "TokenParameters.PhoneUDID" must be a string', 'TokenParameters.PhoneUDID');
  });

  it('refuses bodies that are not a plist dict, as ProtocolError', () => {
    expectRefusal(() => parseCheckin(''), /empty body/);
    expectRefusal(() => parseCheckin(buildPlist(['Authenticate'])), /must be a dict/);
    expectRefusal(() => parseCheckin('<plist><dict><key>MessageType</key><string>Authenticate</string>'), /malformed/);
  });
});

describe('deviceIdOf', () => {
  it('prefers the UDID and falls back to the EnrollmentID', () => {
    expect(deviceIdOf({ UDID: 'u', EnrollmentID: 'e' })).toBe('u');
    expect(deviceIdOf({ EnrollmentID: 'e' })).toBe('e');
    expect(() => deviceIdOf({})).toThrow(ProtocolError);
  });
});
