// The collection query language shared by every list (Flussonic's openapi_collection): limit, cursor,
// select, sort, q and field filters. This module parses and checks; db/list-sql.ts turns it into SQL.
import { badParameter } from './errors.ts';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const MAX_PATH_DEPTH = 6;
const MAX_FILTERS = 32;
const MAX_VALUE_LENGTH = 1024;

export type FilterOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'is' | 'is_not';
const SUFFIXES: [string, FilterOp][] = [
  ['_is_not', 'is_not'],
  ['_like', 'like'],
  ['_gte', 'gte'],
  ['_lte', 'lte'],
  ['_gt', 'gt'],
  ['_lt', 'lt'],
  ['_ne', 'ne'],
  ['_is', 'is'],
];

export interface Filter {
  path: string[];
  op: FilterOp;
  values: string[];
  param: string;
}
export interface SortKey {
  path: string[];
  desc: boolean;
}
export interface Cursor {
  /** 'a': items after the key values (next); 'b': items before them (prev). */
  dir: 'a' | 'b';
  values: unknown[];
  /** The first page's count, carried along so that later pages do not count again. */
  count?: number;
  /** The first page's time (ms), for fields that grow with the clock (db/list.ts). */
  at?: number;
}
export interface ListQuery {
  limit: number;
  cursor: Cursor | null;
  select: string[][] | null;
  sort: SortKey[];
  filters: Filter[];
  q: string | null;
}

const PATH_RE = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_.$-]+)*$/;

function parsePath(param: string, raw: string): string[] {
  if (!PATH_RE.test(raw) || raw.length > 256) throw badParameter(param, `"${raw}" is not a field path`);
  const path = raw.split('.');
  if (path.length > MAX_PATH_DEPTH) throw badParameter(param, `"${raw}" is nested too deeply`);
  return path;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify({ d: c.dir, k: c.values, n: c.count, t: c.at })).toString('base64url');
}

export function decodeCursor(raw: string): Cursor {
  try {
    if (raw.length > 8192) throw new Error('too long');
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as {
      d?: unknown;
      k?: unknown;
      n?: unknown;
      t?: unknown;
    };
    if ((v.d !== 'a' && v.d !== 'b') || !Array.isArray(v.k)) throw new Error('shape');
    const natural = (x: unknown) => x === undefined || (Number.isSafeInteger(x) && (x as number) >= 0);
    if (!natural(v.n) || !natural(v.t)) throw new Error('count or time');
    return {
      dir: v.d,
      values: v.k,
      ...(v.n !== undefined ? { count: v.n as number } : {}),
      ...(v.t !== undefined ? { at: v.t as number } : {}),
    };
  } catch {
    throw badParameter(
      'cursor',
      'is not a cursor this server issued (use the next or prev value of a previous page)',
    );
  }
}

/** Splits the query string; `reserved` lists parameters that are not filters (e.g. poll_timeout). */
export function parseListQuery(query: Record<string, unknown>, reserved: readonly string[] = []): ListQuery {
  const one = (k: string): string | undefined => {
    const v = query[k];
    if (Array.isArray(v)) return v.map(String).join(',');
    return v === undefined ? undefined : String(v);
  };
  let limit = DEFAULT_LIMIT;
  const rawLimit = one('limit');
  if (rawLimit !== undefined && rawLimit !== '') {
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < 1)
      throw badParameter('limit', 'must be a positive integer');
    limit = Math.min(Number(rawLimit), MAX_LIMIT);
  }
  const rawCursor = one('cursor');
  const cursor = rawCursor ? decodeCursor(rawCursor) : null;
  const rawSelect = one('select');
  const select = rawSelect
    ? rawSelect
        .split(',')
        .filter(Boolean)
        .map((p) => parsePath('select', p.trim()))
    : null;
  const sort = (one('sort') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => ({ desc: s.startsWith('-'), path: parsePath('sort', s.replace(/^[-+]/, '')) }));
  if (sort.length > 8) throw badParameter('sort', 'at most 8 sort keys');
  const q = one('q')?.trim() || null;
  if (q && q.length > 256) throw badParameter('q', 'is longer than 256 characters');
  const skip = new Set(['limit', 'cursor', 'select', 'sort', 'q', ...reserved]);
  const filters: Filter[] = [];
  for (const key of Object.keys(query)) {
    if (skip.has(key)) continue;
    const suffix = SUFFIXES.find(([s]) => key.endsWith(s) && key.length > s.length);
    const op: FilterOp = suffix ? suffix[1] : 'eq';
    const field = suffix ? key.slice(0, -suffix[0].length) : key;
    const raw = one(key) ?? '';
    if (raw.length > MAX_VALUE_LENGTH) throw badParameter(key, 'value is too long');
    const values = op === 'eq' || op === 'ne' ? raw.split(',') : [raw];
    if ((op === 'is' || op === 'is_not') && raw !== 'null')
      throw badParameter(key, 'only "null" is supported');
    filters.push({ path: parsePath(key, field), op, values, param: key });
  }
  if (filters.length > MAX_FILTERS) throw badParameter('query', `at most ${MAX_FILTERS} filters`);
  return { limit, cursor, select, sort, filters, q };
}

/** Keeps only the selected (dotted) paths, descending into arrays; `always` fields are kept. */
export function project(item: Record<string, unknown>, select: string[][] | null, always: string[]) {
  if (!select) return item;
  const out: Record<string, unknown> = {};
  for (const k of always) if (k in item) out[k] = item[k];
  const pick = (src: unknown, path: string[], dst: Record<string, unknown>) => {
    if (!src || typeof src !== 'object' || Array.isArray(src)) return;
    const [head, ...rest] = path as [string, ...string[]];
    const value = (src as Record<string, unknown>)[head];
    if (value === undefined) return;
    if (!rest.length) {
      dst[head] = value;
    } else if (Array.isArray(value)) {
      const prev = (dst[head] as Record<string, unknown>[] | undefined) ?? value.map(() => ({}));
      value.forEach((el, i) => pick(el, rest, prev[i]!));
      dst[head] = prev;
    } else if (value && typeof value === 'object') {
      const prev = (dst[head] as Record<string, unknown> | undefined) ?? {};
      pick(value, rest, prev);
      dst[head] = prev;
    }
  };
  for (const path of select) pick(item, path, out);
  return out;
}
