import { readableData } from './event-data';

describe('readableData', () => {
  it('prints the first devices of a summarised event and how many more it names', () => {
    const udids = Array.from({ length: 25 }, (_, i) => `D${i}`);
    expect(readableData({ count: 25, udids })).toEqual({ count: 25, udids: [...udids.slice(0, 10), '... 15 more'] });
    expect(readableData({ count: 2, udids: ['A', 'B'] })).toEqual({ count: 2, udids: ['A', 'B'] });
  });

  it('decodes plist data and leaves dates as strings', () => {
    expect(readableData({ at: { $date: '2026-01-01T00:00:00.000Z' }, text: { $data: Buffer.from('hello').toString('base64') } })).toEqual({
      at: '2026-01-01T00:00:00.000Z',
      text: 'hello',
    });
  });
});
