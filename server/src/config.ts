// Reads /etc/central/central.conf (or --config / CENTRAL_CONFIG) and the environment into one validated,
// frozen Config. Every problem is collected and reported as one line naming the key.
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import {
  configFileFrom,
  parseBool,
  parseConfigFile,
  readConfigFile,
  parseEditAuth as parseCredentials,
  parsePort,
} from '@central/protocol/config-file';
import { FLEET_KEYS, parseFleetConfig, type FleetConfig } from './config-fleet.ts';
import { parseCidrList } from './lib/net-guard.ts';

export { parseConfigFile };
const parseEditAuth = (v: string, problems: string[]) =>
  parseCredentials('EDIT_AUTH', v, problems, PLACEHOLDERS);

export const DEFAULT_CONFIG_FILE = '/etc/central/central.conf';
export const DEFAULT_HTTP_PORT = 9019;
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
/** Placeholders from the product's own sample configs: starting with them would be a known secret. */
const PLACEHOLDERS = new Set(['KEY0', 'REPLACE_YOUR_PASSWORD', 'changeme']);
/** The API key opens the whole API (and is in the streamers' config_external URLs): a long random secret. */
export const MIN_API_KEY_LENGTH = 16;

/** Flussonic log levels (wire names) mapped to pino levels. */
const LOG_LEVELS: Record<string, string> = {
  none: 'silent',
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  alert: 'fatal',
  critical: 'fatal',
  fatal: 'fatal',
};

export const KNOWN_KEYS = [
  'DATABASE_URL',
  'DATABASE_MAX_CONNECTIONS',
  'API_KEY',
  'API_URL',
  'EDIT_AUTH',
  'HTTP_PORT',
  'HTTPS_PORT',
  'SSL_CERTIFICATE',
  'SSL_CERTIFICATE_KEY',
  'LOG_LEVEL',
  'LOG_REQUESTS',
  'METRICS_AUTH',
  'CENTRAL_DIR',
  'CLUSTER_NODE_CONFIG_PROVISION_ENABLED',
  'WEB_DIR',
  'TRUST_PROXY',
  ...FLEET_KEYS,
] as const;
type Key = (typeof KNOWN_KEYS)[number];
/** Older spellings accepted in the file and the environment. */
const ALIASES: Record<string, Key> = { LOGLEVEL: 'LOG_LEVEL', DATA_DIR: 'CENTRAL_DIR' };

export interface Config {
  readonly configFile: string | null;
  readonly databaseUrl: string | null;
  /** null: the default pool size (see db/postgres.ts). */
  readonly databaseMaxConnections: number | null;
  /** null: generate one in the data directory on first start. */
  readonly apiKey: string | null;
  readonly apiUrl: string | null;
  readonly editAuth: { readonly login: string; readonly password: string } | null;
  readonly httpPort: number;
  readonly https: {
    readonly port: number;
    readonly cert: Buffer;
    readonly key: Buffer;
    readonly certPath: string;
    readonly keyPath: string;
  } | null;
  readonly logLevel: string;
  readonly logLevelName: string;
  readonly logRequests: boolean;
  /** Who may read GET /metrics: `api_key` (Bearer API_KEY) or `none` (anyone reaching the port). */
  readonly metricsAuth: 'none' | 'api_key';
  readonly centralDir: string;
  readonly provisionEnabled: boolean;
  /** The built web UI; null: `<repo>/web/dist` (see ui/static.ts). */
  readonly webDir: string | null;
  /** Reverse proxies (addresses, CIDRs) whose X-Forwarded-For/-Proto are believed; empty: none. */
  readonly trustProxy: readonly string[];
  readonly fleet: FleetConfig;
}

export class ConfigError extends Error {
  /** `warnings` (e.g. a misspelt key) are shown too: they often explain the problem. */
  constructor(
    readonly problems: string[],
    readonly warnings: string[] = [],
  ) {
    const lines = [...problems, ...warnings.map((w) => `warning: ${w}`)];
    super(`invalid configuration:\n${lines.map((p) => `  ${p}`).join('\n')}`);
  }
}

function canonicalKey(name: string): Key | null {
  let k = name.toUpperCase();
  if (k.startsWith('CENTRAL_') && k !== 'CENTRAL_DIR' && k !== 'CENTRAL_CONFIG')
    k = k.slice('CENTRAL_'.length);
  if (ALIASES[k]) return ALIASES[k]!;
  return (KNOWN_KEYS as readonly string[]).includes(k) ? (k as Key) : null;
}

