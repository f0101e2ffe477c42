// `npm run bench`: Central against its ceiling on one durable PostgreSQL, PUT and list, 50 connections,
// interleaved rounds; then the fleet benchmark (bench/fleet.ts) on the same PostgreSQL server; then the
// streamer benchmark (bench/media.ts: real streamers and ffmpeg). Prints tables and writes BENCHMARKS.md.
// `--only http`, `--only fleet` or `--only media` runs one of the three. Exits non-zero only when the
// set-up fails, never because a target was missed. Everything it starts is stopped, also on Ctrl-C.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type autocannon from 'autocannon';
import { freePort, startPostgres } from '../test-kit/postgres.ts';
import {
  ROOT,
  cleanup,
  installExitHandlers,
  machine,
  medianSample,
  onCleanup,
  runLoad,
  sleep,
  spawnNode,
  waitReady,
  type Child,
  type LoadSpec,
  type Sample,
} from './lib.ts';
import { consoleTable, verdict, writeMarkdown, type Report, type Row, type Settings } from './report.ts';
import { migrate } from '../server/src/db/migrate.ts';
import { openPostgres } from '../server/src/db/postgres.ts';
import type { PgServer } from '../test-kit/postgres.ts';
import { fleetBudgetMs, fleetSettings, runFleet } from './fleet.ts';
import { fleetConsole, fleetVerdicts, writeFleetMarkdown, type FleetReport } from './fleet-report.ts';
import { mediaBudgetMs, mediaSettings, runMedia } from './media.ts';
import { mediaConsole, mediaVerdicts, writeMediaMarkdown, type MediaReport } from './media-report.ts';

const BENCHES = ['http', 'fleet', 'media'] as const;
type Bench = (typeof BENCHES)[number];

/** `--only http|fleet|media` (or `--only=fleet`): which benchmarks run; all three by default. */
function parseOnly(args: string[]): Set<Bench> {
  const [a, b] = args;
  if (a === undefined) return new Set(BENCHES);
  const v = a === '--only' ? b : a.startsWith('--only=') ? a.slice(7) : undefined;
  const rest = a === '--only' ? args.slice(2) : args.slice(1);
  if (v === undefined || rest.length) throw new Error(`usage: npm run bench [-- --only http|fleet|media]`);
  if (!(BENCHES as readonly string[]).includes(v))
    throw new Error(`--only: "${v}" is not http, fleet or media`);
  return new Set([v as Bench]);
}
const ONLY = (() => {
  try {
    return parseOnly(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    process.exit(2);
  }
})();

const num = (name: string, dflt: number) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}: not a positive number`);
  return v;
};
const settings: Settings = {
  rounds: Math.round(num('BENCH_ROUNDS', 2)),
  warmup: num('BENCH_WARMUP', 3),
  duration: num('BENCH_DURATION', 10),
  connections: Math.round(num('BENCH_CONNECTIONS', 50)),
  streams: 10_000,
  cpuProfile: !!process.env.BENCH_CPU_PROF,
};
const OUTPUT = process.env.BENCH_OUTPUT ?? path.join(ROOT, 'BENCHMARKS.md');
const API_KEY = 'bench-api-key-0123456789';
const PREFIX = '/central/api/v3';
async function migrateDatabase(url: string) {
  const db = await openPostgres(url, { retries: 0 });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
}

const HEADERS = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };

const streamName = (i: number) => `bench-${String(i).padStart(5, '0')}`;

const PREFILL = `
INSERT INTO streams (name, config, created_at, updated_at)
SELECT format('bench-%s', lpad(i::text, 5, '0')),
       jsonb_build_object('inputs', jsonb_build_array(jsonb_build_object('url', 'udp://239.0.0.1:1234')),
                          'title', 'Bench stream ' || i),
       $1::bigint, $1::bigint
