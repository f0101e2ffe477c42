// The fleet benchmark (`npm run bench -- --only fleet`): 200 test streamers × 500 streams on a durable
// PostgreSQL, real Central as a process with the default fleet intervals. Measures placing 100,000
// streams, steady CPU under polling, unchanged and full pulls, a 6,000-stream pull and failover after a
// streamer dies. The streamers live in this process; the pulls are timed from a separate process
// (fleet-pulls.ts, fleet-load.ts).
import { sleep } from './lib.ts';
import { bigPull, pullLatency } from './fleet-pulls.ts';
import {
  count,
  createStreams,
  expectOk,
  healthView,
  log,
  spreadPullPhases,
  markStart,
  meter,
  secs,
  startFleet,
  startFleetCentral,
  type Ctx,
  type TestStreamer,
} from './fleet-setup.ts';
import type { FleetSettings } from './fleet-report.ts';
import type { PgServer } from '../test-kit/postgres.ts';
import { waitUntil } from '../test-kit/fleet.ts';

const streamName = (i: number) => `fleet-${String(i).padStart(6, '0')}`;

const num = (name: string, dflt: number) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}: not a positive number`);
  return v;
};

export function fleetSettings(): FleetSettings {
  return {
    streamers: Math.round(num('BENCH_FLEET_STREAMERS', 200)),
    perStreamer: Math.round(num('BENCH_FLEET_STREAMS', 500)),
    big: Math.round(num('BENCH_FLEET_BIG', 6000)),
    batch: 1000,
    batchConcurrency: Math.round(num('BENCH_FLEET_BATCH_CONCURRENCY', 4)),
    settle: num('BENCH_FLEET_SETTLE', 20),
    steady: num('BENCH_FLEET_STEADY', 30),
    rate304: num('BENCH_FLEET_RATE', 200),
    rate200: num('BENCH_FLEET_RATE_200', 50),
    seconds: num('BENCH_FLEET_SECONDS', 10),
    failovers: Math.round(num('BENCH_FLEET_FAILOVERS', 5)),
    cpuProfile: !!process.env.BENCH_CPU_PROF,
  };
}

/** Budget for the watchdog. */
export function fleetBudgetMs(s: FleetSettings) {
  return (600 + s.settle + s.steady + 2 * s.seconds + 60 * s.failovers) * 1000;
}

const pulled = (streamers: TestStreamer[]) =>
  streamers.reduce((n, s) => n + (s.running ? s.streams.size : 0), 0);

async function placement(ctx: Ctx, streamers: TestStreamer[]) {
  const total = ctx.s.streamers * ctx.s.perStreamer;
  const names = Array.from({ length: total }, (_, i) => streamName(i));
  log(
    `creating ${total} streams (PUT /streams/batch × ${total / ctx.s.batch}, ${ctx.s.batchConcurrency} at a time)`,
  );
  const cpu = meter(ctx, 'placement');
  const t0 = performance.now();
  let placedAt = 0;
  let done = false;
  // Watch the placed count from the first write on (every 250 ms).
  const watch = (async () => {
    while (!placedAt) {
      const n = await count(
        ctx.c.db,
        'SELECT count(*)::int AS n FROM stream_layouts WHERE ingest IS NOT NULL',
      );
      if (n >= total) placedAt = performance.now();
      else if (done && performance.now() - t0 > 600_000) throw new Error(`only ${n} of ${total} placed`);
      else await sleep(250);
    }
  })();
  await createStreams(ctx, names);
  const writtenAt = performance.now();
  done = true;
  log(`all ${total} streams written in ${secs(writtenAt - t0)}; waiting for placement`);
  await watch;
  log(`all placed ${secs(placedAt - t0)} after the first write`);
  await waitUntil(
    () => pulled(streamers) >= total,
    300_000,
    `all ${total} streams in the streamers' pulls`,
    100,
  );
  const pulledAt = performance.now();
  log(`all in the streamers' pulls ${secs(pulledAt - t0)} after the first write`);
  const per = streamers.map((s) => s.streams.size).filter((n) => n > 0);
  return {
    total,
    /** Streamers that got streams (the layouter places only on streamers Central sees online). */
    withStreams: per.length,
    writeMs: writtenAt - t0,
    firstToPlacedMs: placedAt - t0,
    lastToPlacedMs: placedAt - writtenAt,
    firstToPulledMs: pulledAt - t0,
    minPerStreamer: Math.min(...per),
    maxPerStreamer: Math.max(...per),
    cpu: cpu(),
  };
}