export interface LoadOptions {
  argv?: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** Collects raw values: file first, then plain env names, then CENTRAL_-prefixed env names. */
function collect(opts: LoadOptions) {
  const env = opts.env ?? process.env;
  const { raw, problems, warnings, configFile } = readConfigFile(
    configFileFrom(opts.argv ?? [], env.CENTRAL_CONFIG, DEFAULT_CONFIG_FILE),
    canonicalKey,
  );
  for (const prefixed of [false, true]) {
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined || name.startsWith('CENTRAL_') !== prefixed) continue;
      const key = canonicalKey(name);
      if (key && (prefixed || (KNOWN_KEYS as readonly string[]).includes(name))) raw.set(key, value);
    }
  }
  return { raw, problems, warnings, configFile };
}

function checkDatabaseUrl(v: string, problems: string[]) {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    problems.push(
      'DATABASE_URL: not a valid URL (expected postgres://user:password@host:port/database; percent-encode special characters in the password)',
    );
    return;
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    problems.push(`DATABASE_URL: scheme must be postgres:// or postgresql://, got ${u.protocol}//`);
  const mode = u.searchParams.get('sslmode');
  if (mode !== null && !SSL_MODES.includes(mode))
    problems.push(`DATABASE_URL: sslmode "${mode}" is not one of ${SSL_MODES.join(', ')}`);
  try {
    decodeURIComponent(u.password);
    decodeURIComponent(u.username);
  } catch {
    problems.push('DATABASE_URL: the user name or password has a broken percent-encoding');
  }
}

