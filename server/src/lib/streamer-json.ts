// Parsing a streamer's answer. A streamer is a client like any other: its strings end up in jsonb and
// text columns, which refuse NUL and lone surrogates (one such string would fail the whole fleet
// write), and its keys must never reach an object's prototype.
import { storable, textProblem } from '../query/text.ts';
import { isRecord } from './streamer-sanitize.ts';

const bad = (s: string) => textProblem(s) !== null;

// JSON.parse makes "__proto__" an own key; dropping it keeps later Object.assign-style merges safe.
function revive(key: string, value: unknown): unknown {
  if (key === '__proto__') return undefined;
  if (typeof value === 'string') return bad(value) ? storable(value) : value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (!keys.some(bad)) return value;
  const out: Record<string, unknown> = {};
  for (const k of keys) out[storable(k)] = (value as Record<string, unknown>)[k];
  return out;
}

/** A streamer's answer as a JSON object, else null. */
export function parseObject(data: Buffer): Record<string, unknown> | null {
  try {
    const text = data.toString('utf8');
    // The reviver costs a call per value of every item; only answers that could need it pay. Raw
    // bytes cannot carry NUL (JSON refuses raw control characters) nor lone surrogates (invalid UTF-8
    // decodes to U+FFFD): both need a \u escape, as does a disguised "\u005f_proto__".
    const risky = text.includes('__proto__') || text.includes('\\u');
    const value: unknown = risky ? JSON.parse(text, revive) : JSON.parse(text);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}
