// `npm run demo` as a newcomer runs it (with --once so it exits, and free ports): Central, two
// streamers, two fake streams that play, and the URLs printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test-kit/backends.ts';
import { programArgs } from '../../test-kit/central-process.ts';
import { ffmpegAvailable } from '../../test-kit/media.ts';

const root = path.resolve(import.meta.dirname, '../..');

test('npm run demo starts everything and prints two playing streams', { skip: !ffmpegAvailable() }, () => {
  const dir = tempDir('demo-');
  const run = spawnSync(
    process.execPath,
    [...programArgs('scripts/demo.ts'), '--once', '--free-ports', '--dir', dir],
    { cwd: root, encoding: 'utf8', timeout: 240_000 },
  );
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  const hls = [...run.stdout.matchAll(/hls\s+(http:\S+\/index\.m3u8)/g)].map((m) => m[1]!);
  assert.equal(hls.length, 2, run.stdout);
  assert.equal(new Set(hls.map((u) => new URL(u).port)).size, 2, 'one stream on each streamer');
  assert.match(run.stdout, /Bearer \S+/);
  assert.match(run.stdout, /embed\s+http:\S+\/embed\.html/);
});
