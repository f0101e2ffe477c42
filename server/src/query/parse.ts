// Query string -> ListQuery: limit, cursor, select, sort, q and field filters. Every length is bounded
// before any pattern runs, no pattern has nested quantifiers, and field paths never name a member of
// Object.prototype's machinery (`__proto__`, `prototype`, `constructor`): those are refused with a 400
// naming the parameter, so client text can never reach the prototype chain further down.
import { badParameter } from '../http/errors.ts';
import { decodeCursor } from './cursor.ts';
import { textProblem } from './text.ts';
import {
  DEFAULT_LIMIT,
  MAX_LIMIT,
  type FieldPath,
  type Filter,
  type FilterOp,
  type ListQuery,
} from './types.ts';

const MAX_PATH_LENGTH = 256;
const MAX_PATH_DEPTH = 6;
const MAX_SEGMENT = 64;
const MAX_FILTERS = 32;
const MAX_SORT_KEYS = 8;
const MAX_SELECT = 64;
const MAX_VALUE_LENGTH = 1024;
const MAX_PARAMS = 64;
const MAX_Q = 256;

const SEGMENT_RE = /^[A-Za-z0-9_$-]+$/;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

const SUFFIXES: readonly (readonly [string, FilterOp])[] = [
  ['_is_not', 'is_not'],
  ['_like', 'like'],
  ['_gte', 'gte'],
  ['_lte', 'lte'],
  ['_gt', 'gt'],
  ['_lt', 'lt'],
  ['_ne', 'ne'],
  ['_is', 'is'],
];

/** A dotted field path; the parameter it came from is named in every error. */
export function parsePath(param: string, raw: string): FieldPath {
  const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
  if (raw.length === 0 || raw.length > MAX_PATH_LENGTH)
    throw badParameter(param, `"${shown}" is not a field path (1 to ${MAX_PATH_LENGTH} characters)`);
  const path = raw.split('.');
  if (path.length > MAX_PATH_DEPTH) throw badParameter(param, `"${shown}" is nested too deeply`);
  for (const seg of path) {
    if (seg.length === 0 || seg.length > MAX_SEGMENT || !SEGMENT_RE.test(seg))
      throw badParameter(param, `"${shown}" is not a field path (letters, digits, _ $ - between dots)`);
    if (FORBIDDEN_SEGMENTS.has(seg)) throw badParameter(param, `"${seg}" cannot be part of a field path`);
  }
  return path;
}

/** A parameter's text: repeated parameters are joined by commas; checked for length and storability. */
function textOf(param: string, v: unknown, max: number): string {
  const s = Array.isArray(v) ? v.map(String).join(',') : String(v);
  if (s.length > max) throw badParameter(param, `value is longer than ${max} characters`);
  const problem = textProblem(s);
  if (problem) throw badParameter(param, `value ${problem}`);
  return s;
}

function commaList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function parseFilter(key: string, raw: string): Filter {
  const suffix = SUFFIXES.find(([s]) => key.endsWith(s) && key.length > s.length);
  const op: FilterOp = suffix ? suffix[1] : 'eq';
  const field = suffix ? key.slice(0, -suffix[0].length) : key;
  const values = op === 'eq' || op === 'ne' ? raw.split(',') : [raw];
  if ((op === 'is' || op === 'is_not') && raw !== 'null') throw badParameter(key, 'only "null" is supported');
  return { path: parsePath(key, field), op, values, param: key };
}

/**
 * Every parameter of a query string (any object: only its own keys are read) as checked text, repeated
 * ones joined by commas: what every endpoint reads its parameters through.
 */
export function queryParams(query: object, maxLength: (key: string) => number): Map<string, string> {
  const params = new Map<string, string>();
  const keys = Object.keys(query);
  if (keys.length > MAX_PARAMS) throw badParameter('query', `at most ${MAX_PARAMS} parameters`);
  for (const key of keys) {
    if (key.length > MAX_PATH_LENGTH + 8) throw badParameter('query', 'a parameter name is too long');
    const problem = textProblem(key);
    if (problem) throw badParameter('query', `a parameter name ${problem}`);
    params.set(key, textOf(key, (query as Record<string, unknown>)[key], maxLength(key)));
  }
  return params;
}

/**
 * Splits the query string (any object: only its own keys are read); `reserved` lists parameters that
 * are not filters (e.g. poll_timeout).
 */
export function parseListQuery(query: object, reserved: readonly string[] = []): ListQuery {
  const params = queryParams(query, (key) =>
    key === 'cursor' ? 8192 : key === 'select' ? 4096 : MAX_VALUE_LENGTH,
  );
  let limit = DEFAULT_LIMIT;
  const rawLimit = params.get('limit');
  if (rawLimit !== undefined && rawLimit !== '') {
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < 1)
      throw badParameter('limit', 'must be a positive integer');
    limit = Math.min(Number(rawLimit), MAX_LIMIT);
  }
  const rawCursor = params.get('cursor');
  const cursor = rawCursor ? decodeCursor(rawCursor) : null;
  const rawSelect = params.get('select');
  const selectList = rawSelect ? commaList(rawSelect) : [];
  if (selectList.length > MAX_SELECT) throw badParameter('select', `at most ${MAX_SELECT} fields`);
  const select = rawSelect ? selectList.map((p) => parsePath('select', p)) : null;
  const sortList = commaList(params.get('sort') ?? '');
  if (sortList.length > MAX_SORT_KEYS) throw badParameter('sort', `at most ${MAX_SORT_KEYS} sort keys`);
  const sort = sortList.map((s) => {
    const desc = s.startsWith('-');
    return { desc, path: parsePath('sort', desc || s.startsWith('+') ? s.slice(1) : s) };
  });
  const q = params.get('q')?.trim() || null;
  if (q && q.length > MAX_Q) throw badParameter('q', `is longer than ${MAX_Q} characters`);
  const skip = new Set(['limit', 'cursor', 'select', 'sort', 'q', ...reserved]);
  const filters: Filter[] = [];
  for (const [key, raw] of params) if (!skip.has(key)) filters.push(parseFilter(key, raw));
  if (filters.length > MAX_FILTERS) throw badParameter('query', `at most ${MAX_FILTERS} filters`);
  return { limit, cursor, select, sort, filters, q };
}
