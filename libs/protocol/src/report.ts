import { ProtocolError } from './errors';
import { parsePlistDict } from './plist';
import { describeKind, isPlistDict } from './plist-value';
import type { PlistDict, PlistValue } from './plist-value';

export const COMMAND_STATUSES = ['Idle', 'Acknowledged', 'Error', 'CommandFormatError', 'NotNow'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

export interface ErrorChainItem {
  ErrorCode: number;
  ErrorDomain: string;
  LocalizedDescription?: string;
  USEnglishDescription?: string;
}

/** What a device PUTs to ServerURL: "I am idle" or the result of one command. */
export interface CommandReport {
  /** The device identity: the UDID, or the EnrollmentID for a user enrollment (which has no UDID). */
  udid: string;
  enrollmentId?: string;
  status: CommandStatus;
  /** Absent only when status is Idle. */
  commandUuid?: string;
  errorChain?: ErrorChainItem[];
  /** Newer OS versions echo the command's RequestType; older ones do not. */
  requestType?: string;
  /** The whole parsed dict, for QueryResponses, ProfileList and the other per-command answers. */
  body: PlistDict;
}

function isCommandStatus(value: string): value is CommandStatus {
  return (COMMAND_STATUSES as readonly string[]).includes(value);
}

function optionalString(dict: PlistDict, key: string): string | undefined {
  const value = dict[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new ProtocolError(`command report: key "${key}" must be a string, got ${describeKind(value)}`, key);
  }
  return value;
}

/**
 * Parses a command report. Status, CommandUUID (unless Idle) and the identity are validated
 * strictly because routing depends on them; everything else is the command's business and stays
 * in `body`.
 */
export function parseReport(body: Buffer | string): CommandReport {
  const dict = parsePlistDict(body);

  const status = optionalString(dict, 'Status');
  if (status === undefined) {
    throw new ProtocolError('command report: missing required key "Status"', 'Status');
  }
  if (!isCommandStatus(status)) {
    throw new ProtocolError(
      `command report: unknown Status "${status}" (expected one of ${COMMAND_STATUSES.join(', ')})`,
      'Status',
    );
  }

  const udid = optionalString(dict, 'UDID');
  const enrollmentId = optionalString(dict, 'EnrollmentID');
  const id = udid ?? enrollmentId;
  if (id === undefined) {
    throw new ProtocolError('command report: missing required key "UDID" (or "EnrollmentID" for a user enrollment)', 'UDID');
  }

  const commandUuid = optionalString(dict, 'CommandUUID');
  if (commandUuid === undefined && status !== 'Idle') {
    throw new ProtocolError(`command report: missing required key "CommandUUID" for Status "${status}"`, 'CommandUUID');
  }

  const report: CommandReport = { udid: id, status, body: dict };
  if (enrollmentId !== undefined) report.enrollmentId = enrollmentId;
  if (commandUuid !== undefined) report.commandUuid = commandUuid;
  const requestType = optionalString(dict, 'RequestType');
  if (requestType !== undefined) report.requestType = requestType;
  const errorChain = parseErrorChain(dict.ErrorChain);
  if (errorChain !== undefined) report.errorChain = errorChain;
  return report;
}

/**
 * Lenient on purpose: the error chain only explains a failure the Status already states, so a
 * malformed item is dropped rather than losing the whole result (it stays readable in `body`).
 */
function parseErrorChain(value: PlistValue | undefined): ErrorChainItem[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const items: ErrorChainItem[] = [];
  for (const entry of value) {
    if (!isPlistDict(entry)) continue;
    const { ErrorCode, ErrorDomain, LocalizedDescription, USEnglishDescription } = entry;
    if (typeof ErrorCode !== 'number' || typeof ErrorDomain !== 'string') continue;
    const item: ErrorChainItem = { ErrorCode, ErrorDomain };
    if (typeof LocalizedDescription === 'string') item.LocalizedDescription = LocalizedDescription;
    if (typeof USEnglishDescription === 'string') item.USEnglishDescription = USEnglishDescription;
    items.push(item);
  }
  return items;
}
