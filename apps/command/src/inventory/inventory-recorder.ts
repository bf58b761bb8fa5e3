import type { EntityManager } from 'typeorm';
import { InventoryStore } from '@mdm/persistence';
import {
  type InventoryChange,
  type InventoryRequestType,
  diffCertificates,
  diffSecurityInfo,
  mergeDeviceInformation,
  parseInventoryAnswer,
  type PlistDict,
} from '@mdm/protocol';

/**
 * Writes an acknowledged inventory answer into the device's inventory and its history, in the transaction
 * that records the answer: the inventory never says more or less than the commands do.
 */
export async function recordInventoryAnswer(
  tx: EntityManager,
  deviceId: string,
  source: { requestType: InventoryRequestType; commandUuid: string },
  body: PlistDict,
): Promise<InventoryChange[]> {
  const answer = parseInventoryAnswer(source.requestType, body);
  if (!answer) return [];
  const current = (await InventoryStore.lock(tx, [deviceId])).get(deviceId);
  let changes: InventoryChange[];
  switch (answer.section) {
    case 'deviceInformation': {
      const merged = mergeDeviceInformation(current?.deviceInformation ?? null, answer.value);
      await InventoryStore.saveSection(tx, deviceId, answer.section, merged.value);
      changes = merged.changes;
      break;
    }
    case 'securityInfo':
      changes = diffSecurityInfo(current?.securityInfo ?? null, answer.value);
      await InventoryStore.saveSection(tx, deviceId, answer.section, answer.value);
      break;
    case 'certificates':
      changes = diffCertificates(current?.certificates ?? null, answer.value);
      await InventoryStore.saveSection(tx, deviceId, answer.section, answer.value);
      break;
    default: {
      const never: never = answer;
      throw new Error(`unknown inventory section ${JSON.stringify(never)}`);
    }
  }
  await InventoryStore.recordChanges(tx, deviceId, source, changes);
  return changes;
}
