import { devicePushStatus, type DevicePushFacts, isTokenDead, unpushableReason } from './device-push-status.store';

const pushable: DevicePushFacts & { topicHasCertificate: boolean } = {
  enrolled: true,
  topic: 'com.apple.mgmt.External.a',
  pushToken: 'ab',
  pushMagic: 'magic',
  enrollmentId: '00000000-0000-4000-8000-000000000001',
  tokenUpdateCount: 3,
  deadToken: null,
  topicHasCertificate: true,
};

const deadNow = { token: 'ab', enrollmentId: pushable.enrollmentId, tokenUpdateCount: 3, at: new Date(), reason: 'Unregistered' };

describe('devicePushStatus', () => {
  it('is pushable with no reason when enrolled, with a live token, under a topic that has a certificate', () => {
    expect(devicePushStatus(pushable)).toEqual({ pushable: true, statusReason: null });
  });

  it('names the topic left without a push certificate and tells the operator what to do', () => {
    expect(devicePushStatus({ ...pushable, topicHasCertificate: false })).toEqual({
      pushable: false,
      statusReason: 'no push certificate for topic com.apple.mgmt.External.a: the device must re-enroll, or a certificate for this topic be uploaded again',
    });
  });

  it('puts the device-side reasons first: a stranded device that also checked out is simply not enrolled', () => {
    expect(devicePushStatus({ ...pushable, enrolled: false, topicHasCertificate: false }).statusReason).toBe('device is not enrolled');
    expect(devicePushStatus({ ...pushable, pushToken: null }).statusReason).toBe('device has no push token');
    expect(devicePushStatus({ ...pushable, pushMagic: null }).statusReason).toBe('device has no push token');
    expect(devicePushStatus({ ...pushable, deadToken: deadNow, topicHasCertificate: false }).statusReason).toBe(
      'push token is dead (Unregistered) until the device sends a new TokenUpdate',
    );
  });
});

describe('a dead token', () => {
  it('holds only for the TokenUpdate that brought it: a later one (same token or not) or a re-enrollment lifts it', () => {
    expect(isTokenDead({ ...pushable, deadToken: deadNow })).toBe(true);
    expect(isTokenDead({ ...pushable, deadToken: deadNow, tokenUpdateCount: 4 })).toBe(false);
    expect(isTokenDead({ ...pushable, deadToken: deadNow, pushToken: 'cd' })).toBe(false);
    expect(isTokenDead({ ...pushable, deadToken: deadNow, enrollmentId: '00000000-0000-4000-8000-000000000002' })).toBe(false);
    expect(unpushableReason({ ...pushable, deadToken: { ...deadNow, reason: null } })).toBe('push token is dead (APNs refused it) until the device sends a new TokenUpdate');
  });
});
