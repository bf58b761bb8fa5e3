import { parsePlistDict } from '@mdm/protocol';
import { deliveryBody } from './envelope';
import { hasNanoMdmMapping, toNanoMdmEvent } from './nanomdm';

const occurredAt = new Date('2026-03-01T12:00:00.000Z');
const udid = '00008030-000A1B2C3D4E5F60';
const enrollmentId = '5f1d7c1e-6a43-4b8e-9a43-0d7f0b5e2a11';
const plistOf = (b64: string) => parsePlistDict(Buffer.from(b64, 'base64'));

describe('NanoMDM webhook format', () => {
  it('maps Authenticate with the device\'s own body when the event carries it', () => {
    const raw = Buffer.from('<?xml version="1.0"?><plist version="1.0"><dict><key>MessageType</key><string>Authenticate</string></dict></plist>').toString('base64');
    const ev = toNanoMdmEvent({
      eventId: 'e-1',
      type: 'device.authenticated',
      occurredAt,
      data: { udid, enrollmentId, serialNumber: 'F2LXK0ABHG7F', productName: 'iPhone15,2', osVersion: '17.5', reenrollment: false, rawPayload: raw },
    });
    expect(ev).toEqual({ topic: 'mdm.Authenticate', event_id: 'e-1', created_at: '2026-03-01T12:00:00.000Z', checkin_event: { udid, raw_payload: raw } });
  });

  it('rebuilds a check-in plist from the event when there is no raw body', () => {
    const ev = toNanoMdmEvent({
      eventId: 'e-2',
      type: 'device.authenticated',
      occurredAt,
      data: { udid, enrollmentId, serialNumber: 'F2LXK0ABHG7F', productName: null, osVersion: '17.5', reenrollment: true },
    });
    expect(plistOf(ev!.checkin_event!.raw_payload)).toEqual({ MessageType: 'Authenticate', UDID: udid, SerialNumber: 'F2LXK0ABHG7F', OSVersion: '17.5' });
  });

  it('maps TokenUpdate with its tally, and CheckOut', () => {
    const token = toNanoMdmEvent({ eventId: 'e-3', type: 'device.token_updated', occurredAt, data: { udid, enrollmentId, count: 1 } });
    expect(token).toMatchObject({ topic: 'mdm.TokenUpdate', checkin_event: { udid, token_update_tally: 1 } });
    expect(plistOf(token!.checkin_event!.raw_payload)).toMatchObject({ MessageType: 'TokenUpdate', UDID: udid });
    const out = toNanoMdmEvent({ eventId: 'e-4', type: 'device.checked_out', occurredAt, data: { udid, enrollmentId, canceledCommands: 2 } });
    expect(out).toMatchObject({ topic: 'mdm.CheckOut', checkin_event: { udid } });
    expect(out!.checkin_event).not.toHaveProperty('token_update_tally');
  });

  it('maps command results to mdm.Connect with Apple\'s Status and a report plist rebuilt from the result', () => {
    const commandUuid = '9b2f4a8e-3c1d-4e5f-8a7b-6c5d4e3f2a1b';
    const ack = toNanoMdmEvent({
      eventId: 'e-5',
      type: 'command.acknowledged',
      occurredAt,
      data: {
        udid,
        deviceId: enrollmentId,
        commandUuid,
        requestType: 'DeviceInformation',
        status: 'ACKNOWLEDGED',
        notNowCount: 0,
        answer: { QueryResponses: { OSVersion: '17.5', IsSupervised: true, Blob: { $data: 'AAE=' } } },
      },
    });
    expect(ack).toMatchObject({ topic: 'mdm.Connect', event_id: 'e-5', acknowledge_event: { udid, status: 'Acknowledged', command_uuid: commandUuid } });
    expect(plistOf(ack!.acknowledge_event!.raw_payload)).toEqual({
      UDID: udid,
      CommandUUID: commandUuid,
      Status: 'Acknowledged',
      QueryResponses: { OSVersion: '17.5', IsSupervised: true, Blob: Buffer.from([0, 1]) },
    });
    const err = toNanoMdmEvent({
      eventId: 'e-6',
      type: 'command.error',
      occurredAt,
      data: { udid, deviceId: enrollmentId, commandUuid, requestType: 'InstallProfile', status: 'ERROR', notNowCount: 0, errorChain: [{ ErrorCode: 12, ErrorDomain: 'MCProfileErrorDomain' }] },
    });
    expect(err!.acknowledge_event!.status).toBe('Error');
    expect(plistOf(err!.acknowledge_event!.raw_payload)).toMatchObject({ Status: 'Error', ErrorChain: [{ ErrorCode: 12, ErrorDomain: 'MCProfileErrorDomain' }] });
    expect(toNanoMdmEvent({ eventId: 'e', type: 'command.format_error', occurredAt, data: { udid, commandUuid } })!.acknowledge_event!.status).toBe('CommandFormatError');
    expect(toNanoMdmEvent({ eventId: 'e', type: 'command.not_now', occurredAt, data: { udid, commandUuid } })!.acknowledge_event!.status).toBe('NotNow');
  });

  it('has no message for other events, so nanomdm webhooks are not sent them', () => {
    for (const type of ['device.enrolled', 'command.queued', 'command.sent', 'command.queued.v2', 'command.sent.v2', 'push.sent', 'apns.certificate.expiring']) {
      expect(hasNanoMdmMapping(type)).toBe(false);
      expect(toNanoMdmEvent({ eventId: 'e', type, occurredAt, data: { udid } })).toBeUndefined();
      expect(deliveryBody('nanomdm', { eventId: 'e', type, udid, occurredAt, data: { udid } })).toBeUndefined();
    }
  });

  it('sends this server\'s envelope in the mdm format', () => {
    const body = deliveryBody('mdm', { eventId: 'e-7', type: 'push.sent', udid, occurredAt, data: { udid, deviceId: enrollmentId } });
    expect(JSON.parse(body!)).toEqual({ id: 'e-7', type: 'push.sent', occurredAt: '2026-03-01T12:00:00.000Z', data: { udid, deviceId: enrollmentId } });
  });
});
