/**
 * Why a device enrolled under `topic` cannot be pushed while no push certificate for that topic is stored
 * (a forced upload replaced it): the device view, its queued commands and its push requests all say this.
 */
export function noPushCertificateReason(topic: string): string {
  return `no push certificate for topic ${topic}: the device must re-enroll, or a certificate for this topic be uploaded again`;
}

/** Enrolled devices whose topic has no stored push certificate, per topic (GET /v1/apns/certificate). */
export interface StrandedTopic {
  topic: string;
  devices: number;
}

/** The operator's sentence for a stranded topic (API warnings, console). */
export function strandedTopicWarning(t: StrandedTopic): string {
  const who = t.devices === 1 ? '1 device' : `${t.devices} devices`;
  return `${who} on topic ${t.topic} ${t.devices === 1 ? 'has' : 'have'} no push certificate: re-enroll ${t.devices === 1 ? 'it' : 'them'}, or upload a certificate for ${t.topic} again`;
}