FROM generate_series(0, $2::int - 1) AS i
ON CONFLICT (name) DO NOTHING`;

type Side = 'central' | 'ceiling';
interface Target {
  side: Side;
  child: Child;
  base: string;
  db: pg.Client;
}

/** PUT with a random name from the pool and a body whose title changes on every request. */
function putRequests(): autocannon.Request[] {
  let n = 0;
  return [
    {
      method: 'PUT',
      setupRequest: (req) => {
        const name = streamName(Math.floor(Math.random() * settings.streams));
        req.path = `${PREFIX}/streams/${name}`;
        req.body = JSON.stringify({
          name,
          inputs: [{ url: 'udp://239.0.0.1:1234' }],
          title: `Bench stream ${name} rev ${++n}`,
        });
        return req;
      },
    },
  ];
}

const scenarios: { id: Row['id']; title: string; spec: (t: Target) => LoadSpec }[] = [
  {
    id: 'put',
    title: 'PUT /streams/{name}',
    spec: (t) => ({
      url: t.base,
      connections: settings.connections,
      headers: HEADERS,
      requests: putRequests(),
    }),
  },
  {
    id: 'get',
    title: 'GET /streams?limit=100',
    spec: (t) => ({
      url: t.base,
      connections: settings.connections,
      headers: HEADERS,
      requests: [{ method: 'GET', path: `${PREFIX}/streams?limit=100` }],
    }),
  },
];

async function connect(url: string, name: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  onCleanup(`close ${name} database client`, () => c.end());
  return c;
}

async function request(t: Target, method: string, p: string, body?: unknown) {
  const r = await fetch(`${t.base}${p}`, {
    method,
    headers: HEADERS,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  if (r.status !== 200)
    throw new Error(`${t.side}: ${method} ${p} answered ${r.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Both sides must store the same document for the same PUT, and list 100 streams. */
async function sanityCheck(targets: Target[]) {
  const name = streamName(0);
  const body = { name, inputs: [{ url: 'udp://239.0.0.1:1234' }], title: 'sanity' };
  const stored: string[] = [];
  for (const t of targets) {
    await request(t, 'PUT', `${PREFIX}/streams/${name}`, body);
    const r = await t.db.query('SELECT config FROM streams WHERE name = $1', [name]);
    stored.push(JSON.stringify(r.rows[0]?.config));
    const list = await request(t, 'GET', `${PREFIX}/streams?limit=100`);
    const n = (list.streams as unknown[] | undefined)?.length;
    if (n !== 100) throw new Error(`${t.side}: GET /streams?limit=100 listed ${n} streams, not 100`);
  }
  if (stored[0] !== stored[1])
    throw new Error(`Central and the ceiling store different documents: ${stored[0]} vs ${stored[1]}`);
}

interface Pg {
  server: PgServer;
  pgVersion: string;
  postmaster: number;
}

interface Setup extends Pg {
  targets: Target[];
  pgAdmin: (sql: string) => Promise<unknown>;
}

async function startPg(): Promise<Pg> {
  console.log('bench: starting PostgreSQL (durable: fsync and synchronous_commit on)');
  const server = await startPostgres({ durable: true });
  onCleanup('stop PostgreSQL', () => server.stop());
  const v = await server.admin(
    "SELECT current_setting('server_version') AS v, current_setting('fsync') AS f, current_setting('synchronous_commit') AS s",
  );
  const row = v.rows[0] as { v: string; f: string; s: string };
  const pgVersion = `${row.v} (fsync ${row.f}, synchronous_commit ${row.s}, shared_buffers 128MB)`;
  // The server's directory holds the certificate and data/postmaster.pid (first line: the pid).
  const pidFile = path.join(path.dirname(server.certFile), 'data', 'postmaster.pid');
  const postmaster = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  return { server, pgVersion, postmaster };
}

async function setUp(pgs: Pg): Promise<Setup> {
  const { server } = pgs;
  const centralUrl = await server.createDatabase('central');
  const ceilingUrl = await server.createDatabase('ceiling');
  const ceilingDb = await connect(ceilingUrl, 'ceiling');
  await migrateDatabase(ceilingUrl);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'central-bench-'));
  onCleanup('remove temp dir', () => fs.rmSync(tmp, { recursive: true, force: true }));
  const [centralPort, ceilingPort] = [await freePort(), await freePort()];
  const profDir = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : null;
  if (profDir) fs.mkdirSync(profDir, { recursive: true });
  console.log('bench: starting Central and the ceiling');
  const central = spawnNode(
    'Central',
    'server/src/main.ts',
    {
      DATABASE_URL: centralUrl,
      API_KEY,
      HTTP_PORT: String(centralPort),
      CENTRAL_DIR: path.join(tmp, 'central'),
      CENTRAL_CONFIG: '/dev/null',
      LOG_LEVEL: 'error',
    },
    profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  );
  const ceiling = spawnNode('ceiling', 'bench/ceiling.ts', {
    DATABASE_URL: ceilingUrl,
    PORT: String(ceilingPort),
  });
  const centralBase = `http://127.0.0.1:${centralPort}`;
  const ceilingBase = `http://127.0.0.1:${ceilingPort}`;
  await Promise.all([
    waitReady(central, `${centralBase}${PREFIX}/monitoring/readiness`, {}),
    waitReady(ceiling, `${ceilingBase}${PREFIX}/streams`, {}),
  ]);
  const targets: Target[] = [
    { side: 'central', child: central, base: centralBase, db: await connect(centralUrl, 'Central') },
    { side: 'ceiling', child: ceiling, base: ceilingBase, db: ceilingDb },
  ];
  console.log(`bench: prefilling ${settings.streams} streams on both sides`);
  for (const t of targets) {
    await t.db.query(PREFILL, [Date.now(), settings.streams]);
    await t.db.query('VACUUM ANALYZE streams');
  }
  await sanityCheck(targets);
  return { ...pgs, targets, pgAdmin: (sql) => server.admin(sql) };
}

