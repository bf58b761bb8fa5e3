import { devicePushStatus, type DevicePushFacts } from './push-status';

const pushable: DevicePushFacts = {
  enrolled: true,
  topic: 'com.apple.mgmt.External.a',
  pushToken: 'ab',
  tokenInvalidAt: null,
  tokenInvalidReason: null,
  topicHasCertificate: true,
};

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
    expect(devicePushStatus({ ...pushable, tokenInvalidAt: new Date(), tokenInvalidReason: 'Unregistered', topicHasCertificate: false }).statusReason).toBe(
      'push token is dead (Unregistered) until the device sends a new TokenUpdate',
    );
  });
});
