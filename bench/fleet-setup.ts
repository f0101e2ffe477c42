// Set-up of the fleet benchmark: real Central as a child process with the default fleet intervals and
// API_URL pointing at itself, a pg client on its database, and test streamers registered through the
// API and provisioned by Central (config_external) like real ones.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { PgServer } from '../test-kit/postgres.ts';
import { freePort } from '../test-kit/postgres.ts';
import { TestStreamer, startTestStreamers } from '../test-kit/test-streamer.ts';
import { onCleanup, sleep, spawnNode, waitReady, type Child } from './lib.ts';
import { waitUntil, type FAST_FLEET_ENV } from '../test-kit/fleet.ts';
import { cpuMeter } from './cpu.ts';
import type { FleetSettings } from './fleet-report.ts';

export const API_KEY = 'bench-fleet-key-0123456789';
export const AUTH = `Bearer ${API_KEY}`;
export const PREFIX = '/central/api/v3';
const CLUSTER_KEY = 'bench-cluster-key';

/** Central's defaults, spelled out: the tests' FAST_FLEET_ENV keys, every one set back to its default. */
export const DEFAULT_FLEET_ENV = {
  STREAMS_STATS_FETCH_INTERVAL: '5s',
  STREAMER_DEAD_TIMEOUT: '15s',
  STREAMER_FETCH_TIMEOUT: '5s',
  LAYOUT_HOLD_DOWN: '60s',
  LAYOUTER_SLEEPING_INTERVAL: '5m',
  CONFIG_EXTERNAL_RECONCILIATION_INTERVAL: '30s',
} satisfies Record<keyof typeof FAST_FLEET_ENV, string>;

export interface FleetCentral {
  base: string;
  child: Child;
  db: pg.Client;
  api(
    method: string,
    p: string,
    body?: unknown,
  ): Promise<{ status: number; text: string; etag: string | null }>;
}

export async function startFleetCentral(server: PgServer, profDir: string | null): Promise<FleetCentral> {
  const url = await server.createDatabase('fleet');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'central-fleet-bench-'));
  onCleanup('remove fleet temp dir', () => fs.rmSync(tmp, { recursive: true, force: true }));
  // What test-kit's startCentral does, through bench/lib's spawnNode: its output buffer is bounded, it
  // is always stopped, and it can run under --cpu-prof.
  const child = spawnNode(
    'Central (fleet)',
    'server/src/main.ts',
    {
      DATABASE_URL: url,
      API_KEY,
      API_URL: base,
      HTTP_PORT: String(port),
      CENTRAL_DIR: path.join(tmp, 'central'),
      CENTRAL_CONFIG: '/dev/null',
      LOG_LEVEL: 'info',
      ...DEFAULT_FLEET_ENV,
    },
    profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  );
  await waitReady(child, `${base}${PREFIX}/monitoring/readiness`, {});
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  onCleanup('close the fleet database client', () => db.end());
  const api: FleetCentral['api'] = async (method, p, body) => {
    const r = await fetch(`${base}${PREFIX}${p}`, {
      method,
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    return { status: r.status, text: await r.text(), etag: r.headers.get('etag') };
  };
  return { base, child, db, api };
}

export async function expectOk<T extends { status: number; text: string }>(
  p: Promise<T>,
  what: string,
): Promise<T> {
  const r = await p;
  if (r.status < 200 || r.status > 299) throw new Error(`${what}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return r;
}

export async function count(db: pg.Client, sql: string, params: unknown[] = []): Promise<number> {
  const r = await db.query<{ n: number }>(sql, params);
  return Number(r.rows[0]?.n ?? 0);
}

export interface StreamerSpec {
  prefix: string;
  n: number;
  namespace?: string;
  channelLimit?: number;
}

export interface HealthView {
  online: number;
  suspect: number;
  offline: number;
  /** Registered but never polled by Central's health poller (no last_poll_at). */
  neverPolled: number;
  /** Whose last poll failed with a connection reset. */
  resets: number;
}

/** Central's view of these streamers' health (streamer_status). */
export async function healthView(c: FleetCentral, hosts: string[]): Promise<HealthView> {
  const r = await c.db.query<HealthView>(
    `SELECT count(*) FILTER (WHERE state = 'online')::int AS online,
            count(*) FILTER (WHERE state = 'suspect')::int AS suspect,
            ($2::int - count(*) FILTER (WHERE state IN ('online', 'suspect')))::int AS offline,
            ($2::int - count(*) FILTER (WHERE last_poll_at IS NOT NULL))::int AS "neverPolled",
            count(*) FILTER (WHERE error LIKE '%ECONNRESET%')::int AS resets
     FROM streamer_status WHERE hostname = ANY($1::text[])`,
    [hosts, hosts.length],
  );
  return r.rows[0]!;
}

export interface Registration {
  streamers: TestStreamer[];
  /** Registration → every streamer has its config_external. */
  provisionedMs: number;
  /** Registration → all online in Central's view; null when that did not happen within the grace period. */
  onlineMs: number | null;
  /** Central's view when the benchmark went on. */
  health: HealthView;
}

/**
 * Starts `n` test streamers (polling every 5 s, as the fleet does), registers them with one
 * PUT /streamers/batch, waits until Central has provisioned them all, then until its health poller calls
 * them all online, or `graceMs` more, whichever comes first (the benchmark goes on either way, and
 * reports how many were online).
 */
export async function startFleet(
  c: FleetCentral,
  spec: StreamerSpec,
  graceMs = 60_000,
): Promise<Registration> {
  const streamers = await startTestStreamers(spec.n, {
    prefix: spec.prefix,
    clusterKey: CLUSTER_KEY,
    pollIntervalMs: 5000,
  });
  onCleanup(`stop the ${spec.prefix} test streamers`, () => Promise.all(streamers.map((s) => s.stop())));
  const t0 = performance.now();
  const items = streamers.map((s) => ({
    hostname: s.hostname,
    api_url: s.apiUrl,
    cluster_key: CLUSTER_KEY,
    ...(spec.namespace ? { namespace: spec.namespace } : {}),
    ...(spec.channelLimit ? { channel_limit: spec.channelLimit } : {}),
  }));
  await expectOk(c.api('PUT', '/streamers/batch', items), 'PUT /streamers/batch');
  const hosts = streamers.map((s) => s.hostname);
  const provisionedMs = await waitUntil(
    () => streamers.every((s) => s.configExternal !== null),
    180_000,
    `${spec.n} streamers ${spec.prefix}-* provisioned`,
    100,
  );
  let health = await healthView(c, hosts);
  let onlineMs: number | null = null;
  let lastReport = performance.now();
  const t1 = performance.now();
  while (performance.now() - t1 < graceMs) {
    health = await healthView(c, hosts);
    if (health.online === hosts.length) {
      onlineMs = performance.now() - t0;
      break;
    }
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      log(`Central's view of ${spec.prefix}-*: ${JSON.stringify(health)}`);
    }
    await sleep(250);
  }
  return { streamers, provisionedMs, onlineMs, health };
}

