import type { CommandStatus } from '../command-status';
import type { JsonObject, JsonValue } from './json';

/** One device's delivery of a command. */
export interface CommandDeliveryView {
  udid: string;
  status: CommandStatus;
  statusReason: string | null;
  notNowCount: number;
  errorChain: JsonValue[] | null;
  result: JsonObject | null;
  queuedAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  completedAt: string | null;
}

/** A command with a page of its deliveries (GET /v1/commands/:uuid). */
export interface CommandView {
  commandUuid: string;
  requestType: string;
  command: JsonObject;
  createdAt: string;
  expiresAt: string | null;
  /** Devices the command targets, and how many are in each status. */
  total: number;
  counts: Partial<Record<CommandStatus, number>>;
  limit: number;
  offset: number;
  devices: CommandDeliveryView[];
  /** What Apple's schema doesn't know about the command as sent (unknown keys). */
  warnings?: string[];
}

/** A command in the list: what it is and where it stands across its devices. */
export type CommandSummary = Pick<CommandView, 'commandUuid' | 'requestType' | 'createdAt' | 'expiresAt' | 'total' | 'counts'>;

/** A command still waiting for a device: what an operator can see and cancel. */
export interface PendingCommandView {
  commandUuid: string;
  requestType: string;
  status: CommandStatus;
  notNowCount: number;
  queuedAt: string;
  expiresAt: string | null;
}
