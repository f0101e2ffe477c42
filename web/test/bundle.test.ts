// The admin UI's initial JavaScript (the entry script and every chunk index.html preloads) stays under
// 300 KB gzipped; the player's hls.js and the pages load on demand.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';

const root = path.resolve(import.meta.dirname, '../..');
const dist = path.join(root, 'web/dist');

test('initial JavaScript is under 300 KB gzipped, hls.js is not part of it', (t) => {
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-web.ts', '--if-stale'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, build.stderr);
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  const initial = [
    ...html.matchAll(/<script[^>]+src="\/(assets\/[^"]+\.js)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/(assets\/[^"]+\.js)"/g),
  ].map((m) => m[1]!);
  assert.ok(initial.length >= 1, 'index.html loads a script');
  const gz = initial.map((f) => zlib.gzipSync(fs.readFileSync(path.join(dist, f))).length);
  const total = gz.reduce((a, b) => a + b, 0);
  t.diagnostic(`initial JS ${(total / 1024).toFixed(1)} KB gzipped in ${initial.length} files`);
  assert.ok(total < 300 * 1024, `initial JS is ${total} bytes gzipped`);
  // hls.js names its error events in its bundle: they must sit in a lazy chunk, not an initial one.
  const has = (f: string) => fs.readFileSync(path.join(dist, f), 'utf8').includes('manifestLoadError');
  assert.ok(fs.readdirSync(path.join(dist, 'assets')).some((f) => f.endsWith('.js') && has(`assets/${f}`)));
  assert.ok(!initial.some(has), 'hls.js is loaded on demand only');
});
