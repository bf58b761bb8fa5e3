import { readableData } from './event-data';

describe('readableData', () => {
  it('prints the first devices of a summarised event by UDID and how many more it names', () => {
    const devices = Array.from({ length: 25 }, (_, i) => ({ udid: `D${i}`, deviceId: `id-${i}` }));
    expect(readableData({ devices })).toEqual({ devices: [...devices.slice(0, 10).map((d) => d.udid), '... 15 more'] });
    expect(readableData({ devices: devices.slice(0, 2) })).toEqual({ devices: ['D0', 'D1'] });
  });

  it('decodes plist data and leaves dates as strings', () => {
    expect(readableData({ at: { $date: '2026-01-01T00:00:00.000Z' }, text: { $data: Buffer.from('hello').toString('base64') } })).toEqual({
      at: '2026-01-01T00:00:00.000Z',
      text: 'hello',
    });
  });
});
