// Log redaction shared by Central and the streamer. Keys travel inside URLs (`http://KEY@central/…`,
// the config_external convention; `rtsp://user:pass@cam/…` inputs; `?token=` query values) and inside
// error messages that quote those URLs, so every string that reaches a log line passes through
// redactSecrets(), and known secret fields are censored by path. No pino import: the options object
// returned by logRedaction() is plain data that pino accepts, and the web bundle may share this file.

const CENSOR = '***';
/** Whole userinfo: the user part alone is the secret in `http://KEY@host` URLs. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;
const SECRET_NAMES =
  'passphrase|password|passwd|pass|pwd|secret|token|access_token|auth|key|api_key|apikey|cluster_key|sig|signature';
const SECRET_PARAM = new RegExp(`([?&;](?:${SECRET_NAMES})=)[^&\\s"'#]*`, 'gi');
const SECRET_NAME = new RegExp(`^(?:${SECRET_NAMES})$`, 'i');

/** True for a query parameter or field name whose value the redactor hides (`sig`, `token`, `pass` …). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}
const BEARER = /\bBearer\s+[^\s"',;]+/gi;
const CLUSTER = /\bCluster\s+\d+:[0-9a-f]{40}\b/gi;
/** Only base64 that decodes to `user:password` counts, so that prose like "Basic login" stays. */
const BASIC = /\bBasic\s+([A-Za-z0-9+/]{4,}={0,2})/gi;
function basic(m: string, b64: string): string {
  try {
    return b64.length % 4 === 0 && atob(b64).includes(':') ? `Basic ${CENSOR}` : m;
  } catch {
    return m;
  }
}

/** The text with URL userinfo, secret query values and Authorization credentials replaced by `***`. */
export function redactSecrets(text: string): string {
  return text
    .replace(USERINFO, `$1${CENSOR}@`)
    .replace(SECRET_PARAM, `$1${CENSOR}`)
    .replace(BEARER, `Bearer ${CENSOR}`)
    .replace(CLUSTER, `Cluster ${CENSOR}`)
    .replace(BASIC, basic);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * A request URL (path and query) for a log line. Query values are decoded first, so that an encoded
 * `rtsp%3A%2F%2Fu%3Apw%40cam` is caught too; values of secret-named parameters are dropped whole.
 */
export function redactRequestUrl(url: string): string {
  const q = url.indexOf('?');
  const path = redactSecrets(q < 0 ? url : url.slice(0, q));
  if (q < 0) return path;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return redactSecrets(decode(pair));
      const name = decode(pair.slice(0, eq));
      return `${name}=${SECRET_NAME.test(name) ? CENSOR : redactSecrets(decode(pair.slice(eq + 1)))}`;
    });
  return `${path}?${params.join('&')}`;
}

const isPlain = (v: object) => {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null || Array.isArray(v);
};

/** An error as a log field: name, message, stack, code and other own fields, every string redacted. */
export function serializeError(e: unknown, depth = 0): unknown {
  if (!(e instanceof Error)) return scrub(e, 2);
  const out: Record<string, unknown> = { type: e.name, message: redactSecrets(e.message) };
  if (e.stack) out.stack = redactSecrets(e.stack);
  for (const [k, v] of Object.entries(e)) if (!Object.hasOwn(out, k)) out[k] = scrub(v, 1);
  if (e.cause !== undefined && depth < 3) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

/** Strings redacted, plain objects and arrays copied `depth` levels down; other values as they are. */
export function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value instanceof Error) return serializeError(value);
  if (value === null || typeof value !== 'object' || depth <= 0 || !isPlain(value)) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth - 1));
  // Built from entries (defining, not assigning), so a logged `__proto__` key stays a plain field.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, depth - 1)]));
}

/** Deep enough for a stream's `inputs[].url` logged inside an object. */
const LOG_DEPTH = 6;

/** Secret fields censored wherever a log call passes them (top level or one object down). */
const SECRET_FIELDS = [
  'password',
  'api_key',
  'apiKey',
  'cluster_key',
  'clusterKey',
  'authorization',
  'cookie',
];
export const SECRET_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]),
];

/**
 * pino options: censored paths, and redacting serializers for the message, `err` and `req`, plus a
 * log formatter that redacts the strings of every logged object.
 */
export function logRedaction(extraPaths: string[] = []) {
  return {
    redact: { paths: [...SECRET_LOG_PATHS, ...extraPaths], censor: CENSOR },
    serializers: {
      msg: (m: unknown) => (typeof m === 'string' ? redactSecrets(m) : m),
      err: (e: unknown) => serializeError(e),
      req: (r: { method?: string; url?: string; ip?: string }) => ({
        method: r.method,
        url: typeof r.url === 'string' ? redactRequestUrl(r.url) : undefined,
        remoteAddress: r.ip,
      }),
    },
    formatters: { log: (o: Record<string, unknown>) => scrub(o, LOG_DEPTH) as Record<string, unknown> },
  };
}
