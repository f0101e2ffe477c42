// Response bodies of the fake streamer's API, shaped after the Flussonic Media Server 23.05 schemas
// (server_stats, stream_config + stream_stats, streams_list, error_response). Numbers are fake but
// deterministic, so tests and benchmarks can predict them.
import crypto from 'node:crypto';
import type { ExternalStatus } from '../streamer/src/config-external/poller.ts';

export { errorBody } from '../streamer/src/api/list.ts';

/** What a running stream has beyond its config: identity and start time. */
export interface StreamRuntime {
  id: string;
  openedAt: number;
  bitrate: number;
}

export function newRuntime(name: string, now: number): StreamRuntime {
  // 1000..1999 kbit, stable per name: lets tests check aggregated bitrates without guessing.
  const bitrate = 1000 + (crypto.createHash('sha1').update(name).digest().readUInt16BE(0) % 1000);
  return { id: crypto.randomUUID(), openedAt: now, bitrate };
}

export interface StatsInput {
  id: string;
  hostname: string;
  version: string;
  startedAt: number;
  now: number;
  runtimes: StreamRuntime[];
  external: ExternalStatus | null;
  override: Record<string, unknown>;
}

/** `GET /config/stats` (server_stats); also embedded as `stats` in `GET /config`. */
export function serverStats(s: StatsInput): Record<string, unknown> {
  const n = s.runtimes.length;
  const kbit = s.runtimes.reduce((sum, r) => sum + r.bitrate, 0);
  return {
    id: s.id,
    hostname: s.hostname,
    server_version: s.version,
    started_at: Math.floor(s.startedAt / 1000),
    uptime: Math.floor((s.now - s.startedAt) / 1000),
    now: s.now,
    streamer_status: s.external?.status === 'error' ? 'config_external_error' : 'running',
    cpu_usage: Math.min(100, 2 + Math.floor(n / 50)),
    memory_usage: Math.min(100, 10 + Math.floor(n / 100)),
    bandwidth_usage: 0,
    input_kbit: kbit,
    output_kbit: kbit,
    total_streams: n,
    online_streams: n,
    total_clients: 0,
    ...(s.external ? { config_external_status: s.external } : {}),
    ...s.override,
  };
}

export function whoami(version: string, startedAt: number, now: number) {
  return { now, server_version: version, started_at: Math.floor(startedAt / 1000) };
}

/** stream_config with runtime stream_stats, as `GET /streams` and `GET /streams/{name}` show it. */
export function streamView(
  name: string,
  config: Record<string, unknown>,
  rt: StreamRuntime,
  hostname: string,
  now: number,
): Record<string, unknown> {
  const lifetime = Math.max(0, now - rt.openedAt);
  return {
    named_by: 'external',
    static: true,
    ...config,
    name,
    stats: {
      id: rt.id,
      status: 'running',
      alive: true,
      running: true,
      opened_at: rt.openedAt,
      started_at: rt.openedAt,
      start_running_at: rt.openedAt,
      last_access_at: now,
      lifetime,
      bitrate: rt.bitrate,
      input_bitrate: rt.bitrate,
      output_bitrate: 0,
      bytes_in: Math.floor((rt.bitrate * 125 * lifetime) / 1000),
      bytes_out: 0,
      online_clients: 0,
      retry_count: 0,
      input_error_rate: 0,
      running_on: [hostname],
    },
  };
}
