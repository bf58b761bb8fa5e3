/**
 * The console talks only to the public admin API (`/v1`) of the gateway that served it, with the
 * operator's API key as a Bearer token. The key lives in sessionStorage: gone when the tab closes.
 */
const KEY_STORAGE = 'mdm.console.apiKey';
export const SIGNED_OUT_EVENT = 'mdm:signed-out';

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function signIn(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function signOut(reason?: string): void {
  sessionStorage.removeItem(KEY_STORAGE);
  window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT, { detail: reason }));
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** Nest answers `{ statusCode, message, error }`, where message may be a list. */
function messageOf(status: number, body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body) {
    const m = (body as { message: unknown }).message;
    if (Array.isArray(m)) return m.join('; ');
    if (typeof m === 'string') return m;
  }
  if (typeof body === 'string' && body) return body.slice(0, 300);
  return `HTTP ${status}`;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

async function send(method: string, path: string, body?: unknown, key = apiKey()): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key) headers['authorization'] = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  const err = new ApiError(res.status, messageOf(res.status, body), body);
  // An expired or revoked key: back to the sign-in screen, saying why.
  if (res.status === 401) signOut(err.message);
  return err;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body);
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string, query?: Query): Promise<T> => api<T>('GET', withQuery(path, query));

/** A GET that answers a file (signed profiles, enrollment profiles) as text or bytes. */
export async function fetchFile(path: string): Promise<Blob> {
  const res = await send('GET', path);
  if (!res.ok) throw await failure(res);
  return res.blob();
}

/** Saves a blob through a temporary link, as a browser download. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Checks a key before keeping it: 401 means unknown, revoked or expired; a 403 key is valid but narrow. */
export async function verifyKey(key: string): Promise<{ ok: true } | { ok: false; message: string }> {
  const res = await send('GET', '/v1/apns/certificate', undefined, key);
  if (res.ok || res.status === 403) return { ok: true };
  const err = new ApiError(res.status, messageOf(res.status, await res.json().catch(() => null)), null);
  return { ok: false, message: err.message };
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.status}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
