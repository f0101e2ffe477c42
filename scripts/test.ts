// The whole test suite: starts one PostgreSQL server for every test file to share (each file makes
// its own databases), then runs node:test over the test files. With CI=true a missing PostgreSQL is
// an error, not a skip. `npm test` starts it with the flag of TEST_NODE_FLAGS too (written out in
// package.json's test script; keep the two alike): the embedded database template it makes costs 7.5 s
// of CPU that way, 11.5 s without.
import { spawnSync } from 'node:child_process';
import { run } from 'node:test';
import { tap } from 'node:test/reporters';
import { finished } from 'node:stream/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makePgliteTemplate } from '../test-kit/backends.ts';
import { TEST_NODE_FLAGS } from '../test-kit/central-process.ts';
import { buildPrograms, DIST, staleReason } from './build.ts';
import { bundleTests } from './test-bundles.ts';
import { Timings } from './test-timings.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';

function hasCommand(cmd: string): boolean {
  return spawnSync(cmd, ['-version'], { stdio: 'ignore' }).status === 0;
}

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const files = (dirs: string[]) =>
  dirs.flatMap((d) =>
    fs.existsSync(path.join(root, d))
      ? fs
          .readdirSync(path.join(root, d), { recursive: true })
          .filter((f) => String(f).endsWith('.test.ts'))
          .map((f) => path.join(d, String(f)))
      : [],
  );
const selected = args.length
  ? args.map((f) => path.relative(root, path.resolve(f)))
  : files(['server/test', 'streamer/test', 'web/test', 'test-kit/test', 'chaos/test', 'scripts/test']).sort();

/** Test files run at once: most of a file's time is waiting (timers, media, other processes). */
const CONCURRENCY = Number(process.env.TEST_CONCURRENCY) || 4;

const env = { ...process.env };
let stop: () => Promise<void> = async () => {};
/** Starts the run's PostgreSQL server (alongside the rest of the set-up below). */
let postgres = async (): Promise<void> => {};
if (!env.CENTRAL_TEST_PG_URL) {
  const { findPgBin, startPostgres } = await import('../test-kit/postgres.ts');
  if (findPgBin()) {
    postgres = async () => {
      const pg = await startPostgres();
      env.CENTRAL_TEST_PG_URL = pg.adminUrl;
      env.CENTRAL_TEST_PG_CERT = pg.certFile;
      stop = () => pg.stop();
      console.log(`# PostgreSQL ${pg.version} for the tests on 127.0.0.1:${pg.port}`);
    };
  } else if (env.CI === 'true') {
    console.error(
      'CI=true but PostgreSQL (initdb, pg_ctl) is not installed: run .ci/run or apt-get install postgresql',
    );
    process.exit(1);
  } else {
    console.log('# notice: PostgreSQL is not installed; tests run on the embedded database only');
  }
}
if (!hasCommand('ffmpeg') || !hasCommand('ffprobe')) {
  if (env.CI === 'true') {
    console.error('CI=true but ffmpeg is not installed: run .ci/run or apt-get install ffmpeg');
    process.exit(1);
  }
  console.log('# notice: ffmpeg is not installed; the streamer media tests are skipped');
}
if (!fs.existsSync(CHROMIUM)) {
  if (env.CI === 'true') {
    console.error(
      `CI=true but chromium is not installed (${CHROMIUM}): run .ci/run or apt-get install chromium`,
    );
    process.exit(1);
  }
  console.log('# notice: chromium is not installed; the browser tests are skipped');
}
// The programs that process-level tests start and the test files themselves, compiled once for the
// run (not by tsx in every process), and an embedded database after its initdb that each test copies
// instead of running initdb again.
const reason = staleReason();
if (reason) {
  await buildPrograms();
  console.log(`# built the programs in dist/ (${reason})`);
}
env.CENTRAL_TEST_BUNDLES = DIST;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'central-test-run-'));
env.CENTRAL_TEST_PGLITE_TEMPLATE = path.join(scratch, 'pglite-template');
// Inside the checkout, so that the modules find node_modules; one folder per run.
const compiled = path.join(root, 'node_modules/.cache/central-tests', String(process.pid));
const [modules] = await Promise.all([
  bundleTests(root, selected, compiled),
  makePgliteTemplate(env.CENTRAL_TEST_PGLITE_TEMPLATE),
  postgres(),
]);

// Every test file runs in its own process (node:test's default; the options here reach it through
// process.execArgv): plain Node.js with source maps, V8 flags for short-lived processes
// (TEST_NODE_FLAGS), and a per-test timeout: a test that hangs fails by name after 5 minutes, and a
// whole file is stopped after 10, instead of holding the run until CI's limit.
process.execArgv.splice(0, Infinity, ...TEST_NODE_FLAGS, '--enable-source-maps', '--test-timeout=300000');
Object.assign(process.env, env);
const timings = new Timings(root, modules);
const stream = run({
  files: timings.order(selected).map((f) => modules.get(f)!),
  concurrency: CONCURRENCY,
  timeout: 600_000,
});
stream.on('test:pass', (data) => timings.add(data, true));
stream.on('test:fail', (data) => {
  timings.add(data, false);
  process.exitCode = 1;
});
const report = stream.compose(tap);
report.pipe(process.stdout, { end: false });
await finished(report);
await stop();
for (const dir of [scratch, compiled]) fs.rmSync(dir, { recursive: true, force: true });
timings.save();
timings.print();
