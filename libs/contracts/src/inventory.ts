import { z } from 'zod';
import { Udid } from './api';
import type { JsonValue } from './views/json';

/** `POST /v1/inventory/refresh`: ask these devices for their full inventory now. */
export const RefreshInventoryRequest = z.object({
  udids: z.array(Udid).min(1, 'udids must name at least one device').max(100_000),
});
export type RefreshInventoryRequest = z.infer<typeof RefreshInventoryRequest>;

/** `GET /v1/devices/{udid}/inventory/history`: newest first; `before` is the `next` of the previous page. */
export const InventoryHistoryQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    before: z.string().regex(/^\d{1,19}$/, 'before must be the next cursor of a previous page').optional(),
  })
  .strict();
export type InventoryHistoryQuery = z.infer<typeof InventoryHistoryQuery>;


/** The answer to a refresh: devices asked now, and those skipped with the reason (a refresh still open). */
export interface InventoryRefreshView {
  queued: string[];
  skipped: Array<{ udid: string; reason: string }>;
  commandUuids: string[];
}

export interface InventoryItemView {
  query: string;
  /** hardware, os, network, security or other. */
  group: string;
  /** Apple's type of the answer (string, boolean, real, date, data, dictionary...). */
  type: string;
  value: JsonValue;
}

export interface CertificateSummaryView {
  fingerprint: string;
  commonName: string | null;
  subject: string | null;
  issuer: string | null;
  notBefore: string | null;
  notAfter: string | null;
  isIdentity: boolean;
}

/** `GET /v1/devices/{udid}/inventory`. Dates as ISO 8601; null where the device has not answered yet. */
export interface DeviceInventoryView {
  udid: string;
  deviceInformation: InventoryItemView[];
  deviceInformationAt: string | null;
  securityInfo: { [key: string]: JsonValue } | null;
  securityInfoAt: string | null;
  certificates: CertificateSummaryView[] | null;
  certificatesAt: string | null;
  refreshRequestedAt: string | null;
  refreshSource: string | null;
  /** An inventory command is still waiting for the device: a new refresh is not queued meanwhile. */
  refreshOpen: boolean;
}

export interface InventoryChangeView {
  id: string;
  field: string;
  oldValue: JsonValue;
  newValue: JsonValue;
  changedAt: string;
  requestType: string;
  commandUuid: string | null;
}

export interface InventoryHistoryView {
  udid: string;
  changes: InventoryChangeView[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  next: string | null;
}
