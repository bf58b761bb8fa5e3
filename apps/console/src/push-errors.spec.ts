import { explainErrorChain, explainPush } from './push-errors';

describe('explainPush', () => {
  it.each([
    ['dead-token: BadDeviceToken', /not valid.*enroll again/, 'bad'],
    ['dead-token: Unregistered', /no longer answers.*enroll again/, 'bad'],
    ['Unregistered', /no longer answers/, 'bad'],
    ['certificate-error: TopicDisallowed', /does not allow this topic/, 'bad'],
    ['certificate-error: ExpiredProviderToken', /expired.*Renew/, 'bad'],
    ['certificate-error: BadCertificate', /refused the push certificate/, 'bad'],
    ['certificate-error: BadCertificateEnvironment', /sandbox vs production/, 'bad'],
    ['retryable: TooManyRequests', /throttling.*tried again later/, 'warn'],
    ['retryable: 503', /failed \(HTTP 503\).*retried/, 'warn'],
    ['HTTP 500', /failed \(HTTP 500\)/, 'warn'],
    ['retryable: ServiceUnavailable', /unavailable right now/, 'warn'],
    ['retryable: ECONNREFUSED: connect ECONNREFUSED 17.188.166.29:443', /refused.*firewall/, 'warn'],
    ['retryable: ENOTFOUND: getaddrinfo ENOTFOUND api.push.apple.com', /DNS/, 'warn'],
    ['retryable: connection closed before SETTINGS', /dropped; the push is retried/, 'warn'],
    ['certificate-error: ERR_SSL_TLSV1_ALERT_CERTIFICATE_EXPIRED', /while connecting \(TLS\)/, 'bad'],
    ['sent', /accepted the push/, 'ok'],
  ] as const)('%s', (raw, text, tone) => {
    const explained = explainPush(raw);
    expect(explained?.text).toMatch(text);
    expect(explained?.tone).toBe(tone);
    // The raw code stays visible beside the sentence.
    expect(explained?.code).toBe(raw);
  });

  it('keeps an unknown reason in its sentence and says nothing for no outcome', () => {
    expect(explainPush('failed: SomethingNew')?.text).toBe('Apple refused the push.');
    expect(explainPush('SomethingNew')?.text).toBe('The push failed: SomethingNew.');
    expect(explainPush(null)).toBeNull();
    expect(explainPush('  ')).toBeNull();
  });
});

describe('explainErrorChain', () => {
  it('says what failed (outermost domain) and why (innermost description), keeping every code', () => {
    const explained = explainErrorChain([
      { ErrorDomain: 'MCInstallationErrorDomain', ErrorCode: 4000, USEnglishDescription: 'Invalid Profile' },
      { ErrorDomain: 'MCProfileErrorDomain', ErrorCode: 1000, LocalizedDescription: 'The profile has no PayloadContent' },
    ]);
    expect(explained).toEqual({
      text: 'The device could not install the profile: The profile has no PayloadContent.',
      code: 'MCInstallationErrorDomain 4000 › MCProfileErrorDomain 1000',
      tone: 'bad',
    });
  });

  it('falls back on a generic subject for an unknown domain and on no description', () => {
    expect(explainErrorChain([{ ErrorDomain: 'NewDomain', ErrorCode: 7 }])).toEqual({ text: 'The device reported an error.', code: 'NewDomain 7', tone: 'bad' });
    expect(explainErrorChain([{ ErrorDomain: 'MDMErrorDomain', ErrorCode: 12075, USEnglishDescription: 'The profile “x” is not installed.' }])?.text).toBe(
      'The device refused the command: The profile “x” is not installed.',
    );
    expect(explainErrorChain([])).toBeNull();
    expect(explainErrorChain(null)).toBeNull();
  });
});
