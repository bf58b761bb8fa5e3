import { apnsIdOfRequest } from './apns-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('apnsIdOfRequest', () => {
  it('is a UUID that names the request, the same on every send', () => {
    expect(apnsIdOfRequest('1')).toBe('00000000-0000-0000-0000-000000000001');
    expect(apnsIdOfRequest('4096')).toBe(apnsIdOfRequest('4096'));
    expect(apnsIdOfRequest('9223372036854775807')).toBe('00000000-0000-0000-7fff-ffffffffffff');
    expect(apnsIdOfRequest('9223372036854775807')).toMatch(UUID);
    expect(apnsIdOfRequest('12')).not.toBe(apnsIdOfRequest('13'));
  });
});
