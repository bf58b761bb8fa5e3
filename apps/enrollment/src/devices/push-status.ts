import { noPushCertificateReason } from '@mdm/contracts';

export interface DevicePushFacts {
  enrolled: boolean;
  topic: string | null;
  pushToken: string | null;
  tokenInvalidAt: Date | null;
  tokenInvalidReason: string | null;
  /** Whether a push certificate for the device's topic is stored. */
  topicHasCertificate: boolean;
}

/** Whether the server can wake the device now, and if not, why (the first reason that holds). */
export function devicePushStatus(d: DevicePushFacts): { pushable: boolean; statusReason: string | null } {
  const reason = !d.enrolled
    ? 'device is not enrolled'
    : !d.pushToken || !d.topic
      ? 'device has no push token'
      : d.tokenInvalidAt
        ? `push token is dead (${d.tokenInvalidReason ?? 'APNs refused it'}) until the device sends a new TokenUpdate`
        : !d.topicHasCertificate
          ? noPushCertificateReason(d.topic)
          : null;
  return { pushable: reason === null, statusReason: reason };
}
