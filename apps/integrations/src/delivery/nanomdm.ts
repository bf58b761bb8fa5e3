import { buildPlist, jsonToPlistValue, type PlistDict, type PlistValue } from '@mdm/protocol';

/**
 * NanoMDM's (and MicroMDM's) webhook event, for receivers written against those servers: `topic` names the
 * MDM message (`mdm.Authenticate`, `mdm.TokenUpdate`, `mdm.CheckOut`, `mdm.Connect`), and `checkin_event` or
 * `acknowledge_event` carries the device's message as `raw_payload` (base64 XML plist). Written from the
 * event schema NanoMDM publishes (service/webhook/event.json), not from its code.
 */
export interface NanoMdmEvent {
  topic: NanoMdmTopic;
  event_id: string;
  created_at: string;
  checkin_event?: NanoMdmCheckinEvent;
  acknowledge_event?: NanoMdmAcknowledgeEvent;
}

export type NanoMdmTopic = 'mdm.Authenticate' | 'mdm.TokenUpdate' | 'mdm.CheckOut' | 'mdm.Connect';

export interface NanoMdmCheckinEvent {
  udid: string;
  raw_payload: string;
  /** mdm.TokenUpdate only: 1 for the TokenUpdate that completes an enrollment. */
  token_update_tally?: number;
}

export interface NanoMdmAcknowledgeEvent {
  udid: string;
  /** Apple's Status of the report: Acknowledged, Error, CommandFormatError, NotNow. */
  status: string;
  command_uuid: string;
  raw_payload: string;
}

const CHECKINS: Record<string, { topic: NanoMdmTopic; messageType: string }> = {
  'device.authenticated': { topic: 'mdm.Authenticate', messageType: 'Authenticate' },
  'device.token_updated': { topic: 'mdm.TokenUpdate', messageType: 'TokenUpdate' },
  'device.checked_out': { topic: 'mdm.CheckOut', messageType: 'CheckOut' },
};

/** Command result events and the Status the device reported for each. */
const REPORT_STATUS: Record<string, string> = {
  'command.acknowledged': 'Acknowledged',
  'command.error': 'Error',
  'command.format_error': 'CommandFormatError',
  'command.not_now': 'NotNow',
};

/** Whether NanoMDM's format has a message for this event type (the others are not sent to such webhooks). */
export function hasNanoMdmMapping(type: string): boolean {
  return type in CHECKINS || type in REPORT_STATUS;
}

/** The event types a `nanomdm` webhook can receive. */
export const NANOMDM_EVENT_TYPES: readonly string[] = [...Object.keys(CHECKINS), ...Object.keys(REPORT_STATUS)];

const base64Plist = (dict: PlistDict): string => Buffer.from(buildPlist(dict), 'utf8').toString('base64');

/** JSON from the event (`{"$data"}`/`{"$date"}` shapes included) back to a plist value; undefined if it has none. */
function plistOf(value: unknown): PlistValue | undefined {
  try {
    return jsonToPlistValue(value, 'event');
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length ? v : undefined);

/**
 * The NanoMDM event for one of ours, or undefined when NanoMDM has no such message. A check-in's raw payload
 * is the device's own body when the event carries it (`rawPayload`), else a plist rebuilt from the event's
 * fields; a command report's is rebuilt from the result (UDID, CommandUUID, Status, ErrorChain and the answer).
 */
export function toNanoMdmEvent(event: { eventId: string; type: string; occurredAt: Date; data: Record<string, unknown> }): NanoMdmEvent | undefined {
  const d = event.data;
  const udid = str(d['udid']) ?? '';
  const head = { event_id: event.eventId, created_at: event.occurredAt.toISOString() };
  const checkin = CHECKINS[event.type];
  if (checkin) {
    let raw = str(d['rawPayload']);
    if (!raw) {
      const dict: PlistDict = { MessageType: checkin.messageType, UDID: udid };
      for (const [from, to] of [['serialNumber', 'SerialNumber'], ['productName', 'ProductName'], ['osVersion', 'OSVersion'], ['topic', 'Topic']] as const) {
        const v = str(d[from]);
        if (v) dict[to] = v;
      }
      raw = base64Plist(dict);
    }
    const checkinEvent: NanoMdmCheckinEvent = { udid, raw_payload: raw };
    if (checkin.topic === 'mdm.TokenUpdate' && typeof d['count'] === 'number') checkinEvent.token_update_tally = d['count'];
    return { topic: checkin.topic, ...head, checkin_event: checkinEvent };
  }
  const status = REPORT_STATUS[event.type];
  if (status) {
    const commandUuid = str(d['commandUuid']) ?? '';
    const report: PlistDict = {};
    const answer = d['answer'];
    if (answer && typeof answer === 'object' && !Array.isArray(answer)) {
      for (const [k, v] of Object.entries(answer)) {
        const pv = plistOf(v);
        if (pv !== undefined) report[k] = pv;
      }
    }
    const chain = plistOf(d['errorChain']);
    if (chain !== undefined) report['ErrorChain'] = chain;
    Object.assign(report, { CommandUUID: commandUuid, Status: status, UDID: udid });
    return { topic: 'mdm.Connect', ...head, acknowledge_event: { udid, status, command_uuid: commandUuid, raw_payload: base64Plist(report) } };
  }
  return undefined;
}
