import * as fs from 'fs';
import * as path from 'path';
import { ProtocolError } from './errors';
import { buildPlist } from './plist-writer';
import type { PlistDict } from './plist-value';
import { COMMAND_STATUSES, parseReport } from './report';
import { describeWithShared, sharedPath } from '../../../test/support/shared-checkout';

const FIXTURES = sharedPath('fixtures/nanomdm');
const withFixtures = describeWithShared(FIXTURES);

function expectRefusal(fn: () => unknown, message: string | RegExp, key: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  const err = caught as ProtocolError;
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
  expect(err.key).toBe(key);
}

const UDID = '66ADE930-5FDF-5EC4-8429-15640684C489';
const UUID = '76eda240-5488-4989-8339-f2ae160113c4';

withFixtures('real device reports', () => {
  it('DeviceInformation.1: Acknowledged with QueryResponses', () => {
    const report = parseReport(fs.readFileSync(path.join(FIXTURES, 'DeviceInformation.1.plist')));
    expect(report.status).toBe('Acknowledged');
    expect(report.udid).toBe(UDID);
    expect(report.enrollmentId).toBeUndefined();
    expect(report.commandUuid).toBe(UUID);
    expect(report.requestType).toBe('DeviceInformation');
    expect(report.errorChain).toBeUndefined();
    expect(report.body.QueryResponses).toEqual({ HostName: 'fruit.example.com', UDID });
  });

  it('mdm-signature/idle.body: Idle without CommandUUID', () => {
    const report = parseReport(fs.readFileSync(path.join(FIXTURES, 'mdm-signature', 'idle.body.plist')));
    expect(report).toEqual({
      udid: 'D4D56083-BFB0-5047-8BDF-2727BACDC59B',
      status: 'Idle',
      body: { Status: 'Idle', UDID: 'D4D56083-BFB0-5047-8BDF-2727BACDC59B' },
    });
  });
});

describe('parseReport', () => {
  it.each(COMMAND_STATUSES.filter((s) => s !== 'Idle').map((s) => [s]))('accepts %s with a CommandUUID', (status) => {
    const report = parseReport(buildPlist({ Status: status, UDID, CommandUUID: UUID }));
    expect(report.status).toBe(status);
    expect(report.commandUuid).toBe(UUID);
  });

  it('reads the error chain of an Error, dropping malformed items', () => {
    const body: PlistDict = {
      Status: 'Error',
      UDID,
      CommandUUID: UUID,
      ErrorChain: [
        { ErrorCode: 12021, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: 'Unknown command', USEnglishDescription: 'Unknown command' },
        { ErrorCode: 'not a number', ErrorDomain: 'X' },
        'junk',
        { ErrorCode: 4, ErrorDomain: 'NSPOSIXErrorDomain' },
      ],
    };
    const report = parseReport(buildPlist(body));
    expect(report.errorChain).toEqual([
      { ErrorCode: 12021, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: 'Unknown command', USEnglishDescription: 'Unknown command' },
      { ErrorCode: 4, ErrorDomain: 'NSPOSIXErrorDomain' },
    ]);
    // The raw chain stays available.
    expect(report.body.ErrorChain).toEqual(body.ErrorChain);
  });

  it('identifies a user enrollment by its EnrollmentID', () => {
    const report = parseReport(buildPlist({ Status: 'Idle', EnrollmentID: 'enr-1' }));
    expect(report.udid).toBe('enr-1');
    expect(report.enrollmentId).toBe('enr-1');
  });

  it('refuses a missing Status', () => {
    expectRefusal(() => parseReport(buildPlist({ UDID })), 'command report: missing required key "Status"', 'Status');
  });

  it('refuses an unknown Status, naming it', () => {
    expectRefusal(() => parseReport(buildPlist({ Status: 'Done', UDID, CommandUUID: UUID })), /unknown Status "Done"/, 'Status');
    expectRefusal(() => parseReport(buildPlist({ Status: 'idle', UDID })), /unknown Status "idle"/, 'Status');
  });

  it('refuses a Status that is not a string', () => {
    expectRefusal(() => parseReport(buildPlist({ Status: true, UDID })), /key "Status" must be a string, got a boolean/, 'Status');
  });

  it('refuses a missing CommandUUID unless Idle', () => {
    expectRefusal(
      () => parseReport(buildPlist({ Status: 'Acknowledged', UDID })),
      'command report: missing required key "CommandUUID" for Status "Acknowledged"',
      'CommandUUID',
    );
    expectRefusal(() => parseReport(buildPlist({ Status: 'NotNow', UDID })), /"CommandUUID"/, 'CommandUUID');
    expect(parseReport(buildPlist({ Status: 'Idle', UDID })).commandUuid).toBeUndefined();
  });

  it('refuses a report without UDID or EnrollmentID', () => {
    expectRefusal(() => parseReport(buildPlist({ Status: 'Idle' })), /missing required key "UDID"/, 'UDID');
  });

  it('refuses identity and CommandUUID of the wrong type', () => {
    expectRefusal(() => parseReport(buildPlist({ Status: 'Idle', UDID: 12 })), /key "UDID" must be a string/, 'UDID');
    expectRefusal(
      () => parseReport(buildPlist({ Status: 'Acknowledged', UDID, CommandUUID: Buffer.from('x') })),
      /key "CommandUUID" must be a string, got data/,
      'CommandUUID',
    );
  });
});
