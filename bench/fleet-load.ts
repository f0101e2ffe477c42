// The fleet benchmark's HTTP load generator, run as its own process (bench/fleet.ts starts it) so that
// the 200 test streamers sharing the benchmark's event loop cannot delay its clock. Reads one job from
// FLEET_LOAD_JOB (JSON), prints one line `RESULT <json>` and exits. Latency is measured from sending the
// request to the last byte of the answer, on keep-alive connections, in microsecond resolution.
import http from 'node:http';

export interface Target {
  path: string;
  /** Sent as If-None-Match when set. */
  etag: string | null;
}

export type Job =
  /** Open loop: `rate` requests per second for `seconds`, each to a random target. */
  | { kind: 'rate'; base: string; auth: string; rate: number; seconds: number; targets: Target[] }
  /**
   * `count` sequential GETs of `path`; with `touch`, each is preceded by a PUT of that stream (a new
   * title), so every GET is the first after a change.
   */
  | { kind: 'sequence'; base: string; auth: string; count: number; path: string; touch: string | null };

export interface Stats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  bytes: number;
}

export interface LoadResult {
  /** By HTTP status ('error' for failed requests). */
  byStatus: Record<string, Stats>;
  /** Sequence jobs: every latency in order (ms). */
  each: number[];
  /** Achieved request rate. */
  rps: number;
  /** Requests sent while all 64 connections were busy, so they queued in the client (rate jobs). */
  late: number;
  /** CPU this load process used during the measurement, in cores. */
  cpu: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(base: string, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; ms: number; bytes: number }>((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(new URL(path, base), { method, headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, bytes }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

const round = (n: number) => Math.round(n * 1000) / 1000;

export function stats(xs: number[], bytes: number): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? 0;
  return {
    count: s.length,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(s.at(-1) ?? 0),
    mean: round(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
    bytes: Math.round(bytes / Math.max(1, s.length)),
  };
}

function collector() {
  const lat = new Map<string, number[]>();
  const bytes = new Map<string, number>();
  return {
    add(status: string, ms: number, b: number) {
      let l = lat.get(status);
      if (!l) lat.set(status, (l = []));
      l.push(ms);
      bytes.set(status, (bytes.get(status) ?? 0) + b);
    },
    result(): Record<string, Stats> {
      return Object.fromEntries([...lat].map(([k, v]) => [k, stats(v, bytes.get(k) ?? 0)]));
    },
  };
}

async function runRate(job: Extract<Job, { kind: 'rate' }>): Promise<LoadResult> {
  const c = collector();
  const headers = (t: Target): Record<string, string> => ({
    authorization: job.auth,
    ...(t.etag ? { 'if-none-match': t.etag } : {}),
  });
  const interval = 1000 / job.rate;
  const total = Math.round(job.rate * job.seconds);
  const inFlight = new Set<Promise<void>>();
  let late = 0;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    // Timers are whole milliseconds: a request may leave up to ~1 ms late, never early.
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (inFlight.size >= 64) late++;
    const t = job.targets[Math.floor(Math.random() * job.targets.length)]!;
    const p = request(job.base, 'GET', t.path, headers(t))
      .then((r) => c.add(String(r.status), r.ms, r.bytes))
      .catch(() => c.add('error', 0, 0))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  return { byStatus: c.result(), each: [], rps: total / seconds, late, cpu: 0 };
}

async function runSequence(job: Extract<Job, { kind: 'sequence' }>): Promise<LoadResult> {
  const c = collector();
  const each: number[] = [];
  const start = performance.now();
  for (let i = 0; i < job.count; i++) {
    if (job.touch) {
      const body = JSON.stringify({ title: `touched ${Date.now()} ${i}` });
      const put = await request(
        job.base,
        'PUT',
        job.touch,
        {
          authorization: job.auth,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        },
        body,
      );
      if (put.status !== 200) throw new Error(`PUT ${job.touch} answered ${put.status}`);
    }
    const r = await request(job.base, 'GET', job.path, { authorization: job.auth });
    c.add(String(r.status), r.ms, r.bytes);
    each.push(round(r.ms));
  }
  return {
    byStatus: c.result(),
    each,
    rps: job.count / ((performance.now() - start) / 1000),
    late: 0,
    cpu: 0,
  };
}

if (process.env.FLEET_LOAD_JOB) {
  const job = JSON.parse(process.env.FLEET_LOAD_JOB) as Job;
  // Warm the connection and the JIT a little before measuring.
  for (let i = 0; i < 10; i++) {
    const t = job.kind === 'rate' ? job.targets[i % job.targets.length]! : { path: job.path, etag: null };
    await request(job.base, 'GET', t.path, { authorization: job.auth }).catch(() => {});
  }
  // The benchmark starts and stops its CPU meters on these two lines.
  process.stdout.write('MEASURING\n');
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  const result = job.kind === 'rate' ? await runRate(job) : await runSequence(job);
  const u = process.cpuUsage(u0);
  result.cpu = (u.user + u.system) / 1000 / (performance.now() - t0);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  agent.destroy();
  process.exit(0);
}
