import type { MdmEvent } from '@mdm/contracts';
import { parseDeviceInformation, type PlistDict } from '@mdm/protocol';

/**
 * The `device.inventory_updated` event of a DeviceInformation answer: the facts the enrollment service keeps
 * on the device. A fact the device did not report is undefined, so it is left out of the stored event.
 */
export function deviceInventoryUpdated(udid: string, deviceId: string, queryResponses: PlistDict): MdmEvent {
  const info = parseDeviceInformation(queryResponses);
  return {
    type: 'device.inventory_updated',
    data: {
      udid,
      deviceId,
      serialNumber: info.serialNumber,
      productName: info.productName,
      model: info.model,
      modelName: info.modelName,
      deviceName: info.deviceName,
      osVersion: info.osVersion,
      buildVersion: info.buildVersion,
      isSupervised: info.isSupervised,
    },
  };
}
