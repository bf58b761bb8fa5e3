import { APNS_REASONS, classifyApnsResponse } from './apns-response';

describe('classifyApnsResponse', () => {
  it('treats 200 as sent, keeping the apns-id', () => {
    expect(classifyApnsResponse(200, '', 'id-1')).toEqual({ outcome: 'sent', status: 200, apnsId: 'id-1' });
  });

  it.each([
    [400, 'BadDeviceToken', 'dead-token'],
    [400, 'DeviceTokenNotForTopic', 'dead-token'],
    [410, 'Unregistered', 'dead-token'],
    [410, 'ExpiredToken', 'dead-token'],
    [403, 'BadCertificate', 'certificate-error'],
    [403, 'BadCertificateEnvironment', 'certificate-error'],
    [403, 'Forbidden', 'certificate-error'],
    [400, 'TopicDisallowed', 'certificate-error'],
    [429, 'TooManyRequests', 'retryable'],
    [500, 'InternalServerError', 'retryable'],
    [503, 'ServiceUnavailable', 'retryable'],
    [503, 'Shutdown', 'retryable'],
    [400, 'IdleTimeout', 'retryable'],
    [400, 'BadTopic', 'failed'],
    [400, 'MissingTopic', 'failed'],
    [413, 'PayloadTooLarge', 'failed'],
    [400, 'BadExpirationDate', 'failed'],
    [400, 'InvalidPushType', 'failed'],
  ])('%d %s → %s', (status, reason, outcome) => {
    expect(classifyApnsResponse(status, JSON.stringify({ reason }))).toEqual({ outcome, status, reason });
  });

  it('decides by reason, not status, when they disagree', () => {
    expect(classifyApnsResponse(400, '{"reason":"Unregistered"}').outcome).toBe('dead-token');
  });

  it('keeps the 410 timestamp', () => {
    expect(classifyApnsResponse(410, '{"reason":"Unregistered","timestamp":1700000000000}')).toEqual({
      outcome: 'dead-token',
      status: 410,
      reason: 'Unregistered',
      timestamp: 1700000000000,
    });
  });

  it.each([
    [410, 'dead-token'],
    [403, 'certificate-error'],
    [429, 'retryable'],
    [502, 'retryable'],
    [400, 'failed'],
    [404, 'failed'],
  ])('falls back on the status for an unknown reason or a body that is not JSON (%d → %s)', (status, outcome) => {
    expect(classifyApnsResponse(status, '{"reason":"SomethingNew"}')).toMatchObject({ outcome, reason: 'SomethingNew' });
    expect(classifyApnsResponse(status, '<html>')).toEqual({ outcome, status });
    expect(classifyApnsResponse(status, '')).toEqual({ outcome, status });
  });

  it('turns a retry-after header into retryAfterMs for retryable answers only', () => {
    expect(classifyApnsResponse(429, '{"reason":"TooManyRequests"}', undefined, '30').retryAfterMs).toBe(30_000);
    expect(classifyApnsResponse(400, '{"reason":"BadTopic"}', undefined, '30').retryAfterMs).toBeUndefined();
  });

  it('knows every reason in Apple\'s table', () => {
    expect(Object.keys(APNS_REASONS).sort()).toEqual(
      [
        'BadCollapseId', 'BadDeviceToken', 'BadExpirationDate', 'BadMessageId', 'BadPriority', 'BadTopic', 'DeviceTokenNotForTopic',
        'DuplicateHeaders', 'IdleTimeout', 'InvalidPushType', 'MissingDeviceToken', 'MissingTopic', 'PayloadEmpty', 'TopicDisallowed',
        'BadCertificate', 'BadCertificateEnvironment', 'ExpiredProviderToken', 'Forbidden', 'InvalidProviderToken', 'MissingProviderToken',
        'UnrelatedKeyIdInToken', 'BadEnvironmentKeyIdInToken', 'BadPath', 'MethodNotAllowed', 'ExpiredToken', 'Unregistered',
        'PayloadTooLarge', 'TooManyProviderTokenUpdates', 'TooManyRequests', 'InternalServerError', 'ServiceUnavailable', 'Shutdown',
      ].sort(),
    );
  });
});
