/**
 * An `apns-id` (a UUID) made from a non-negative 64-bit integer id, e.g. a push request's row id: every send
 * of that request (a re-send after a killed worker's lease ran out) carries the same id, and APNs's answer
 * names the request it belongs to.
 */
export function apnsIdOfRequest(requestId: string): string {
  const hex = BigInt(requestId).toString(16).padStart(16, '0');
  return `00000000-0000-0000-${hex.slice(0, 4)}-${hex.slice(4)}`;
}