function counters(streamers: TestStreamer[]) {
  return streamers.reduce(
    (a, s) => ({
      stats: a.stats + s.stats.statsRequests,
      notModified: a.notModified + s.stats.notModified,
      full: a.full + s.stats.pulls,
      errors: a.errors + s.stats.pullErrors,
    }),
    { stats: 0, notModified: 0, full: 0, errors: 0 },
  );
}

async function steady(ctx: Ctx, streamers: TestStreamer[]) {
  log(`settling ${ctx.s.settle} s, then measuring Central's CPU for ${ctx.s.steady} s of steady polling`);
  await sleep(ctx.s.settle * 1000);
  const before = counters(streamers);
  const polledBefore = streamers.map((s) => s.stats.statsRequests);
  const cpu = meter(ctx, 'steady');
  await sleep(ctx.s.steady * 1000);
  const used = cpu();
  const after = counters(streamers);
  const health = await healthView(
    ctx.c,
    streamers.map((s) => s.hostname),
  );
  const n = streamers.length;
  const pulls = after.notModified - before.notModified + after.full - before.full;
  return {
    seconds: ctx.s.steady,
    cpu: used,
    pulls,
    notModified: after.notModified - before.notModified,
    pullErrors: after.errors - before.errors,
    /** Mean seconds between two pulls of one streamer (their own timer says 5 s). */
    pullPeriod: pulls ? (ctx.s.steady * n) / pulls : Infinity,
    /** Mean seconds between two health polls (GET /config/stats) of one streamer (configured: 5 s). */
    pollPeriod: after.stats > before.stats ? (ctx.s.steady * n) / (after.stats - before.stats) : Infinity,
    /** Health polls (GET /config/stats) per second, and how many streamers got any. */
    pollsPerSecond: (after.stats - before.stats) / ctx.s.steady,
    polledStreamers: streamers.filter((s, i) => s.stats.statsRequests > polledBefore[i]!).length,
    /** Central's view at the end of the window. */
    health,
  };
}

async function failover(ctx: Ctx, streamers: TestStreamer[], victim: TestStreamer) {
  const names = [...victim.streams.keys()];
  const others = streamers.filter((s) => s !== victim);
  // At a random moment of its own 5 s pull period (and of everyone else's).
  await sleep(Math.random() * 5000);
  log(`stopping ${victim.hostname} (${names.length} streams)`);
  const cpu = meter(ctx, `failover of ${victim.hostname}`);
  const t0 = performance.now();
  const stoppedAt = Date.now();
  await victim.stop();
  const marks: {
    suspect?: number;
    offline?: number;
    moved?: number;
    pulled?: number;
    /** How long before the stop Central last heard from it (good poll or pull), as Central recorded. */
    contactAge?: number;
  } = {};
  const state = async () => {
    const r = await ctx.c.db.query<{ state: string }>(
      'SELECT state FROM streamer_status WHERE hostname = $1',
      [victim.hostname],
    );
    return r.rows[0]?.state ?? 'offline';
  };
  const everywhere = () => {
    const where = new Set<string>();
    for (const s of others) if (s.running) for (const n of s.streams.keys()) where.add(n);
    return names.every((n) => where.has(n));
  };
  let lastDb = 0;
  await waitUntil(
    async () => {
      const now = performance.now() - t0;
      if (marks.pulled === undefined && everywhere()) marks.pulled = now;
      if (now - lastDb >= 200 && marks.moved === undefined) {
        lastDb = now;
        const st = await state();
        if (st !== 'online' && marks.suspect === undefined) marks.suspect = now;
        if (st === 'offline' && marks.offline === undefined) marks.offline = now;
        const left = await count(
          ctx.c.db,
          'SELECT count(*)::int AS n FROM stream_layouts WHERE ingest = $1',
          [victim.hostname],
        );
        if (left === 0) marks.moved = now;
      }
      return marks.pulled !== undefined && marks.moved !== undefined;
    },
    180_000,
    `the streams of ${victim.hostname} in other streamers' pulls`,
    25,
  );
  const contact = await ctx.c.db.query<{ t: string | null }>(
    'SELECT greatest(last_poll_ok, last_pull_at)::text AS t FROM streamer_status WHERE hostname = $1',
    [victim.hostname],
  );
  const last = Number(contact.rows[0]?.t ?? NaN);
  if (Number.isFinite(last)) marks.contactAge = stoppedAt - last;
  log(
    `all ${names.length} streams of ${victim.hostname} pulled by others ${secs(marks.pulled!)} after it died; ` +
      `its last contact was ${secs(marks.contactAge ?? NaN)} before the stop`,
  );
  return { victim: victim.hostname, streams: names.length, marks, cpu: cpu() };
}

