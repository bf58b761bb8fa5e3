/** A timestamp as views show it: ISO 8601 in UTC, or null when there is none. */
export function iso(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null;
}
