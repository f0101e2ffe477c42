// Streamer responses are untrusted input: a compromised or misconfigured streamer must not be able to
// inject unknown fields, wrong types or unbounded data into what Central stores and serves. Each
// sanitizer keeps only the fields of the Central model (PeerStats, StreamStats), with the model's types:
// integers where it says integer (rounded and clamped), strings capped, anything else dropped.
import { isRecord } from './objects.ts';

/** Largest count we keep (int32): clients, streams, kbit, percentages-to-be-clamped, … */
export const MAX_COUNT = 2 ** 31 - 1;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
export const MAX_STRING = 1024;
const MAX_ITEMS = 256;

type Rule = (v: unknown) => unknown;
type Rules = Record<string, Rule>;

export { isRecord };

const int =
  (min: number, max: number): Rule =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.round(v))) : undefined;

/** Cuts at `max` UTF-16 units without leaving half a surrogate pair behind. */
export function capString(v: string, max = MAX_STRING): string {
  if (v.length <= max) return v;
  const end = /[\uD800-\uDBFF]/.test(v.charAt(max - 1)) ? max - 1 : max;
  return v.slice(0, end);
}

const str =
  (max = MAX_STRING): Rule =>
  (v) =>
    typeof v === 'string' ? capString(v, max) : undefined;

const bool: Rule = (v) => (typeof v === 'boolean' ? v : undefined);

const oneOf =
  (...values: string[]): Rule =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? v : undefined;

const percent = int(0, 100);
const count = int(0, MAX_COUNT);
const bigCount = int(0, MAX_SAFE); // bytes, megabytes, timestamps in ms
const anyString = str();

/** Applies `rules` to the own fields of `raw`; rules drive the loop, so unknown keys never get through. */
function pick(raw: unknown, rules: Rules): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(raw)) return out;
  for (const [key, rule] of Object.entries(rules)) {
    if (!Object.hasOwn(raw, key)) continue;
    const value = rule(raw[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** A nested object, dropped when nothing valid is left in it. */
const object =
  (rules: Rules): Rule =>
  (v) => {
    const out = pick(v, rules);
    return Object.keys(out).length ? out : undefined;
  };

/** An array of at most `max` items; invalid items are skipped. */
const list =
  (item: Rule, max = MAX_ITEMS): Rule =>
  (v) => {
    if (!Array.isArray(v)) return undefined;
    return v
      .slice(0, max)
      .map(item)
      .filter((x) => x !== undefined);
  };

// Config paths are lists of keys and indexes ("streams", 3, "inputs").
const pathSegment: Rule = (v) => (typeof v === 'string' ? capString(v, 256) : int(0, MAX_COUNT)(v));
const configPath = list(pathSegment, 32);

const textAlerts: Rule = (v) => {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(v).slice(0, 64)) {
    if (typeof value === 'string' && key !== '__proto__') out[capString(key, 256)] = capString(value);
  }
  return out;
};

const PEER_STATS_RULES: Rules = {
  id: str(128),
  hostname: anyString,
  server_version: str(64),
  next_version: str(64),
  build: bigCount,
  started_at: bigCount,
  uptime: bigCount,
  now: bigCount,
  streamer_status: oneOf(
    'no_config',
    'broken_config',
    'config_external_error',
    'license_failure',
    'no_license',
    'starting',
    'running',
  ),
  cpu_usage: percent,
  memory_usage: percent,
  bandwidth_usage: percent,
  scheduler_load: percent,
  input_kbit: count,
  output_kbit: count,
  total_bandwidth: count,
  total_clients: count,
  total_streams: count,
  online_streams: count,
  opened_files: count,
  license_txt: anyString,
  license_type: str(64),
  error: anyString,
  is_chassis: bool,
  rproxy: bool,
  rproxy_running: bool,
  transcoder: bool,
  vsaas: bool,
  vsaas_branding: bool,
  vsaas_running: bool,
  text_alerts: textAlerts,
  config_version: list(bigCount, 4),
  partitions: list(
    object({ device: anyString, path: anyString, total_mb: bigCount, usage: percent, io_util: percent }),
  ),
  config_error: object({
    error: anyString,
    line: count,
    col: count,
    first_error_line: count,
    first_error_col: count,
    path: configPath,
    detail: anyString,
  }),
  config_external_status: object({
    status: oneOf('loaded', 'error'),
    while: oneOf('refresh', 'request', 'srt_port_resolve'),
    reason: oneOf('validation_error', 'network_error', 'malformed_json', 'invalid_request', 'unknown'),
    code: int(0, 999),
    error: anyString,
    detail: anyString,
    path: configPath,
  }),
};

export interface PartitionStats {
  device?: string;
  path?: string;
  total_mb?: number;
  usage?: number;
  io_util?: number;
}

export interface SanitizedPeerStats {
  id?: string;
  hostname?: string;
  server_version?: string;
  next_version?: string;
  build?: number;
  started_at?: number;
  uptime?: number;
  now?: number;
  streamer_status?: string;
  cpu_usage?: number;
  memory_usage?: number;
  bandwidth_usage?: number;
  scheduler_load?: number;
  input_kbit?: number;
  output_kbit?: number;
  total_bandwidth?: number;
  total_clients?: number;
  total_streams?: number;
  online_streams?: number;
  opened_files?: number;
  license_txt?: string;
  license_type?: string;
  error?: string;
  is_chassis?: boolean;
  rproxy?: boolean;
  rproxy_running?: boolean;
  transcoder?: boolean;
  vsaas?: boolean;
  vsaas_branding?: boolean;
  vsaas_running?: boolean;
  text_alerts?: Record<string, string>;
  config_version?: number[];
  partitions?: PartitionStats[];
  config_error?: Record<string, unknown>;
  config_external_status?: Record<string, unknown>;
}

/** The streamer's server_stats -> PeerStats fields only, well-typed and bounded. */
export function sanitizePeerStats(raw: unknown): SanitizedPeerStats {
  return pick(raw, PEER_STATS_RULES) as SanitizedPeerStats;
}

// Fields Central computes itself (running_on, streaming_endpoint, agent ids) and large nested ones
// (media_info, dvr_info) are not taken from the streamer.
const STREAM_STATS_RULES: Rules = {
  status: oneOf('running', 'waiting', 'error'),
  alive: bool,
  bitrate: count,
  bytes_out: bigCount,
  ts_delay: bigCount,
  lifetime: bigCount,
  last_dts_at: bigCount,
  last_running_at: bigCount,
  online_clients: count,
};

export interface SanitizedStreamStats {
  status?: 'running' | 'waiting' | 'error';
  alive?: boolean;
  bitrate?: number;
  bytes_out?: number;
  ts_delay?: number;
  lifetime?: number;
  last_dts_at?: number;
  last_running_at?: number;
  online_clients?: number;
}

export function sanitizeStreamStats(raw: unknown): SanitizedStreamStats {
  return pick(raw, STREAM_STATS_RULES) as SanitizedStreamStats;
}

export interface StreamerStreamItem {
  name: string;
  stats: SanitizedStreamStats | null;
}

/** One item of GET /streams; null when it is not an object with a usable name. */
export function sanitizeStreamItem(raw: unknown): StreamerStreamItem | null {
  if (!isRecord(raw) || typeof raw.name !== 'string') return null;
  if (raw.name === '' || raw.name.length > MAX_STRING) return null;
  return { name: raw.name, stats: isRecord(raw.stats) ? sanitizeStreamStats(raw.stats) : null };
}