export async function runFleet(opts: {
  server: PgServer;
  postmaster: number;
  profDir: string | null;
  settings: FleetSettings;
}) {
  const s = opts.settings;
  markStart();
  log('starting Central with the default fleet intervals');
  const c = await startFleetCentral(opts.server, opts.profDir);
  const ctx: Ctx = { c, postmaster: opts.postmaster, s };
  // The streamer for the 6,000-stream pull (own namespace, so the fleet's streams never go there) is
  // registered before the fleet: a health poller that polls in first-seen order and cannot keep up
  // (Central's did, before 2026-11-24 10:10) would otherwise never reach it. Its list stays empty until
  // the last phase.
  log('starting and registering the streamer for the big pull');
  const bigReg = await startFleet(c, { prefix: 'big', n: 1, namespace: 'big', channelLimit: s.big });
  if (bigReg.onlineMs === null) throw new Error(`big-1 not online: ${JSON.stringify(bigReg.health)}`);
  const bigStreamer = bigReg.streamers[0]!;
  log(`starting and registering ${s.streamers} test streamers`);
  const registration = await startFleet(c, { prefix: 'fleet', n: s.streamers });
  const { streamers } = registration;
  log(
    `all ${s.streamers} streamers provisioned ${secs(registration.provisionedMs)} after registration; ` +
      (registration.onlineMs === null
        ? `NOT all online in Central's view 60 s later: ${JSON.stringify(registration.health)}`
        : `all online after ${secs(registration.onlineMs)}`),
  );
  await spreadPullPhases([bigStreamer, ...streamers]);
  const placed = await placement(ctx, streamers);
  const steadyState = await steady(ctx, streamers);
  log(
    `steady: Central ${(steadyState.cpu.app * 100).toFixed(1)}% of a core, PostgreSQL ` +
      `${(steadyState.cpu.postgres * 100).toFixed(1)}%; pulls every ${steadyState.pullPeriod.toFixed(1)} s, ` +
      `health polls every ${steadyState.pollPeriod.toFixed(1)} s per streamer`,
  );
  const pulls = await pullLatency(ctx, streamers);
  const fo = [];
  // Victims among the streamers that run streams, spread over the hostname order.
  const candidates = streamers.filter((x) => x.streams.size > 0);
  for (let i = 0; i < s.failovers; i++) {
    if (i) await sleep(5000);
    const victim = candidates[Math.floor((i * candidates.length) / s.failovers)]!;
    fo.push(await failover(ctx, streamers, victim));
  }
  // The same with streamers that long-poll (as the open streamer does; Flussonic polls): the receiving
  // streamers' own poll period no longer adds to the failover time.
  for (const x of streamers) x.setLongPoll(true);
  await sleep(5000);
  const longPollFailovers = [];
  for (let i = 0; i < Math.min(2, s.failovers); i++) {
    if (i) await sleep(5000);
    const victim = candidates[Math.floor(((i + 0.5) * candidates.length) / s.failovers)]!;
    longPollFailovers.push(await failover(ctx, streamers, victim));
  }
  const big = await bigPull(ctx, bigStreamer);
  await expectOk(c.api('GET', '/monitoring/readiness'), 'Central still ready');
  if (c.child.proc.exitCode !== null) throw new Error(`Central exited:\n${c.child.output()}`);
  if (opts.profDir) await c.child.stop(); // --cpu-prof writes the profile on exit
  return {
    settings: s,
    registration: { ...registration, streamers: undefined },
    placement: placed,
    steady: steadyState,
    pulls,
    failover: fo,
    longPollFailover: longPollFailovers,
    big,
  };
}
export type FleetResults = Awaited<ReturnType<typeof runFleet>>;