async function measure({ targets, postmaster, pgAdmin }: Setup): Promise<Row[]> {
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < settings.rounds; round++) {
    // Alternate which side goes first, so neither always runs on the fresher table.
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const sc of scenarios)
      for (const t of order) {
        const spec = sc.spec(t);
        await pgAdmin('CHECKPOINT');
        const pids = { app: t.child.proc.pid!, postmaster };
        await runLoad(spec, settings.warmup, pids);
        const s = await runLoad(spec, settings.duration, pids);
        const key = `${sc.id}/${t.side}`;
        samples.set(key, [...(samples.get(key) ?? []), s]);
        console.log(
          `round ${round + 1}/${settings.rounds} ${sc.title.padEnd(24)} ${t.side.padEnd(7)} ` +
            `${s.rps.toFixed(0).padStart(6)} req/s  p50 ${s.p50} ms  p99 ${s.p99} ms  non-2xx ${s.non2xx}  ` +
            `errors ${s.errors}  (other processes: ${s.cpu.other.toFixed(2)} cores)`,
        );
        if (t.child.proc.exitCode !== null)
          throw new Error(`${t.child.name} exited during the run:\n${t.child.output()}`);
        await sleep(500);
      }
  }
  return scenarios.map((sc) => {
    const c = samples.get(`${sc.id}/central`)!;
    const k = samples.get(`${sc.id}/ceiling`)!;
    return {
      id: sc.id,
      scenario: sc.title,
      central: medianSample(c),
      ceiling: medianSample(k),
      rounds: c.map((central, i) => ({ central, ceiling: k[i]! })),
    };
  });
}

const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

