// The whole test suite: starts one PostgreSQL server for every test file to share (each file makes
// its own databases), then runs node:test over the test files. With CI=true a missing PostgreSQL is
// an error, not a skip.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

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
  ? args
  : files(['server/test', 'streamer/test', 'web/test', 'test-kit/test', 'chaos/test']).sort();

const env = { ...process.env };
let stop: () => Promise<void> = async () => {};
if (!env.CENTRAL_TEST_PG_URL) {
  const { findPgBin, startPostgres } = await import('../test-kit/postgres.ts');
  if (findPgBin()) {
    const pg = await startPostgres();
    env.CENTRAL_TEST_PG_URL = pg.adminUrl;
    env.CENTRAL_TEST_PG_CERT = pg.certFile;
    stop = () => pg.stop();
    console.log(`# PostgreSQL ${pg.version} for the tests on 127.0.0.1:${pg.port}`);
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
const result = spawnSync(
  process.execPath,
  // A test that hangs fails by name after 5 minutes (the longest suite takes about one) instead of
  // holding the run until CI's limit.
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...selected],
  {
    cwd: root,
    env,
    stdio: 'inherit',
  },
);
await stop();
process.exit(result.status ?? 1);
