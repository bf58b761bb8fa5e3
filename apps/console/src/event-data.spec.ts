import { decodeBase64Text, decodedFields, matchesTypes, summarize } from './event-data';

describe('matchesTypes', () => {
  it('takes exact types and prefix.* patterns, comma-separated, as the API does', () => {
    expect(matchesTypes('command.acknowledged', 'command.*')).toBe(true);
    expect(matchesTypes('command.acknowledged', 'device.enrolled, command.*')).toBe(true);
    expect(matchesTypes('commandx.acknowledged', 'command.*')).toBe(false);
    expect(matchesTypes('device.enrolled', 'device.enrolled')).toBe(true);
    expect(matchesTypes('device.enrolled', 'device.checked_out')).toBe(false);
    expect(matchesTypes('anything', ' ')).toBe(true);
  });
});

describe('decodeBase64Text', () => {
  const plist = '<?xml version="1.0"?><plist><dict><key>MessageType</key><string>Authenticate</string></dict></plist>';

  it('decodes base64 of text', () => {
    expect(decodeBase64Text(btoa(plist))).toBe(plist);
  });

  it('leaves short strings, non-base64 and binary alone', () => {
    expect(decodeBase64Text('abcd')).toBeUndefined();
    expect(decodeBase64Text('not base64 at all, even if it is long enough')).toBeUndefined();
    expect(decodeBase64Text(btoa(String.fromCharCode(0, 1, 2, 3, 255, 254, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)))).toBeUndefined();
  });
});

describe('decodedFields', () => {
  it('finds base64 text at any depth, naming where', () => {
    const data = { udid: 'ABC', rawPayload: btoa('<plist>hello there, operator</plist>'), result: { list: [btoa('{"json": "inside base64"}')] } };
    expect(decodedFields(data)).toEqual([
      { path: 'rawPayload', text: '<plist>hello there, operator</plist>' },
      { path: 'result.list[0]', text: '{"json": "inside base64"}' },
    ]);
    expect(decodedFields({ udid: 'ABC', count: 3 })).toEqual([]);
  });
});

describe('summarize', () => {
  it('joins the telling fields, or says data', () => {
    expect(summarize({ requestType: 'DeviceInformation', status: 'Acknowledged', udid: 'x' })).toBe('DeviceInformation · Acknowledged');
    expect(summarize({ udid: 'x' })).toBe('data');
  });

  it('says how many devices a summarised event names, and the first few', () => {
    const devices = (...udids: string[]) => udids.map((udid, i) => ({ udid, deviceId: `id-${i}` }));
    expect(summarize({ requestType: 'ProfileList', status: 'QUEUED', devices: devices('A') })).toBe('ProfileList · QUEUED · A');
    expect(summarize({ requestType: 'ProfileList', status: 'SENT', devices: devices('A', 'B', 'C', 'D', 'E') })).toBe('ProfileList · SENT · 5 devices: A, B, C and 2 more');
    expect(summarize({ devices: devices('A', 'B') })).toBe('2 devices: A, B');
  });
});
