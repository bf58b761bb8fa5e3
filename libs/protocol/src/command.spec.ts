import { buildCommandPlist, jsonToPlistValue, plistToJson } from './command';
import type { JsonValue } from './command';
import { ProtocolError } from './errors';
import { parsePlist, parsePlistDict } from './plist';
import type { PlistValue } from './plist-value';

function expectRefusal(fn: () => unknown, message: RegExp, key?: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).message).toMatch(message);
  if (key !== undefined) expect((caught as ProtocolError).key).toBe(key);
}

describe('buildCommandPlist', () => {
  it('wraps the command with its CommandUUID', () => {
    const xml = buildCommandPlist('0f5b7e9c-1a2b-4c3d-8e9f-001122334455', {
      RequestType: 'DeviceInformation',
      Queries: ['UDID', 'IsSupervised'],
    });
    expect(parsePlist(xml)).toEqual({
      CommandUUID: '0f5b7e9c-1a2b-4c3d-8e9f-001122334455',
      Command: { RequestType: 'DeviceInformation', Queries: ['UDID', 'IsSupervised'] },
    });
  });

  it('carries profile bytes as <data>', () => {
    const profile = Buffer.from('<?xml version="1.0"?><plist/>');
    const dict = parsePlistDict(buildCommandPlist('u', { RequestType: 'InstallProfile', Payload: profile }));
    expect(dict.Command).toEqual({ RequestType: 'InstallProfile', Payload: profile });
  });

  it('refuses an empty CommandUUID or RequestType', () => {
    expectRefusal(() => buildCommandPlist('', { RequestType: 'DeviceLock' }), /CommandUUID/, 'CommandUUID');
    expectRefusal(() => buildCommandPlist('u', { RequestType: '' }), /RequestType/, 'RequestType');
  });
});

describe('jsonToPlistValue', () => {
  it('converts plain JSON', () => {
    const json: unknown = JSON.parse('{"RequestType":"Settings","Settings":[{"Item":"Wallpaper","Where":1,"Ratio":0.5,"On":true}]}');
    expect(jsonToPlistValue(json)).toEqual({
      RequestType: 'Settings',
      Settings: [{ Item: 'Wallpaper', Where: 1, Ratio: 0.5, On: true }],
    });
  });

  it('turns {"$data"} into a Buffer and {"$date"} into a Date', () => {
    const value = jsonToPlistValue({ Payload: { $data: 'YXBwbGU=' }, When: { $date: '2024-01-31T12:00:00Z' }, Empty: { $data: '' } });
    expect(value).toEqual({ Payload: Buffer.from('apple'), When: new Date('2024-01-31T12:00:00Z'), Empty: Buffer.alloc(0) });
    const dict = value as { [key: string]: PlistValue };
    expect(Buffer.isBuffer(dict.Payload)).toBe(true);
    expect(dict.When).toBeInstanceOf(Date);
  });

  it('refuses null, naming the path', () => {
    expectRefusal(() => jsonToPlistValue({ Queries: ['UDID', null] }), /command\.Queries\[1\] must not be null/, 'command.Queries[1]');
    expectRefusal(() => jsonToPlistValue(null, 'payload'), /payload must not be null/, 'payload');
  });

  it('refuses values JSON cannot hold', () => {
    expectRefusal(() => jsonToPlistValue({ a: undefined }), /command\.a must be a JSON value, got undefined/, 'command.a');
    expectRefusal(() => jsonToPlistValue({ n: Infinity }), /command\.n must be a finite number/, 'command.n');
    expectRefusal(() => jsonToPlistValue(() => 1), /must be a JSON value, got function/);
  });

  it('refuses bad base64 and bad dates, naming the path', () => {
    expectRefusal(() => jsonToPlistValue({ p: { $data: 'not base64!' } }), /command\.p\.\$data must be a base64 string/, 'command.p');
    expectRefusal(() => jsonToPlistValue({ p: { $data: 'YXBwbGU' } }), /base64/, 'command.p');
    expectRefusal(() => jsonToPlistValue({ p: { $data: 42 } }), /base64/, 'command.p');
    expectRefusal(() => jsonToPlistValue({ d: { $date: 'tomorrow' } }), /command\.d\.\$date must be an ISO 8601/, 'command.d');
    expectRefusal(() => jsonToPlistValue({ d: { $date: '2024-02-30T25:00:00Z' } }), /ISO 8601/, 'command.d');
    expectRefusal(() => jsonToPlistValue({ d: { $date: '2024-01-31' } }), /ISO 8601/, 'command.d');
  });

  it('refuses a $data/$date wrapper with other keys', () => {
    expectRefusal(() => jsonToPlistValue({ p: { $data: 'YQ==', extra: 1 } }), /must have no other keys/, 'command.p');
  });

  it('refuses a "__proto__" key from JSON.parse', () => {
    const json: unknown = JSON.parse('{"__proto__":{"polluted":true}}');
    expectRefusal(() => jsonToPlistValue(json), /"__proto__" is not accepted/);
  });
});

describe('plistToJson', () => {
  it('is the reverse of jsonToPlistValue', () => {
    const json: JsonValue = {
      RequestType: 'InstallProfile',
      Payload: { $data: 'YXBwbGU=' },
      When: { $date: '2024-01-31T12:00:00.000Z' },
      List: [1, 2.5, true, 'x', { nested: { $data: '' } }],
    };
    const plist = jsonToPlistValue(json);
    expect(plistToJson(plist)).toEqual(json);
    expect(JSON.parse(JSON.stringify(plistToJson(plist)))).toEqual(json);
  });

  it('encodes Buffers and Dates', () => {
    expect(plistToJson(Buffer.from([0xff, 0x00]))).toEqual({ $data: '/wA=' });
    expect(plistToJson(new Date('2001-01-01T00:00:00Z'))).toEqual({ $date: '2001-01-01T00:00:00.000Z' });
  });
});