async function runHttp(pgs: Pg) {
  const date = stamp();
  const setup = await setUp(pgs);
  const { targets, pgVersion } = setup;
  const load = loadAverage();
  const rows = await measure(setup);
  const report: Report = { date, machine: { ...machine(pgVersion), load }, settings, rows };
  if (settings.cpuProfile) await targets[0]!.child.stop(); // --cpu-prof writes the profile on exit
  // The fleet benchmark runs next on the same cores: nothing of this one may keep running.
  await Promise.all(targets.map((t) => t.child.stop()));
  console.log(`\n${consoleTable(report)}`);
  for (const r of rows) {
    const c = (s: Sample) =>
      `loader ${s.cpu.loader.toFixed(2)}, app ${s.cpu.app.toFixed(2)}, postgres ${s.cpu.postgres.toFixed(2)}, ` +
      `other ${s.cpu.other.toFixed(2)}`;
    console.log(`${r.scenario} CPU cores: Central run [${c(r.central)}]; ceiling run [${c(r.ceiling)}]`);
  }
  if (OUTPUT !== '-') {
    writeMarkdown(OUTPUT, report);
    console.log(`\nbench: wrote ${path.relative(process.cwd(), OUTPUT) || OUTPUT}`);
  }
  if (settings.cpuProfile) console.log(`bench: Central CPU profile in ${process.env.BENCH_CPU_PROF}`);
  const put = rows.find((r) => r.id === 'put')!;
  console.log(`bench: target ${verdict(put).met ? 'MET' : 'MISSED'}`);
}

async function runFleetBench(pgs: Pg) {
  const date = stamp();
  const load = loadAverage();
  const profDir = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : null;
  if (profDir) fs.mkdirSync(profDir, { recursive: true });
  const results = await runFleet({ ...pgs, profDir, settings: fleetSettings() });
  const report: FleetReport = { ...results, date, machine: { ...machine(pgs.pgVersion), load } };
  console.log(`\n${fleetConsole(report)}`);
  if (OUTPUT !== '-') {
    writeFleetMarkdown(OUTPUT, report);
    console.log(`\nbench: wrote the fleet section of ${path.relative(process.cwd(), OUTPUT) || OUTPUT}`);
  }
  if (profDir) console.log(`bench: Central CPU profile in ${profDir}`);
  const missed = fleetVerdicts(report).filter((l) => !l.met).length;
  console.log(`bench fleet: ${missed ? `${missed} target(s) MISSED` : 'all targets MET'}`);
}

async function runMediaBench() {
  const date = stamp();
  const load = loadAverage();
  const results = await runMedia(mediaSettings());
  const report: MediaReport = {
    ...results,
    date,
    machine: { ...machine("PGlite (Central's embedded PostgreSQL)"), load },
  };
  console.log(`\n${mediaConsole(report)}`);
  if (OUTPUT !== '-') {
    writeMediaMarkdown(OUTPUT, report);
    console.log(`\nbench: wrote the streamer section of ${path.relative(process.cwd(), OUTPUT) || OUTPUT}`);
  }
  const missed = mediaVerdicts(report).filter((l) => !l.met).length;
  console.log(`bench media: ${missed ? `${missed} target(s) MISSED` : 'all targets MET'}`);
}

async function main() {
  const perRun = settings.warmup + settings.duration + 5;
  const httpMs = (300 + settings.rounds * scenarios.length * 2 * perRun) * 1000;
  const stopWatchdog = installExitHandlers(
    (ONLY.has('http') ? httpMs : 0) +
      (ONLY.has('fleet') ? fleetBudgetMs(fleetSettings()) : 0) +
      (ONLY.has('media') ? mediaBudgetMs(mediaSettings()) : 0),
  );
  // The streamer benchmark needs no PostgreSQL server (its Central runs on PGlite).
  if (ONLY.has('http') || ONLY.has('fleet')) {
    const pgs = await startPg();
    if (ONLY.has('http')) await runHttp(pgs);
    if (ONLY.has('fleet')) await runFleetBench(pgs);
  }
  if (ONLY.has('media')) await runMediaBench();
  stopWatchdog();
}

try {
  await main();
  await cleanup();
  process.exit(0);
} catch (e) {
  console.error(`bench: set-up failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  await cleanup();
  process.exit(1);
}
