import { EventSchemas } from '@mdm/contracts';
import { deviceInventoryUpdated } from './device-facts';

describe('deviceInventoryUpdated', () => {
  const deviceId = '6f1c1b0e-8a52-4d39-9d4c-2f2d1b0c0a11';

  it('carries the facts the device reported and leaves the others out of the stored event', () => {
    const event = deviceInventoryUpdated('UDID-1', deviceId, { OSVersion: '18.1', IsSupervised: false, BatteryLevel: 0.5 });
    expect(event.type).toBe('device.inventory_updated');
    const stored = JSON.parse(JSON.stringify(EventSchemas[event.type].parse(event.data)));
    expect(stored).toEqual({ udid: 'UDID-1', deviceId, osVersion: '18.1', isSupervised: false });
  });

  it('ignores a fact of the wrong type rather than storing it', () => {
    const event = deviceInventoryUpdated('UDID-1', deviceId, { SerialNumber: 42, DeviceName: 'Front desk' });
    expect(JSON.parse(JSON.stringify(event.data))).toEqual({ udid: 'UDID-1', deviceId, deviceName: 'Front desk' });
  });
});
