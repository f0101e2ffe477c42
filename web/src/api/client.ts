// fetch wrapper for Central's API: same-origin cookie session, the CSRF header on every write, and
// Flussonic error bodies turned into ApiError (with the JSON pointer of the field at fault).

export interface WireError {
  status?: string;
  code?: string;
  title?: string;
  source?: { pointer?: string; parameter?: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: WireError[],
    readonly body: Record<string, unknown> | null,
    readonly retryAfter: number | null = null,
  ) {
    super(errors.map((e) => e.title ?? e.code).join('; ') || `HTTP ${status}`);
  }
  get code(): string | undefined {
    return this.errors[0]?.code;
  }
  /** Field errors keyed by JSON pointer ("/api_url", "/inputs/0/url"). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) {
      const p = e.source?.pointer;
      if (p && p !== '/' && !out[p]) out[p] = e.title ?? e.code ?? 'invalid';
    }
    return out;
  }
  /** Errors that belong to no field of the form in `known` (shown in a form-level alert). */
  formErrors(known: (pointer: string) => boolean = () => false): string[] {
    return this.errors
      .filter((e) => !e.source?.pointer || e.source.pointer === '/' || !known(e.source.pointer))
      .map((e) => e.title ?? e.code ?? this.message);
  }
}

export const API = '/central/api/v3';

/** A stream name as a URL path: each `/`-separated segment encoded, the slashes kept. */
export const namePath = (name: string) => name.split('/').map(encodeURIComponent).join('/');

type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

let onUnauthorized: (() => void) | null = null;
/** Called when an API call answers 401 (the session expired): the app sends the user to /login. */
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn;
}

async function parseBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function request<T>(
  method: string,
  url: string,
  body?: unknown,
  opts: { signal?: AbortSignal; quiet401?: boolean } = {},
): Promise<T> {
  // X-Requested-With on every request: writes need it (CSRF guard), and on reads it tells Central not to
  // answer a 401 with a Basic challenge, which would make the browser pop up its own login box.
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'X-Requested-With': 'XMLHttpRequest',
  };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(
      0,
      [{ code: 'network_error', title: 'Central is not reachable (network error)' }],
      null,
    );
  }
  const data = await parseBody(res);
  if (res.ok) return data as T;
  const obj = data && typeof data === 'object' ? (data as Record<string, unknown>) : null;
  const errors = Array.isArray(obj?.errors)
    ? (obj.errors as WireError[])
    : [{ status: String(res.status), title: typeof data === 'string' && data ? data : res.statusText }];
  const retry = Number(res.headers.get('Retry-After'));
  const err = new ApiError(res.status, errors, obj, Number.isFinite(retry) && retry > 0 ? retry : null);
  if (res.status === 401 && !opts.quiet401) onUnauthorized?.();
  throw err;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) =>
    request<T>('GET', withQuery(API + path, query), undefined, { signal }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', API + path, body),
  post: <T>(path: string, body: unknown) => request<T>('POST', API + path, body),
  del: (path: string) => request<null>('DELETE', API + path),
};
