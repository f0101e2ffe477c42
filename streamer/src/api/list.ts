// Pure pieces of the streamer API shared by the open streamer and the test kit's fake one: Flussonic
// error bodies, the partial PUT /config body, and GET /streams paging with `select`.
export type Json = Record<string, unknown>;
export type Reply = [status: number, body?: unknown];

export function errorBody(status: number, code: string, title: string) {
  return { errors: [{ status: String(status), code, title }] };
}

function isHttpUrl(s: string): boolean {
  try {
    return /^https?:$/.test(new URL(s).protocol);
  } catch {
    return false;
  }
}

export type ConfigPut =
  { ok: true; configExternal?: string | null; clusterKey?: string } | { ok: false; reply: Reply };

/**
 * A partial server_config as Central provisions it. Only config_external and cluster_key matter here;
 * other fields (event_sinks, http_proxies, rproxy, ...) are accepted and ignored.
 */
export function parseConfigPut(body: unknown): ConfigPut {
  const bad = (error: string, path: string[]): ConfigPut => ({ ok: false, reply: [400, { error, path }] });
  if (!body || typeof body !== 'object' || Array.isArray(body)) return bad('config must be an object', []);
  const { config_external: ext, cluster_key: key } = body as Json;
  if (ext !== undefined && ext !== null && (typeof ext !== 'string' || (ext !== '' && !isHttpUrl(ext))))
    return bad('config_external must be an http(s) URL', ['config_external']);
  if (key !== undefined && (typeof key !== 'string' || key === ''))
    return bad('cluster_key must be a non-empty string', ['cluster_key']);
  return {
    ok: true,
    ...(ext !== undefined ? { configExternal: ext as string | null } : {}),
    ...(typeof key === 'string' ? { clusterKey: key } : {}),
  };
}

// Cursors are opaque to clients; inside they hold the last name served, so paging stays consistent
// when streams come and go between pages.
export function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}

export function decodeCursor(cursor: string): string | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { after?: unknown };
    return typeof v.after === 'string' ? v.after : null;
  } catch {
    return null;
  }
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

/** One page of `names` (sorted) after the cursor. */
export function pageOf(names: string[], limit: number, after: string | null): Page<string> {
  const start = after === null ? 0 : names.findIndex((n) => n > after);
  const rest = start < 0 ? [] : names.slice(start);
  const items = rest.slice(0, limit);
  const next = rest.length > limit ? encodeCursor(items[items.length - 1]!) : null;
  return { items, next };
}

/** `GET /streams?select&limit&cursor` (streams_list), sorted by name; `view` renders one stream. */
export function listStreams(
  q: URLSearchParams,
  names: string[],
  view: (n: string) => Json,
  serverId: string,
): Reply {
  const limitText = q.get('limit');
  const limit = limitText === null ? 100 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1)
    return [400, errorBody(400, 'invalid_limit', 'limit must be a positive integer')];
  const cursor = q.get('cursor');
  const after = cursor ? decodeCursor(cursor) : null;
  if (cursor && after === null) return [400, errorBody(400, 'invalid_cursor', 'Bad cursor')];
  const sorted = [...names].sort();
  const page = pageOf(sorted, limit, after);
  const select = q.get('select');
  const streams = page.items.map((n) => (select ? selectFields(view(n), select) : view(n)));
  const next = page.next === null ? {} : { next: page.next };
  return [200, { streams, estimated_count: sorted.length, ...next, server_id: serverId }];
}

/** `select=name,stats.bitrate`: keeps only the listed (possibly nested) fields; `name` always stays. */
export function selectFields(obj: Record<string, unknown>, select: string): Record<string, unknown> {
  const out: Record<string, unknown> = { name: obj.name };
  for (const field of select.split(',')) {
    const parts = field.trim().split('.').filter(Boolean);
    if (parts.length) copyPath(obj, out, parts);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Own members only, written with defineProperty: a `__proto__` in a select or a config is plain data. */
function put(dst: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(dst, key, { value, enumerable: true, writable: true, configurable: true });
}

function copyPath(src: Record<string, unknown>, dst: Record<string, unknown>, parts: string[]): void {
  const [key, ...rest] = parts as [string, ...string[]];
  if (!Object.hasOwn(src, key)) return;
  const v = src[key];
  if (!rest.length) {
    put(dst, key, v);
  } else if (isObject(v)) {
    const prev = Object.hasOwn(dst, key) ? dst[key] : undefined;
    const inner = isObject(prev) ? prev : {};
    put(dst, key, inner);
    copyPath(v, inner, rest);
  }
}