/**
 * Central provisions a whole batch of streamers within a second or two, so their 5 s pull timers would
 * all tick together, which real, independently started streamers do not. Restarts each streamer's
 * config_external client at a random moment within one period (before it runs any stream).
 */
export async function spreadPullPhases(streamers: TestStreamer[], periodMs = 5000) {
  await Promise.all(
    streamers.map(async (s) => {
      await sleep(Math.random() * periodMs);
      const url = s.configExternal;
      s.configExternal = null;
      s.configExternal = url;
    }),
  );
}

// ---- shared by the phases ----------------------------------------------------------------------

export interface Ctx {
  c: FleetCentral;
  postmaster: number;
  s: FleetSettings;
}

let startedAt = performance.now();
/** Central is starting: log times count from here. */
export function markStart() {
  startedAt = performance.now();
}
/** Log lines carry the seconds since Central started (to find the phases in a --cpu-prof profile). */
export const log = (msg: string) =>
  console.log(`bench fleet [+${((performance.now() - startedAt) / 1000).toFixed(1)} s]: ${msg}`);
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A CPU meter for one phase; reading it also logs the split. */
export function meter(ctx: Ctx, phase: string) {
  const m = cpuMeter(ctx.c.child.proc.pid!, ctx.postmaster);
  return () => {
    const c = m();
    log(
      `${phase}: CPU cores: Central ${c.app.toFixed(2)}, PostgreSQL ${c.postgres.toFixed(2)}, ` +
        `bench + streamers ${c.loader.toFixed(2)}, other ${c.other.toFixed(2)}`,
    );
    return c;
  };
}

export const streamBody = (name: string, namespace?: string) => ({
  name,
  inputs: [{ url: `udp://239.0.${(name.length * 7) % 250}.1:1234` }],
  title: `Fleet stream ${name}`,
  ...(namespace ? { namespace } : {}),
});

/** PUT /streams/batch in batches of 1000, `batchConcurrency` at a time. */
export async function createStreams(ctx: Ctx, names: string[], namespace?: string) {
  const batches: string[][] = [];
  for (let i = 0; i < names.length; i += ctx.s.batch) batches.push(names.slice(i, i + ctx.s.batch));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const b = batches[next++]!;
      const body = b.map((n) => streamBody(n, namespace));
      await expectOk(ctx.c.api('PUT', '/streams/batch', body), 'PUT /streams/batch');
    }
  };
  await Promise.all(Array.from({ length: ctx.s.batchConcurrency }, worker));
}

export { TestStreamer };