function loadTls(port: number, cert: string | undefined, key: string | undefined, problems: string[]) {
  if (!cert) problems.push('SSL_CERTIFICATE: required when HTTPS_PORT is set');
  if (!key) problems.push('SSL_CERTIFICATE_KEY: required when HTTPS_PORT is set');
  if (!cert || !key) return null;
  let certBuf: Buffer | undefined;
  let keyBuf: Buffer | undefined;
  try {
    certBuf = fs.readFileSync(cert);
  } catch (e) {
    problems.push(
      `SSL_CERTIFICATE: cannot read ${cert}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    keyBuf = fs.readFileSync(key);
  } catch (e) {
    problems.push(
      `SSL_CERTIFICATE_KEY: cannot read ${key}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if (!certBuf || !keyBuf) return null;
  try {
    tls.createSecureContext({ cert: certBuf, key: keyBuf });
  } catch (e) {
    problems.push(
      `SSL_CERTIFICATE, SSL_CERTIFICATE_KEY: not a usable certificate and key pair: ${(e as Error).message}`,
    );
    return null;
  }
  return { port, cert: certBuf, key: keyBuf, certPath: cert, keyPath: key };
}

const METRICS_AUTH_MODES = ['api_key', 'none'] as const;

function parseMetricsAuth(v: string | undefined, problems: string[]): Config['metricsAuth'] {
  const mode = (v ?? 'api_key').toLowerCase();
  if ((METRICS_AUTH_MODES as readonly string[]).includes(mode)) return mode as Config['metricsAuth'];
  problems.push(`METRICS_AUTH: "${v}" is not one of ${METRICS_AUTH_MODES.join(', ')}`);
  return 'api_key';
}

/** `TRUST_PROXY=10.0.0.5, 10.1.0.0/16`: the reverse proxies in front of Central. */
function parseTrustProxy(v: string | undefined, problems: string[]): readonly string[] {
  if (v === undefined) return Object.freeze([]);
  try {
    const list = parseCidrList(v, 'TRUST_PROXY');
    if (list.length) return Object.freeze(list);
    problems.push(
      'TRUST_PROXY: expected addresses or CIDRs of the reverse proxies, e.g. 10.0.0.5,10.1.0.0/16',
    );
  } catch (e) {
    problems.push((e as Error).message);
  }
  return Object.freeze([]);
}

export function loadConfig(opts: LoadOptions = {}): { config: Config; warnings: string[] } {
  const { raw, problems, warnings, configFile } = collect(opts);
  const get = (k: Key) => {
    const v = raw.get(k);
    return v === undefined || v === '' ? undefined : v;
  };
  const databaseUrl = get('DATABASE_URL') ?? null;
  if (databaseUrl) checkDatabaseUrl(databaseUrl, problems);
  const maxConnRaw = get('DATABASE_MAX_CONNECTIONS');
  let databaseMaxConnections: number | null = null;
  if (maxConnRaw !== undefined) {
    if (/^\d+$/.test(maxConnRaw) && Number(maxConnRaw) >= 1 && Number(maxConnRaw) <= 1000)
      databaseMaxConnections = Number(maxConnRaw);
    else problems.push(`DATABASE_MAX_CONNECTIONS: "${maxConnRaw}" is not a number of connections (1-1000)`);
  }
  const apiKey = get('API_KEY') ?? null;
  if (apiKey !== null) {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
    if (/[\s\x00-\x1f\x7f]/.test(apiKey))
      problems.push('API_KEY: must not contain spaces or control characters');
    if (PLACEHOLDERS.has(apiKey))
      problems.push(`API_KEY: "${apiKey}" is the sample placeholder; choose a secret value`);
    else if (apiKey.length < MIN_API_KEY_LENGTH)
      problems.push(
        `API_KEY: ${apiKey.length} characters is too short: use at least ${MIN_API_KEY_LENGTH} (e.g. openssl rand -hex 16)`,
      );
  }
  const apiUrl = get('API_URL') ?? null;
  if (apiUrl && !/^https?:\/\/[^\s/?#]+/.test(apiUrl))
    problems.push(`API_URL: "${apiUrl}" is not an http(s) URL like http://central.example.com:9019`);
  const editAuthRaw = get('EDIT_AUTH');
  const editAuth = editAuthRaw ? parseEditAuth(editAuthRaw, problems) : null;
  const httpPortRaw = get('HTTP_PORT');
  const httpPort = httpPortRaw ? (parsePort('HTTP_PORT', httpPortRaw, problems) ?? 0) : DEFAULT_HTTP_PORT;
  const httpsPortRaw = get('HTTPS_PORT');
  let https: Config['https'] = null;
  if (httpsPortRaw) {
    const port = parsePort('HTTPS_PORT', httpsPortRaw, problems);
    if (port !== null && port !== 0 && port === httpPort)
      problems.push(`HTTPS_PORT: ${port} is also HTTP_PORT`);
    if (port !== null) https = loadTls(port, get('SSL_CERTIFICATE'), get('SSL_CERTIFICATE_KEY'), problems);
  } else if (get('SSL_CERTIFICATE') || get('SSL_CERTIFICATE_KEY')) {
    warnings.push('SSL_CERTIFICATE/SSL_CERTIFICATE_KEY are set but HTTPS_PORT is not: HTTPS stays off');
  }
  const logLevelName = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS[logLevelName])
    problems.push(`LOG_LEVEL: "${logLevelName}" is not one of ${Object.keys(LOG_LEVELS).join(', ')}`);
  const logRequests = get('LOG_REQUESTS') ? parseBool('LOG_REQUESTS', get('LOG_REQUESTS')!, problems) : false;
  const metricsAuth = parseMetricsAuth(get('METRICS_AUTH'), problems);
  const provisionRaw = get('CLUSTER_NODE_CONFIG_PROVISION_ENABLED');
  const provisionEnabled = provisionRaw
    ? parseBool('CLUSTER_NODE_CONFIG_PROVISION_ENABLED', provisionRaw, problems)
    : true;
  const centralDir = path.resolve(opts.cwd ?? process.cwd(), get('CENTRAL_DIR') ?? 'data');
  const webDirRaw = get('WEB_DIR');
  const webDir = webDirRaw ? path.resolve(opts.cwd ?? process.cwd(), webDirRaw) : null;
  const trustProxy = parseTrustProxy(get('TRUST_PROXY'), problems);
  const fleet = parseFleetConfig(get, parseBool, problems);
  if (problems.length) throw new ConfigError(problems, warnings);
  const config: Config = Object.freeze({
    configFile,
    databaseUrl,
    databaseMaxConnections,
    apiKey,
    apiUrl,
    editAuth: editAuth ? Object.freeze(editAuth) : null,
    httpPort,
    https: https ? Object.freeze(https) : null,
    logLevel: LOG_LEVELS[logLevelName]!,
    logLevelName,
    logRequests,
    metricsAuth,
    centralDir,
    provisionEnabled,
    webDir,
    trustProxy,
    fleet,
  });
  return { config, warnings };
}
