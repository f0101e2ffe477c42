// Text a client sends that PostgreSQL cannot store or compare: NUL (text and jsonb refuse it) and lone
// UTF-16 surrogates (not Unicode; jsonb refuses their escapes). Checked where text enters: query
// parameters (parse.ts) and JSON bodies (http/json-body.ts), so they answer 400, never 500; what
// streamers send is made storable instead (lib/streamer-json.ts).

// Without the `u` flag a regex sees UTF-16 code units: a high surrogate not followed by a low one, or a
// low one not preceded by a high one. (String#isWellFormed is ES2024; Node 20 has it, our lib does not.)
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `s` cannot be stored, or null. */
export function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired UTF-16 surrogate (not Unicode text)';
  return null;
}

const UNSTORABLE = new RegExp(`\u0000|${LONE_SURROGATE.source}`, 'g');

/** `s` with NUL and lone surrogates replaced by U+FFFD: text PostgreSQL stores. */
export const storable = (s: string): string => s.replace(UNSTORABLE, '\uFFFD');
