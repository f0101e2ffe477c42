// Fleet-control settings (health, layout, provisioning, outbound calls). Durations use Go syntax as
// Flussonic's own variables do (`5s`, `500ms`, `1m`); a plain number is milliseconds.
import { parseDuration } from '@central/protocol/config-file';
import { parseCidrList } from './lib/net-guard.ts';

export { parseDuration };

export const FLEET_KEYS = [
  'STREAMS_STATS_FETCH_INTERVAL',
  'STREAMER_DEAD_TIMEOUT',
  'STREAMER_FETCH_TIMEOUT',
  'LAYOUTER_ENABLED',
  'LAYOUTER_SLEEPING_INTERVAL',
  'LAYOUT_HOLD_DOWN',
  'CONFIG_EXTERNAL_RECONCILIATION_INTERVAL',
  'STREAMER_ALLOW_CIDRS',
  'STREAMER_DENY_CIDRS',
] as const;
export type FleetKey = (typeof FLEET_KEYS)[number];

export interface FleetConfig {
  /** How often the health poller reads every streamer's stats and streams. */
  readonly statsIntervalMs: number;
  /** A streamer with no contact at all (no good poll, no pull) for this long is offline. */
  readonly deadTimeoutMs: number;
  /** Deadline of one outbound call to a streamer. */
  readonly fetchTimeoutMs: number;
  readonly layouterEnabled: boolean;
  /**
   * A full layout round runs at least this often even when nothing changed (a safety net: every change
   * to streams, streamers, manual layouts or streamer states starts a round at once).
   */
  readonly layouterIntervalMs: number;
  /** A recovered preferred streamer gets its streams back only after being online this long. */
  readonly holdDownMs: number;
  /** How often a provisioned streamer's config_external is checked again. */
  readonly reconcileIntervalMs: number;
  readonly allowCidrs: readonly string[];
  readonly denyCidrs: readonly string[];
}

export const FLEET_DEFAULTS: FleetConfig = Object.freeze({
  statsIntervalMs: 5000,
  deadTimeoutMs: 15_000,
  fetchTimeoutMs: 5000,
  layouterEnabled: true,
  layouterIntervalMs: 300_000,
  holdDownMs: 60_000,
  reconcileIntervalMs: 30_000,
  allowCidrs: [],
  denyCidrs: [],
});

export function parseFleetConfig(
  get: (k: FleetKey) => string | undefined,
  parseBool: (key: string, v: string, problems: string[]) => boolean,
  problems: string[],
): FleetConfig {
  const duration = (key: FleetKey, def: number, min: number, max: number) => {
    const raw = get(key);
    if (raw === undefined) return def;
    const ms = parseDuration(raw.trim());
    if (ms === null || ms < min || ms > max) {
      problems.push(
        `${key}: "${raw}" is not a duration between ${min} ms and ${max / 1000} s (e.g. 5s, 500ms)`,
      );
      return def;
    }
    return ms;
  };
  const cidrs = (key: FleetKey) => {
    const raw = get(key);
    if (raw === undefined) return [];
    try {
      return parseCidrList(raw, key);
    } catch (e) {
      problems.push((e as Error).message);
      return [];
    }
  };
  const d = FLEET_DEFAULTS;
  const statsIntervalMs = duration('STREAMS_STATS_FETCH_INTERVAL', d.statsIntervalMs, 100, 3_600_000);
  const deadTimeoutMs = duration('STREAMER_DEAD_TIMEOUT', d.deadTimeoutMs, 500, 86_400_000);
  if (deadTimeoutMs <= statsIntervalMs)
    problems.push(
      `STREAMER_DEAD_TIMEOUT: ${deadTimeoutMs} ms must be longer than STREAMS_STATS_FETCH_INTERVAL (${statsIntervalMs} ms)`,
    );
  const layouterRaw = get('LAYOUTER_ENABLED');
  return Object.freeze({
    statsIntervalMs,
    deadTimeoutMs,
    fetchTimeoutMs: duration('STREAMER_FETCH_TIMEOUT', d.fetchTimeoutMs, 100, 300_000),
    layouterEnabled: layouterRaw === undefined ? true : parseBool('LAYOUTER_ENABLED', layouterRaw, problems),
    layouterIntervalMs: duration('LAYOUTER_SLEEPING_INTERVAL', d.layouterIntervalMs, 100, 3_600_000),
    holdDownMs: duration('LAYOUT_HOLD_DOWN', d.holdDownMs, 0, 86_400_000),
    reconcileIntervalMs: duration(
      'CONFIG_EXTERNAL_RECONCILIATION_INTERVAL',
      d.reconcileIntervalMs,
      100,
      86_400_000,
    ),
    allowCidrs: Object.freeze(cidrs('STREAMER_ALLOW_CIDRS')),
    denyCidrs: Object.freeze(cidrs('STREAMER_DENY_CIDRS')),
  });
}
