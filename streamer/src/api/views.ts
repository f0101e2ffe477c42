// Response bodies of the streamer API, shaped after Flussonic Media Server 23.05 (server_stats,
// stream_config + stream_stats). Everything numeric is an integer where the schema says so.
import type { ExternalStatus, StreamConfig } from '../config-external/poller.ts';
import type { StreamRunStats } from '../media/manager.ts';

export const SERVER_VERSION = '23.05-open';

export interface ServerFacts {
  id: string;
  hostname: string;
  startedAt: number;
  now: number;
  cpuUsage: number;
  memoryUsage: number;
  outputKbit: number;
  totalBandwidth: number;
  clients: number;
  streams: StreamRunStats[];
  external: ExternalStatus | null;
}

/** `GET /config/stats` (server_stats); also embedded as `stats` in `GET /config`. */
export function serverStats(f: ServerFacts): Record<string, unknown> {
  const inputKbit = f.streams.reduce((sum, s) => sum + s.bitrate, 0);
  const bandwidth =
    f.totalBandwidth > 0 ? Math.min(100, Math.round((100 * f.outputKbit) / f.totalBandwidth)) : 0;
  return {
    id: f.id,
    hostname: f.hostname,
    server_version: SERVER_VERSION,
    started_at: Math.floor(f.startedAt / 1000),
    uptime: Math.floor((f.now - f.startedAt) / 1000),
    now: f.now,
    streamer_status: f.external?.status === 'error' ? 'config_external_error' : 'running',
    cpu_usage: Math.max(0, Math.min(100, f.cpuUsage)),
    memory_usage: Math.max(0, Math.min(100, f.memoryUsage)),
    bandwidth_usage: bandwidth,
    ...(f.totalBandwidth > 0 ? { total_bandwidth: f.totalBandwidth } : {}),
    input_kbit: inputKbit,
    output_kbit: f.outputKbit,
    total_streams: f.streams.length,
    online_streams: f.streams.filter((s) => s.alive).length,
    total_clients: f.clients,
    transcoder: true,
    ...(f.external ? { config_external_status: f.external } : {}),
  };
}

export function whoami(startedAt: number, now: number) {
  return { now, server_version: SERVER_VERSION, started_at: Math.floor(startedAt / 1000) };
}

/** stream_config with runtime stream_stats, as `GET /streams` and `GET /streams/{name}` show it. */
export function streamView(
  config: StreamConfig,
  stats: StreamRunStats | undefined,
  hostname: string,
  external: boolean,
): Record<string, unknown> {
  const s = stats;
  return {
    named_by: external ? 'external' : 'config',
    static: true,
    ...config,
    stats: s
      ? {
          status: s.status,
          alive: s.alive,
          running: s.status === 'running',
          opened_at: s.opened_at,
          ...(s.started_at !== null ? { started_at: s.started_at, start_running_at: s.started_at } : {}),
          lifetime: s.lifetime,
          bitrate: s.bitrate,
          input_bitrate: s.bitrate,
          bytes_in: s.bytes_in,
          retry_count: s.retry_count,
          ...(s.url ? { url: s.url } : {}),
          ...(s.source_error ? { source_error: s.source_error } : {}),
          running_on: [hostname],
        }
      : { status: 'waiting', alive: false, running: false, lifetime: 0, bitrate: 0, running_on: [] },
  };
}
