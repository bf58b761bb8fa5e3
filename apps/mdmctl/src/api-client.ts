import type { ClientConfig } from './config';

/** The server answered with an error status: its `message` and status are what the operator sees. */
export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly serverMessage: string,
  ) {
    super(`${method} ${path}: ${status} ${serverMessage}`);
  }
}

/** The server could not be reached at all. */
export class UnreachableError extends Error {}

/** The admin API over global fetch, with the Bearer key. */
export class ApiClient {
  constructor(private readonly config: ClientConfig) {}

  /** The gateway this client talks to. */
  get url(): string {
    return this.config.url;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    const text = await res.text();
    try {
      return (text ? JSON.parse(text) : null) as T;
    } catch {
      throw new ApiError(method, path, res.status, `not JSON: ${text.slice(0, 200)}`);
    }
  }

  /** A file download (e.g. a .mobileconfig). */
  async bytes(path: string): Promise<Buffer> {
    const res = await this.send('GET', path);
    return Buffer.from(await res.arrayBuffer());
  }

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.config.url + path, {
        method,
        headers: { authorization: `Bearer ${this.config.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
      throw new UnreachableError(`cannot reach ${this.config.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    if (!res.ok) throw new ApiError(method, path, res.status, await errorMessage(res));
    return res;
  }
}

/** The `message` of a Nest error answer (`{ statusCode, message }`, message maybe a list), else the raw text. */
async function errorMessage(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') return body.message;
    if (Array.isArray(body.message)) return body.message.join('; ');
  } catch {
    /* not JSON */
  }
  return text.trim().slice(0, 500) || res.statusText;
}

/** `?a=1&b=2` from the set values, or nothing. */
export function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}
