/** "3 min ago" for recent instants, the date beyond a week; the exact time goes in a title. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 0) return `in ${duration(-s)}`;
  if (s < 5) return 'just now';
  if (s < 7 * 86400) return `${duration(s)} ago`;
  return new Date(t).toLocaleDateString();
}

function duration(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

export function dateTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function yesNo(v: boolean | null | undefined): string {
  return v === null || v === undefined ? '—' : v ? 'yes' : 'no';
}

/** Days left → the class of the expiry warning colour (the server warns at 30, 14, 7 and 1 days). */
export function expiryTone(daysLeft: number): 'ok' | 'warn' | 'bad' {
  if (daysLeft <= 0) return 'bad';
  if (daysLeft <= 30) return 'warn';
  return 'ok';
}
