// Cursors carry the sort-key values of the boundary row (base64url JSON), never an offset.
import { badParameter } from '../http/errors.ts';
import { textProblem } from './text.ts';
import type { Cursor } from './types.ts';

const MAX_CURSOR = 8192;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify({ d: c.dir, k: c.values, n: c.count, t: c.at })).toString('base64url');
}

/** Whether every string in a decoded JSON value can be stored (see text.ts). */
function storable(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return textProblem(v) === null;
  if (!v || typeof v !== 'object') return true;
  if (depth > 8) return false;
  return Object.entries(v).every(([k, x]) => textProblem(k) === null && storable(x, depth + 1));
}

const natural = (x: unknown) => x === undefined || (Number.isSafeInteger(x) && (x as number) >= 0);

export function decodeCursor(raw: string): Cursor {
  try {
    if (raw.length > MAX_CURSOR) throw new Error('too long');
    const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('shape');
    const own = (k: string) => (Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined);
    const [d, k, n, t] = [own('d'), own('k'), own('n'), own('t')];
    if ((d !== 'a' && d !== 'b') || !Array.isArray(k)) throw new Error('shape');
    if (!natural(n) || !natural(t)) throw new Error('count or time');
    if (!storable(k)) throw new Error('values');
    return {
      dir: d,
      values: k,
      ...(n !== undefined ? { count: n as number } : {}),
      ...(t !== undefined ? { at: t as number } : {}),
    };
  } catch {
    throw badParameter(
      'cursor',
      'is not a cursor this server issued (use the next or prev value of a previous page)',
    );
  }
}
