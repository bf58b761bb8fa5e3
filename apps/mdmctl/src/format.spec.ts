import { countsLine, deliveryDetail, DEVICE_COLUMNS, eventBlock, eventLine, pageFooter, table } from './format';

describe('mdmctl output', () => {
  it('aligns columns and shows missing values as -', () => {
    const text = table(
      [
        { udid: 'A-1', serialNumber: 'F2LX', productName: 'iPhone15,2', modelName: 'iPhone', osVersion: '17.5', enrolled: true, supervised: null, lastSeenAt: null },
        { udid: 'LONGER-UDID', serialNumber: null, productName: null, modelName: null, osVersion: null, enrolled: false, supervised: true, lastSeenAt: '2025-01-01T00:00:00.000Z' },
      ],
      DEVICE_COLUMNS,
    );
    expect(text.split('\n')).toEqual([
      'UDID         SERIAL  MODEL                OS    ENROLLED  SUPERVISED  LAST SEEN',
      'A-1          F2LX    iPhone (iPhone15,2)  17.5  yes       -           -',
      'LONGER-UDID  -       -                    -     no        yes         2025-01-01T00:00:00.000Z',
    ]);
  });

  it('says which slice of a list is shown', () => {
    expect(pageFooter({ total: 523, offset: 100 }, 100, 'devices')).toBe('101-200 of 523 devices');
    expect(pageFooter({ total: 0, offset: 0 }, 0, 'devices')).toBe('no devices');
    expect(pageFooter({ total: 5, offset: 10 }, 0, 'devices')).toBe('none of 5 devices at offset 10');
  });

  it('explains a delivery by its reason or the first error of the chain', () => {
    expect(deliveryDetail({ statusReason: 'needs supervision', errorChain: null })).toBe('needs supervision');
    expect(
      deliveryDetail({ statusReason: null, errorChain: [{ ErrorDomain: 'MCMDMErrorDomain', ErrorCode: 12021, USEnglishDescription: 'Simulated failure.' }] }),
    ).toBe('MCMDMErrorDomain 12021: Simulated failure.');
    expect(deliveryDetail({ statusReason: null, errorChain: null })).toBeNull();
    expect(countsLine({ QUEUED: 3, ACKNOWLEDGED: 1 })).toBe('QUEUED 3, ACKNOWLEDGED 1');
  });

  it('puts an event on one line with its scalar fields', () => {
    const line = eventLine({
      type: 'command.error',
      udid: 'A-1',
      occurredAt: '2025-01-01T00:00:00.000Z',
      data: { udid: 'A-1', deviceId: 'x', requestType: 'DeviceInformation', status: 'ERROR', reason: 'two words', errorChain: [{}] },
    });
    expect(line).toBe('2025-01-01T00:00:00.000Z  command.error             A-1  requestType=DeviceInformation  status=ERROR  reason="two words"');
  });

  it('shows structured event data under the line, with plist and base64 data decoded', () => {
    const plist = '<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>MessageType</key><string>Authenticate</string><key>Topic</key><string>com.apple.mgmt.x</string></dict></plist>';
    const block = eventBlock({
      type: 'device.authenticated',
      udid: 'A-1',
      occurredAt: '2025-01-01T00:00:00.000Z',
      data: {
        udid: 'A-1',
        rawPayload: Buffer.from(plist).toString('base64'),
        answer: { QueryResponses: { Note: { $data: Buffer.from('hello').toString('base64') }, Seen: { $date: '2025-01-01T00:00:00Z' }, Key: { $data: 'AAEC' } } },
      },
    });
    const [first, ...rest] = block.split('\n');
    expect(first).toBe('2025-01-01T00:00:00.000Z  device.authenticated      A-1');
    expect(rest.join('\n')).toBe(
      [
        '    rawPayload: {',
        '      "MessageType": "Authenticate",',
        '      "Topic": "com.apple.mgmt.x"',
        '    }',
        '    answer: {',
        '      "QueryResponses": {',
        '        "Note": "hello",',
        '        "Seen": "2025-01-01T00:00:00Z",',
        '        "Key": "<3 bytes: 000102>"',
        '      }',
        '    }',
      ].join('\n'),
    );
    expect(block).not.toContain(Buffer.from(plist).toString('base64').slice(0, 20));
  });
});
