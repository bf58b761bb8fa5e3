import { preferIndexLookups, type Sql } from '../sql';

/** What a DeviceInformation answer says about the device; a fact it left out is absent. */
export interface ReportedDeviceFacts {
  serialNumber?: string;
  productName?: string;
  model?: string;
  modelName?: string;
  deviceName?: string;
  osVersion?: string;
  buildVersion?: string;
  isSupervised?: boolean;
}

/**
 * What the command channel learns about devices, written to `devices` by its owner, the enrollment service
 * (the command service reports it with a `device.seen` job and `device.inventory_updated` events).
 */
export const DeviceActivityStore = {
  /**
   * `last_seen_at` of each device (parallel arrays), in the caller's transaction. A time never moves back:
   * an Authenticate or check-in may have written a newer one meanwhile.
   */
  async markSeen(tx: Sql, deviceIds: readonly string[], seenAt: readonly Date[]): Promise<void> {
    if (!deviceIds.length) return;
    // One primary-key lookup per device, whatever the statistics say right after a bulk enrollment.
    await preferIndexLookups(tx);
    await tx.query(
      `UPDATE devices d SET last_seen_at = v.seen_at
         FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, seen_at)
        WHERE d.id = v.id AND (d.last_seen_at IS NULL OR d.last_seen_at < v.seen_at)`,
      [deviceIds, seenAt],
    );
  },

  /** The device's facts: one the answer left out keeps its previous value. */
  async applyFacts(tx: Sql, deviceId: string, facts: ReportedDeviceFacts): Promise<void> {
    await tx.query(
      `UPDATE devices SET
              serial_number = COALESCE($2, serial_number), product_name = COALESCE($3, product_name),
              model = COALESCE($4, model), model_name = COALESCE($5, model_name), device_name = COALESCE($6, device_name),
              os_version = COALESCE($7, os_version), build_version = COALESCE($8, build_version),
              is_supervised = COALESCE($9, is_supervised), updated_at = now()
        WHERE id = $1`,
      [
        deviceId,
        facts.serialNumber ?? null,
        facts.productName ?? null,
        facts.model ?? null,
        facts.modelName ?? null,
        facts.deviceName ?? null,
        facts.osVersion ?? null,
        facts.buildVersion ?? null,
        facts.isSupervised ?? null,
      ],
    );
  },
};
