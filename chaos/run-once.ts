// One chaos run: a fresh world, the streams placed, then the seeded faults while the client writes;
// then every fault healed and the invariants checked from outside: the fleet converges in time, every
// acknowledged write is stored, every process is alive and ready.
import type { PgServer } from '../test-kit/postgres.ts';
import { checkWrites, converge } from './checks.ts';
import { describe, planFaults, type Fault } from './faults.ts';
import { leads, Observer, type Bounds, type Takeover } from './observer.ts';
import { Random } from './prng.ts';
import { World, type Member } from './world.ts';
import { Writer, type WriterStats } from './writer.ts';

export const SHAPE = { centrals: 3, streamers: 5, channelLimit: 16, streams: 24, maxStreams: 40 };
export const BOUNDS: Bounds & { convergeMs: number } = {
  doubleMs: 12_000,
  twoLeadersMs: 3000,
  takeoverMs: 15_000,
  convergeMs: 30_000,
};
const DB_GRACE_MS = 1000;

export interface RunResult {
  seed: number;
  faults: Fault[];
  violations: string[];
  writes: WriterStats;
  convergeMs: number | null;
  takeovers: Takeover[];
  doubles: number[];
  maxTwoLeadersMs: number;
  epoch: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export function plan(seed: number, phaseMs: number): Fault[] {
  return planFaults(new Random(seed), { phaseMs, centrals: SHAPE.centrals, streamers: SHAPE.streamers });
}

export async function runOnce(seed: number, pg: PgServer, phaseMs: number, log: (s: string) => void) {
  const faults = plan(seed, phaseMs);
  const random = new Random(seed ^ 0x5eed);
  const violations: string[] = [];
  const world = new World({ pg, ...SHAPE, onUnexpectedExit: (w) => violations.push(w) });
  let dbActive = 0;
  let dbEndedAt = 0;
  let lastFaultEnd = 0;
  const dbFaulted = () => dbActive > 0 || Date.now() - dbEndedAt < DB_GRACE_MS;
  const result: RunResult = {
    seed,
    faults,
    violations,
    writes: { attempted: 0, acknowledged: 0, failed: 0, byStatus: {} },
    convergeMs: null,
    takeovers: [],
    doubles: [],
    maxTwoLeadersMs: 0,
    epoch: 0,
  };
  let observer: Observer | null = null;
  try {
    await world.start();
    observer = new Observer(world, BOUNDS, dbFaulted, log);
    const names = await setUp(world);
    const writer = new Writer(world, random, names, SHAPE.maxStreams);
    for (const n of names) writer.acked.set(n, 0);
    observer.start();
    const placed = await converge(world, observer, 60_000);
    if (placed.ms === null) throw new Error(`the fleet never settled before the faults: ${placed.reason}`);
    log(`  ${observer.elapsed()} seed ${seed}: ${faults.length} faults: ${faults.map(describe).join(', ')}`);

    writer.start();
    const o = observer;
    const inject = async (f: Fault) => {
      if (f.kind === 'db-restart' || f.kind === 'db-pause') {
        dbActive++;
        log(`    ${o.elapsed()} ${f.kind}`);
        if (f.kind === 'db-restart') await pg.restart!();
        else {
          pg.signal!('SIGSTOP');
          await sleep(f.durationMs);
          pg.signal!('SIGCONT');
        }
        dbActive--;
        dbEndedAt = lastFaultEnd = Date.now();
        return;
      }
      const m = target(world, f, random);
      if (!m) return;
      const pause = f.kind.endsWith('pause');
      const leading = f.kind.startsWith('central') && leads(m);
      log(`    ${o.elapsed()} ${f.kind} ${m.name}${leading ? ' (the leader)' : ''}`);
      if (leading)
        o.leaderHit(m, pause ? `SIGSTOP of the leader for ${f.durationMs} ms` : 'kill -9 of the leader');
      if (pause) world.pause(m);
      else world.kill(m);
      await sleep(f.durationMs);
      lastFaultEnd = Date.now();
      await world.heal(m);
    };
    const started = Date.now();
    await Promise.all(faults.map(async (f) => (await sleep(started + f.at - Date.now()), inject(f))));
    await writer.stop();
    result.writes = writer.stats;

    // Counted from the end of the last fault: a killed process's restart is part of the time.
    const healed = await converge(world, observer, 90_000);
    result.convergeMs = healed.at === null ? null : healed.at - Math.max(lastFaultEnd, started);
    if (result.convergeMs === null)
      violations.push(`no convergence within 90 s of the last fault: ${healed.reason}`);
    else if (result.convergeMs > BOUNDS.convergeMs)
      violations.push(`converged ${result.convergeMs} ms after the last fault, over ${BOUNDS.convergeMs} ms`);
    violations.push(...(await checkWrites(observer, writer)));
  } catch (e) {
    violations.push(`run failed: ${(e as Error).stack}`);
  } finally {
    if (observer) {
      await observer.stop();
      violations.push(...observer.violations);
      Object.assign(result, {
        takeovers: observer.takeovers,
        doubles: observer.doubles,
        maxTwoLeadersMs: observer.maxTwoLeadersMs,
        epoch: observer.epoch,
      });
    }
    await world.stop();
    if (world.dbUrl)
      await pg
        .admin(`DROP DATABASE IF EXISTS ${new URL(world.dbUrl).pathname.slice(1)} WITH (FORCE)`)
        .catch(() => {});
  }
  return result;
}

/** The streamers registered and the first streams saved; answers the streams' names. */
export async function setUp(world: World, streams = SHAPE.streams): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  while (!world.balancer.backends.some((b) => b.ready)) {
    if (Date.now() > deadline) throw new Error('no Central became ready behind the balancer');
    await sleep(100);
  }
  for (const s of world.streamers) {
    const body = {
      api_url: `http://127.0.0.1:${s.port}`,
      cluster_key: s.clusterKey,
      channel_limit: s.channelLimit,
    };
    const r = await world.api('PUT', `/streamers/${s.name}`, body);
    if (r.status !== 200) throw new Error(`PUT /streamers/${s.name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const names = Array.from({ length: streams }, (_, i) => `c${i + 1}`);
  const r = await world.api(
    'PUT',
    '/streams/batch',
    names.map((n) => Writer.body(n, 0)),
  );
  if (r.status !== 204) throw new Error(`PUT /streams/batch: ${r.status} ${JSON.stringify(r.body)}`);
  return names;
}

/** The member a fault hits: the leader (or any live Central when none leads), or the planned one. */
function target(world: World, f: Fault, random: Random): Member | null {
  const pool = f.kind.startsWith('central') ? world.centrals : world.streamers;
  let m: Member | undefined;
  if (f.target === -1) {
    const up = world.centrals.filter((c) => c.state === 'up');
    m = up.find(leads) ?? (up.length ? random.pick(up) : undefined);
  } else m = pool[f.target];
  return m && m.state === 'up' ? m : null;
}
