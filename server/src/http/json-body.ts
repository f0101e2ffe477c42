// Request bodies: every body is read as JSON (clients send `Content-Type: application/json` even on GET
// and DELETE with no body; curl users often send none at all); an empty one is no body. A body that is
// not JSON, or holds text PostgreSQL cannot store (NUL, lone surrogates: query/text.ts) in any key or
// value, or a number too large for a double, is a 400 naming the field, never a 500 from the database. Keys such as `__proto__` stay plain
// data: JSON.parse makes them own properties and nothing here assigns through them.
import { textProblem } from '../query/text.ts';
import { ApiError } from './errors.ts';

const MAX_DEPTH = 64;

const escapePointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

/** The pointer and problem of the first unstorable string or number in `v`, or null. */
function findBadText(
  v: unknown,
  pointer: string,
  depth: number,
): { pointer: string; problem: string } | null {
  if (typeof v === 'string') {
    const problem = textProblem(v);
    return problem ? { pointer, problem } : null;
  }
  // JSON.parse reads 1e400 as Infinity, which would be saved as null (the field silently dropped).
  if (typeof v === 'number' && !Number.isFinite(v))
    return { pointer, problem: 'is a number too large to store' };
  if (!v || typeof v !== 'object') return null;
  if (depth > MAX_DEPTH) return { pointer, problem: `is nested more than ${MAX_DEPTH} levels deep` };
  for (const [k, x] of Object.entries(v)) {
    const here = `${pointer}/${escapePointer(k)}`;
    const keyProblem = textProblem(k);
    if (keyProblem) return { pointer: here, problem: `has a name that ${keyProblem}` };
    const found = findBadText(x, here, depth + 1);
    if (found) return found;
  }
  return null;
}

/** Names a pointer for people: `/inputs/0/url` -> `inputs.0.url`. */
const fieldName = (pointer: string) =>
  pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.') || 'body';

export function parseJsonBody(
  _req: unknown,
  body: string,
  done: (err: Error | null, value?: unknown) => void,
) {
  if (body.trim() === '') return done(null, undefined);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    return done(
      new ApiError(400, 'malformed_json', `request body is not valid JSON: ${(e as Error).message}`, {
        pointer: '',
      }),
    );
  }
  const bad = findBadText(value, '', 0);
  if (bad)
    return done(
      new ApiError(400, 'invalid_field', `${fieldName(bad.pointer)} ${bad.problem}`, {
        pointer: bad.pointer,
      }),
    );
  done(null, value);
}
