// GET /cluster/stats (ClusterHealthStats) and GET /streams/{name}/playback (the viewer URLs).
import type { FastifyInstance } from 'fastify';
import type { Db, Queryable } from '../db/types.ts';
import { notFound } from '../http/errors.ts';
import type { Clock } from '../lib/clock.ts';
import { playbackUrls, type PayloadHost } from '../streams/playback.ts';
import { SERVER_VERSION, type RuntimeInfo } from '../system/routes.ts';

type Level = 'operational' | 'degradated' | 'partial_outage' | 'outage' | 'disabled';
const LEVELS: Level[] = ['operational', 'degradated', 'partial_outage', 'outage', 'disabled'];

/** `0.1.0` → 100000 (the SDK wants an integer like 240100023). */
export function versionNumber(v: string): number {
  const [a = 0, b = 0, c = 0] = v.split('.').map((x) => Number.parseInt(x, 10) || 0);
  return a * 10_000_000 + b * 100_000 + c;
}

function usage(value: unknown, warn = 75, bad = 90) {
  const u = typeof value === 'number' ? Math.round(value) : 0;
  return { status: (u >= bad ? 'outage' : u >= warn ? 'degradated' : 'operational') as Level, usage: u };
}

function totals(counts: Partial<Record<Level, number>>) {
  const out: Record<string, number> = { total: 0 };
  for (const l of LEVELS) {
    out[l] = counts[l] ?? 0;
    out.total! += out[l]!;
  }
  return out;
}

type StreamerStatRow = {
  hostname: string;
  state: string | null;
  stats: Record<string, unknown> | null;
  running: number;
  waiting: number;
  failing: number;
};

export type StreamCounts = { disabled: number; running: number; waiting: number; failing: number };

/** Streams by status (disabled ones only as disabled; one nobody reported on yet is waiting). */
export async function streamCounts(db: Queryable): Promise<StreamCounts> {
  const r = await db.query<StreamCounts>(
    `SELECT count(*) FILTER (WHERE t.disabled)::int AS disabled,
       count(*) FILTER (WHERE NOT t.disabled AND ss.stats->>'status' = 'running')::int AS running,
       count(*) FILTER (WHERE NOT t.disabled AND ss.stats->>'status' = 'error')::int AS failing,
       count(*) FILTER (WHERE NOT t.disabled AND COALESCE(ss.stats->>'status', 'waiting') NOT IN ('running', 'error'))::int AS waiting
     FROM streams t LEFT JOIN stream_status ss ON ss.name = t.name`,
  );
  return r.rows[0]!;
}

export async function clusterStats(db: Db, clock: Clock, info: RuntimeInfo) {
  const s = await streamCounts(db);
  const rows = await db.query<StreamerStatRow>(
    `SELECT s.hostname, st.state, st.stats,
       count(ss.name) FILTER (WHERE ss.stats->>'status' = 'running')::int AS running,
       count(t.name) FILTER (WHERE COALESCE(ss.stats->>'status', 'waiting') NOT IN ('running', 'error'))::int AS waiting,
       count(ss.name) FILTER (WHERE ss.stats->>'status' = 'error')::int AS failing
     FROM streamers s LEFT JOIN streamer_status st ON st.hostname = s.hostname
       LEFT JOIN stream_layouts l ON l.ingest = s.hostname
       LEFT JOIN streams t ON t.name = l.name AND NOT t.disabled
       LEFT JOIN stream_status ss ON ss.name = t.name
     GROUP BY s.hostname, st.state, st.stats ORDER BY s.hostname`,
  );
  const streamerCounts: Partial<Record<Level, number>> = {};
  let inKbit = 0;
  let outKbit = 0;
  const metrics = rows.rows.map((r) => {
    const st = r.stats ?? {};
    const health = (st.healthcheck_status as { status?: string } | undefined)?.status;
    const status: Level =
      r.state === 'online'
        ? health === 'error'
          ? 'degradated'
          : 'operational'
        : r.state === 'suspect'
          ? 'partial_outage'
          : 'outage';
    streamerCounts[status] = (streamerCounts[status] ?? 0) + 1;
    const online = r.state !== 'offline' && r.state !== null;
    if (online) {
      inKbit += typeof st.input_kbit === 'number' ? st.input_kbit : 0;
      outKbit += typeof st.output_kbit === 'number' ? st.output_kbit : 0;
    }
    const streamTotals = totals({ operational: r.running, partial_outage: r.waiting, outage: r.failing });
    return {
      hostname: r.hostname,
      status,
      ...(online && typeof st.uptime === 'number' ? { uptime: st.uptime } : {}),
      cpu: online ? usage(st.cpu_usage) : { status: 'outage' as Level },
      memory: online ? usage(st.memory_usage) : { status: 'outage' as Level },
      network: online
        ? {
            in_kbit: { status: 'operational', usage: st.input_kbit ?? 0 },
            out_kbit: usage(st.bandwidth_usage),
          }
        : {},
      config: { status: online ? (health === 'error' ? 'degradated' : 'operational') : 'outage' },
      stream_metrics: { ...streamTotals, status: r.failing ? 'degradated' : 'operational' },
    };
  });
  return {
    collected_at: clock.now(),
    server_id: info.serverId,
    version: versionNumber(SERVER_VERSION),
    stream_metrics_total: totals({
      operational: s.running,
      partial_outage: s.waiting,
      outage: s.failing,
      disabled: s.disabled,
    }),
    streamer_metrics_total: totals(streamerCounts),
    agent_metrics_total: totals({}),
    streamer_bitrate_metrics_total: { input_kbit: inKbit, output_kbit: outKbit },
    streamer_metrics: metrics,
  };
}

export function clusterRoutes(api: FastifyInstance, db: Db, clock: Clock, info: RuntimeInfo) {
  api.get('/cluster/stats', async () => clusterStats(db, clock, info));
}

/** GET /streams/{name}/playback: where viewers play the stream now (empty while it is not placed). */
export function playbackHandler(db: Db) {
  return async (name: string) => {
    const r = await db.query<{ config: Record<string, unknown>; streamer: PayloadHost | null }>(
      `SELECT t.config, (SELECT jsonb_build_object('hostname', sr.hostname,
          'public_payload_url', sr.config->>'public_payload_url', 'private_payload_url', sr.config->>'private_payload_url',
          'api_url', sr.config->>'api_url')
        FROM stream_layouts l JOIN streamers sr ON sr.hostname = l.ingest WHERE l.name = t.name) AS streamer
       FROM streams t WHERE t.name = $1`,
      [name],
    );
    const row = r.rows[0];
    if (!row) throw notFound(`stream ${name} not found`);
    if (!row.streamer || row.config.disabled === true) return { name, ingest: null, urls: {} };
    return { name, ingest: row.streamer.hostname, urls: playbackUrls(name, row.config, row.streamer) };
  };
}
