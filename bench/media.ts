// The streamer benchmark (`npm run bench -- --only media`): how many copy-mode streams one open
// streamer carries on this machine (CPU of the streamer and its ffmpegs at growing stream counts), and
// how long a stream created in Central takes to play on a streamer (first HLS segment), with the
// streamer long-polling Central and with it polling at the default 5 s interval.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median, onCleanup, sleep } from './lib.ts';
import { treeMeter, type TreeUsage } from './media-cpu.ts';
import {
  log,
  makeSource,
  registerStreamer,
  startMediaCentral,
  startMediaStreamer,
  waitProvisioned,
  type MediaCentral,
  type MediaStreamer,
  type Source,
} from './media-setup.ts';

export interface MediaSettings {
  /** Stream counts measured in turn (the streams of a step stay for the next). */
  steps: number[];
  settle: number;
  sample: number;
  creates: number;
  /** Stop adding streams once the streamer's tree uses this share of all cores. */
  cpuLimit: number;
  /** Give up on one create after this long, in seconds (counted as a miss). */
  createTimeout: number;
}

const num = (name: string, dflt: number) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}: not a positive number`);
  return v;
};

function steps(text: string | undefined): number[] {
  const xs = (text ?? '10,25,50').split(',').map((x) => Number(x.trim()));
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x <= 0))
    throw new Error(`BENCH_MEDIA_STEPS: "${text}" is not a list of positive integers like 10,25,50`);
  return [...new Set(xs)].sort((a, b) => a - b);
}

export function mediaSettings(): MediaSettings {
  return {
    steps: steps(process.env.BENCH_MEDIA_STEPS),
    settle: num('BENCH_MEDIA_SETTLE', 10),
    sample: num('BENCH_MEDIA_SAMPLE', 10),
    creates: Math.round(num('BENCH_MEDIA_CREATES', 10)),
    cpuLimit: 0.85,
    createTimeout: 30,
  };
}

/** Budget for the watchdog: set-up, every step, and every create timing out (2 modes × 2 ways). */
export function mediaBudgetMs(s: MediaSettings) {
  const perStep = s.settle + s.sample + 30;
  return (180 + s.steps.length * perStep + 4 * s.creates * (s.createTimeout + 8)) * 1000;
}

export interface Step {
  streams: number;
  /** Streams whose stats say alive and running at the end of the sample. */
  alive: number;
  cpu: TreeUsage;
}

export interface CapacityResults {
  source: Source;
  steps: Step[];
  /** Why the steps stopped before the last one, or null. */
  stopped: string | null;
}

export interface MediaResults {
  settings: MediaSettings;
  cores: number;
  capacity: CapacityResults;
  latency: LatencyRun[];
}

export async function runMedia(s: MediaSettings): Promise<MediaResults> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'central-media-bench-'));
  onCleanup('remove the media temp dir', () => fs.rmSync(tmp, { recursive: true, force: true }));
  log('making the source file');
  const source = await makeSource(tmp);
  log(`${source.description}: ${(source.bitrate / 1e6).toFixed(2)} Mbit/s in all`);
  const capacity = await measureCapacity(s, source, tmp);
  const latency = await measureLatency(s, tmp);
  return { settings: s, cores: os.availableParallelism(), capacity, latency };
}

// ---- streams per streamer ---------------------------------------------------------------------------

const pct = (cores: number) => `${(cores * 100).toFixed(0)}%`;

async function measureCapacity(s: MediaSettings, source: Source, tmp: string): Promise<CapacityResults> {
  log('starting a streamer with local streams (no config_external)');
  const st = await startMediaStreamer({ hostname: 'bench-media-copy', dir: path.join(tmp, 'copy') });
  const out: Step[] = [];
  let stopped: string | null = null;
  for (const n of s.steps) {
    for (let i = out.at(-1)?.streams ?? 0; i < n; i++) {
      const r = await st.api('PUT', `/streams/copy-${String(i).padStart(4, '0')}`, {
        inputs: [{ url: `file://${source.file}` }],
      });
      if (r.status !== 200) throw new Error(`PUT a local stream: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const step = await measureStep(s, st, n);
    out.push(step);
    const why = unhealthy(s, step);
    if (why && n !== s.steps.at(-1)) {
      stopped = why;
      log(`stopping early: ${why}`);
      break;
    }
  }
  await st.stop();
  return { source, steps: out, stopped };
}

async function measureStep(s: MediaSettings, st: MediaStreamer, n: number): Promise<Step> {
  log(`${n} streams; settling ${s.settle} s, then sampling ${s.sample} s`);
  await sleep(s.settle * 1000);
  const meter = treeMeter(st.child.proc.pid!);
  await sleep(s.sample * 1000);
  const cpu = meter();
  if (st.child.proc.exitCode !== null) throw new Error(`the streamer exited:\n${st.child.output()}`);
  const step = { streams: n, alive: await aliveCount(st), cpu };
  log(
    `${n} streams: ${step.alive} alive, CPU ${pct(cpu.total)} of a core ` +
      `(${((cpu.total * 100) / n).toFixed(2)}% per stream; node ${pct(cpu.root)}), ` +
      `${cpu.processes} ffmpeg, RSS ${(cpu.rss / 2 ** 20).toFixed(0)} MiB`,
  );
  return step;
}

/** Why no more streams should be added after this step, or null. */
function unhealthy(s: MediaSettings, step: Step): string | null {
  const cores = os.availableParallelism();
  if (step.alive < step.streams) return `only ${step.alive} of ${step.streams} streams alive`;
  if (step.cpu.total > s.cpuLimit * cores)
    return `CPU ${pct(step.cpu.total)} of a core is over ${pct(s.cpuLimit)} of ${cores} cores`;
  return null;
}

/** Streams that are alive (media progressed lately) and running, from the streamer's own list. */
async function aliveCount(st: MediaStreamer): Promise<number> {
  const r = await st.api('GET', '/streams?limit=1000');
  const list = (r.body?.streams ?? []) as { stats?: { alive?: boolean; status?: string } }[];
  return list.filter((x) => x.stats?.alive === true && x.stats.status === 'running').length;
}

// ---- create in Central → first segment ------------------------------------------------------------

export interface LatencyRun {
  mode: 'long-poll' | 'interval';
  /**
   * Whether a viewer polled the playlist from the create on. The open streamer answers a request for a
   * stream it does not have by asking Central for that name (`/dynamic-streams`, as Flussonic does),
   * so a waiting viewer does not wait for the next pull; without one the stream comes with a pull.
   */
  viewer: boolean;
  /** Create → first segment, ms; Infinity when it timed out. */
  ms: number[];
  /** Without a viewer: create → the stream listed in the streamer's API (the pull brought it). */
  picked: number[] | null;
}

const MODES = [
  { mode: 'long-poll', env: { STREAMER_LONG_POLL: 'true' } },
  { mode: 'interval', env: { STREAMER_LONG_POLL: 'false' } },
] as const;
const HOST = 'bench-media-edge';

async function measureLatency(s: MediaSettings, tmp: string): Promise<LatencyRun[]> {
  log('starting Central (PGlite, default fleet intervals) and a streamer it provisions');
  const central = await startMediaCentral(path.join(tmp, 'central'));
  const dir = path.join(tmp, 'edge');
  let port: number | undefined;
  const runs: LatencyRun[] = [];
  for (const { mode, env } of MODES) {
    // Same port and data directory: the restarted streamer keeps its provisioned config_external.
    const st = await startMediaStreamer({ hostname: HOST, port, dir, env });
    if (port === undefined) await registerStreamer(central, st);
    port = st.port;
    await waitProvisioned(central, st);
    for (const viewer of [false, true]) {
      log(`${mode}, ${viewer ? 'a viewer waiting' : 'no viewer'}: timing ${s.creates} creates`);
      runs.push(await timeCreates(s, { central, st, mode, viewer }));
    }
    await st.stop();
  }
  await central.child.stop();
  return runs;
}

interface Trial {
  central: MediaCentral;
  st: MediaStreamer;
  mode: LatencyRun['mode'];
  viewer: boolean;
}

async function timeCreates(s: MediaSettings, t: Trial): Promise<LatencyRun> {
  const run: LatencyRun = { mode: t.mode, viewer: t.viewer, ms: [], picked: t.viewer ? null : [] };
  const limit = s.createTimeout * 1000;
  const label = `${t.mode}, ${t.viewer ? 'viewer' : 'no viewer'}`;
  for (let i = 0; i < s.creates; i++) {
    const name = `${t.mode}-${t.viewer ? 'viewer' : 'pull'}-${i}`;
    const t0 = performance.now();
    const put = await t.central.api('PUT', `/streams/${name}`, { inputs: [{ url: 'fake://fake' }] });
    if (put.status !== 200)
      throw new Error(`PUT /streams/${name}: ${put.status} ${JSON.stringify(put.body)}`);
    // Without a viewer, only the API is asked (it never triggers a lookup) until the stream is there.
    const picked = t.viewer
      ? 0
      : await within(t0, limit, async () => (await t.st.api('GET', `/streams/${name}`)).status === 200);
    run.picked?.push(picked);
    const playlist = `${t.st.base}/${name}/index.m3u8`;
    const ms = Number.isFinite(picked) ? await within(t0, limit, () => hasSegment(playlist)) : Infinity;
    run.ms.push(ms);
    log(`${label} ${i + 1}/${s.creates}: ${Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : 'timed out'}`);
    const del = await t.central.api('DELETE', `/streams/${name}`);
    if (del.status !== 204) throw new Error(`DELETE /streams/${name}: ${del.status}`);
    // With interval polling, a fixed pause would lock the creates onto one phase of the 5 s period
    // (each would wait about as long as the last): a random extra pause spreads them over it.
    await sleep(1000 + (t.mode === 'interval' ? Math.random() * 5000 : 0));
  }
  log(`${label}: median ${median(run.ms).toFixed(0)} ms`);
  return run;
}

/** ms from t0 until `check` holds (asked every 50 ms), or Infinity after timeoutMs. */
async function within(t0: number, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  while (performance.now() - t0 < timeoutMs) {
    try {
      if (await check()) return performance.now() - t0;
    } catch {
      // not there yet, or the streamer is busy: ask again
    }
    await sleep(50);
  }
  return Infinity;
}

/** The playlist answers 200 and lists at least one segment. */
async function hasSegment(url: string): Promise<boolean> {
  const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
  const text = await r.text();
  return r.status === 200 && text.split('\n').some((l) => /^[^#].*\.ts(\?.*)?$/.test(l.trim()));
}
