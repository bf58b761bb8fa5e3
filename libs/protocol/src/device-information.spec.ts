import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_DEVICE_INFORMATION_QUERIES, parseDeviceInformation, tokenHex } from './device-information';
import { isPlistDict } from './plist-value';
import { parseReport } from './report';
import { describeWithShared, sharedPath } from '../../../test/support/shared-checkout';

const FIXTURES = sharedPath('fixtures/nanomdm');
const withFixtures = describeWithShared(FIXTURES);

const SCHEMA = sharedPath('apple-device-management/mdm/commands/information.device.yaml');
const withSchema = describeWithShared(SCHEMA);

describe('parseDeviceInformation', () => {
  it('maps the known keys', () => {
    const info = parseDeviceInformation({
      UDID: 'u',
      SerialNumber: 'F5JM992LF193',
      ProductName: 'iPhone14,2',
      Model: 'MLPF3',
      ModelName: 'iPhone',
      ModelNumber: 'MLPF3',
      DeviceName: "Ann's iPhone",
      OSVersion: '17.4',
      BuildVersion: '21E219',
      IsSupervised: true,
      IMEI: '35 000000 000000 0',
      MEID: '35000000000000',
      IsActivationLockEnabled: false,
      DeviceCapacity: 119.2,
      BatteryLevel: 0.5,
      LastCloudBackupDate: new Date('2024-01-31T12:00:00Z'),
      HostName: 'ignored',
    });
    expect(info).toEqual({
      udid: 'u',
      serialNumber: 'F5JM992LF193',
      productName: 'iPhone14,2',
      model: 'MLPF3',
      modelName: 'iPhone',
      modelNumber: 'MLPF3',
      deviceName: "Ann's iPhone",
      osVersion: '17.4',
      buildVersion: '21E219',
      isSupervised: true,
      imei: '35 000000 000000 0',
      meid: '35000000000000',
      isActivationLockEnabled: false,
      deviceCapacity: 119.2,
      batteryLevel: 0.5,
      lastCloudBackupDate: new Date('2024-01-31T12:00:00Z'),
    });
  });

  it('ignores missing keys and values of the wrong type', () => {
    expect(parseDeviceInformation({})).toEqual({});
    expect(
      parseDeviceInformation({ UDID: 7, IsSupervised: 'true', OSVersion: ['17'], DeviceCapacity: '64', SerialNumber: 'S' }),
    ).toEqual({ serialNumber: 'S' });
  });

  withFixtures('on a real report', () => {
    it('reads the UDID out of DeviceInformation.1', () => {
      const report = parseReport(fs.readFileSync(path.join(FIXTURES, 'DeviceInformation.1.plist')));
      const responses = report.body.QueryResponses;
      if (!isPlistDict(responses)) throw new Error('QueryResponses should be a dict');
      expect(parseDeviceInformation(responses)).toEqual({ udid: '66ADE930-5FDF-5EC4-8429-15640684C489' });
    });
  });
});

withSchema('DEFAULT_DEVICE_INFORMATION_QUERIES', () => {
  it('asks only for keys that Apple lists as query responses', () => {
    const yaml = fs.readFileSync(SCHEMA, 'utf8');
    for (const key of DEFAULT_DEVICE_INFORMATION_QUERIES) {
      expect(yaml).toContain(`  - key: ${key}\n`);
    }
    expect(DEFAULT_DEVICE_INFORMATION_QUERIES).toEqual(expect.arrayContaining(['UDID', 'SerialNumber', 'IsSupervised', 'OSVersion']));
    expect(new Set(DEFAULT_DEVICE_INFORMATION_QUERIES).size).toBe(DEFAULT_DEVICE_INFORMATION_QUERIES.length);
  });
});

describe('tokenHex', () => {
  it('is lowercase hex of every byte', () => {
    expect(tokenHex(Buffer.from([0x00, 0x0a, 0xab, 0xff]))).toBe('000aabff');
    expect(tokenHex(Buffer.from('R+juwGLC9ynsFwPBs+GPGXHYXwC+dkRdNAgLqnAbX1E=', 'base64'))).toBe(
      '47e8eec062c2f729ec1703c1b3e18f1971d85f00be76445d34080baa701b5f51',
    );
  });
});
