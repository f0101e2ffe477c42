// The fleet benchmark's pull measurements: unchanged (304) and full pulls of the fleet's streamers at a
// steady rate, and full pulls of one 6,000-stream list, warm and right after a change. The requests
// come from bench/fleet-load.ts in its own process.
import type { CpuSplit } from './cpu.ts';
import type { Job, LoadResult } from './fleet-load.ts';
import { spawnNode } from './lib.ts';
import {
  AUTH,
  PREFIX,
  createStreams,
  expectOk,
  log,
  meter,
  type Ctx,
  type TestStreamer,
} from './fleet-setup.ts';
import { waitUntil } from '../test-kit/fleet.ts';

/** Runs one job of bench/fleet-load.ts in its own process, with CPU measured over its measured part. */
async function load(ctx: Ctx, job: Job): Promise<LoadResult & { cpuSplit: CpuSplit }> {
  const child = spawnNode('pull load', 'bench/fleet-load.ts', { FLEET_LOAD_JOB: JSON.stringify(job) });
  let stop: (() => CpuSplit) | null = null;
  let cpuSplit: CpuSplit | null = null;
  let seen = '';
  child.proc.stdout!.on('data', (b: Buffer) => {
    seen += b.toString();
    if (!stop && seen.includes('MEASURING\n')) stop = meter(ctx, `load ${job.kind}`);
    if (stop && !cpuSplit && seen.includes('RESULT ')) cpuSplit = stop();
  });
  const code = await child.exited;
  const line = child
    .output()
    .split('\n')
    .find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line || !cpuSplit)
    throw new Error(`the load process failed (exit ${code}):\n${child.output()}`);
  return { ...(JSON.parse(line.slice(7)) as LoadResult), cpuSplit };
}

export async function pullLatency(ctx: Ctx, streamers: TestStreamer[]) {
  const targets = [];
  for (const s of streamers) {
    const p = `${PREFIX}/streamers/${s.hostname}/streams?host=${s.hostname}`;
    const r = await expectOk(ctx.c.api('GET', p.slice(PREFIX.length)), `GET ${p}`);
    targets.push({ path: p, etag: r.etag });
  }
  if (targets.some((t) => !t.etag)) throw new Error('a full pull came without an ETag');
  const base = { base: ctx.c.base, auth: AUTH, seconds: ctx.s.seconds };
  log(`unchanged pulls (If-None-Match): ${ctx.s.rate304} req/s for ${ctx.s.seconds} s`);
  const unchanged = await load(ctx, { kind: 'rate', ...base, rate: ctx.s.rate304, targets });
  log(`full pulls, no ETag: ${ctx.s.rate200} req/s for ${ctx.s.seconds} s`);
  const full = await load(ctx, {
    kind: 'rate',
    ...base,
    rate: ctx.s.rate200,
    targets: targets.map((t) => ({ path: t.path, etag: null })),
  });
  return { unchanged, full };
}

export async function bigPull(ctx: Ctx, big: TestStreamer) {
  const n = ctx.s.big;
  log(`${n} streams for ${big.hostname} (namespace big)`);
  const names = Array.from({ length: n }, (_, i) => `big-${String(i).padStart(5, '0')}`);
  await createStreams(ctx, names, 'big');
  await waitUntil(() => big.streams.size === n, 120_000, `${n} streams in ${big.hostname}'s pull`, 100);
  const path = `${PREFIX}/streamers/${big.hostname}/streams?host=${big.hostname}`;
  const base = { base: ctx.c.base, auth: AUTH, path };
  log(`timing full pulls of ${n} streams`);
  const warm = await load(ctx, { kind: 'sequence', ...base, count: 20, touch: null });
  const cold = await load(ctx, {
    kind: 'sequence',
    ...base,
    count: 10,
    touch: `${PREFIX}/streams/${names[0]}`,
  });
  return { streams: n, warm, cold };
}
