/**
 * Headers the gateway adds when it forwards a device request to the service that owns it, after it
 * verified the request's signature and the certificate's chain. Internal services trust them, so
 * their ports must never be reachable from outside (see deploy/).
 */
export const InternalHeader = {
  CertFingerprint: 'x-mdm-cert-fingerprint',
  CertPem: 'x-mdm-cert-pem',
  CertNotAfter: 'x-mdm-cert-not-after',
  RequestId: 'x-request-id',
} as const;

/** Content types Apple devices use. */
export const DeviceContentType = {
  Checkin: 'application/x-apple-aspen-mdm-checkin',
  Connect: 'application/x-apple-aspen-mdm',
  Plist: 'application/xml',
} as const;
