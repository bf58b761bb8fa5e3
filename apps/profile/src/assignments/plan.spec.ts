import { type DesiredProfile, type DeviceFacts, type DeviceProfileRow, findConflicts, matchesRule, planDevice, REMOVE_FAILED, VERIFYING } from './plan';

const device = (over: Partial<DeviceFacts> = {}): DeviceFacts => ({
  id: 'd1',
  udid: 'UDID-1',
  enrolled: true,
  inventoried: true,
  supervised: false,
  osVersion: '17.5',
  productName: 'iPhone15,2',
  ...over,
});

let clock = 0;
const profile = (identifier: string, payloadTypes: string[], version = 1): DesiredProfile => ({
  profileId: `p-${identifier}`,
  identifier,
  version,
  createdAt: new Date(++clock * 1000),
  payloadTypes,
});

const row = (p: DesiredProfile, over: Partial<DeviceProfileRow> = {}): DeviceProfileRow => ({
  profileId: p.profileId,
  identifier: p.identifier,
  desired: true,
  desiredVersion: p.version,
  installedVersion: null,
  status: 'pending',
  reason: null,
  conflicts: null,
  action: null,
  failedVersion: null,
  ...over,
});

const PASSCODE = 'com.apple.mobiledevice.passwordpolicy';

describe('planDevice', () => {
  it('installs what is missing or outdated, and nothing that is current', () => {
    const fresh = profile('fresh', [PASSCODE]);
    const outdated = profile('outdated', [PASSCODE], 3);
    const current = profile('current', [PASSCODE], 2);
    const plan = planDevice(device(), [fresh, outdated, current], [row(outdated, { installedVersion: 2, status: 'installed' }), row(current, { installedVersion: 2, status: 'installed' })]);
    const byId = new Map(plan.changes.map((c) => [c.identifier, c]));
    expect(byId.get('fresh')).toMatchObject({ status: 'pending', action: { kind: 'install', version: 1 } });
    expect(byId.get('outdated')).toMatchObject({ status: 'pending', reason: 'updating from version 2', action: { kind: 'install', version: 3 } });
    expect(byId.get('current')).toMatchObject({ status: 'installed' });
    expect(byId.get('current')?.action).toBeUndefined();
  });

  it('blocks a supervised-only payload on an unsupervised device and one newer than its iOS', () => {
    const kiosk = profile('kiosk', ['com.apple.app.lock']);
    const ethernet = profile('ethernet', ['com.apple.globalethernet.managed']);
    const plan = planDevice(device({ osVersion: '16.7' }), [kiosk, ethernet], []);
    expect(plan.changes.map((c) => [c.identifier, c.status, c.action])).toEqual([
      ['kiosk', 'blocked', undefined],
      ['ethernet', 'blocked', undefined],
    ]);
    expect(plan.changes[0]!.reason).toMatch(/supervis/);
    expect(plan.changes[1]!.reason).toMatch(/17\.0/);
    expect(planDevice(device({ supervised: true }), [kiosk], []).changes[0]).toMatchObject({ status: 'pending', action: { kind: 'install' } });
  });

  it('sends nothing before the device is enrolled and inventoried, or while a command is in flight or being verified', () => {
    const p = profile('p', [PASSCODE]);
    expect(planDevice(device({ enrolled: false }), [p], []).changes[0]).toMatchObject({ status: 'pending', reason: 'waiting for the device to enroll' });
    expect(planDevice(device({ inventoried: false }), [p], []).changes[0]?.action).toBeUndefined();
    expect(planDevice(device(), [p], [row(p, { action: 'install' })]).changes[0]?.action).toBeUndefined();
    expect(planDevice(device(), [p], [row(p, { reason: VERIFYING })]).changes[0]?.action).toBeUndefined();
  });

  it('does not retry a version that failed, but does install the next one', () => {
    const p = profile('p', [PASSCODE], 2);
    expect(planDevice(device(), [p], [row(p, { status: 'failed', failedVersion: 2, reason: 'refused' })]).changes[0]).toMatchObject({ status: 'failed', reason: 'refused' });
    expect(planDevice(device(), [p], [row(p, { status: 'failed', failedVersion: 1 })]).changes[0]).toMatchObject({ action: { kind: 'install', version: 2 } });
  });

  it('removes what is installed but no longer wanted, and forgets what never arrived', () => {
    const gone = profile('gone', [PASSCODE]);
    const never = profile('never', [PASSCODE]);
    const plan = planDevice(device(), [], [row(gone, { installedVersion: 1, status: 'installed' }), row(never, { status: 'blocked' })]);
    expect(plan.changes).toEqual([expect.objectContaining({ identifier: 'gone', desired: false, status: 'removing', action: { kind: 'remove' } })]);
    expect(plan.drop).toEqual([never.profileId]);
    const failed = planDevice(device(), [], [row(gone, { installedVersion: 1, status: 'failed', failedVersion: REMOVE_FAILED })]);
    expect(failed.changes[0]?.action).toBeUndefined();
  });

  it('reports two profiles with a payload type a device holds once as a conflict on both, once', () => {
    const first = profile('first', ['com.apple.domains']);
    const second = profile('second', ['com.apple.domains', PASSCODE]);
    const third = profile('third', [PASSCODE]);
    const plan = planDevice(device(), [second, first, third], []);
    const byId = new Map(plan.changes.map((c) => [c.identifier, c]));
    expect(byId.get('first')).toMatchObject({ action: { kind: 'install' }, conflicts: [{ payloadType: 'com.apple.domains', with: [{ identifier: 'second' }] }] });
    expect(byId.get('second')).toMatchObject({ status: 'blocked', conflicts: [{ payloadType: 'com.apple.domains', with: [{ identifier: 'first' }] }] });
    expect(byId.get('second')?.reason).toContain('first');
    // Passcode policies may be several: no conflict there, iOS combines them.
    expect(byId.get('third')?.conflicts).toBeNull();
    expect(plan.newConflicts).toHaveLength(1);

    const known = [first, second].map((p) => row(p, { conflicts: plan.changes.find((c) => c.profileId === p.profileId)!.conflicts }));
    const again = planDevice(device(), [first, second], known);
    expect(again.newConflicts).toEqual([]);
  });
});

describe('groups and conflicts', () => {
  it('matches dynamic group rules on every condition, never on an unknown fact', () => {
    expect(matchesRule({ supervised: true }, device({ supervised: true }))).toBe(true);
    expect(matchesRule({ supervised: true }, device({ supervised: null }))).toBe(false);
    expect(matchesRule({ minOsVersion: '17.4', maxOsVersion: '17.9' }, device({ osVersion: '17.5' }))).toBe(true);
    expect(matchesRule({ minOsVersion: '17.10' }, device({ osVersion: '17.5' }))).toBe(false);
    expect(matchesRule({ productName: 'iPad' }, device())).toBe(false);
    expect(matchesRule({ productName: 'iPhone15,' }, device())).toBe(true);
  });

  it('lets the oldest profile keep a single-instance payload type', () => {
    const a = profile('a', ['com.apple.cellular']);
    const b = profile('b', ['com.apple.cellular']);
    const { losers } = findConflicts([b, a]);
    expect([...losers.keys()]).toEqual([b.profileId]);
  });
});
