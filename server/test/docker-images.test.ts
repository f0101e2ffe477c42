// The Docker images without a Docker engine: each Dockerfile's build step (scripts/package.ts --app) is
// run, and the result is started the way the image's ENV and CMD say, configured by environment
// variables only, as `docker run -e ...` does. The images then answer their HEALTHCHECK's probe, and
// Central serves its UI and the API with the key from the environment.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { tempDir } from '../../test-kit/backends.ts';
import { freePort, waitUntil } from '../../test-kit/fleet.ts';

const root = path.resolve(import.meta.dirname, '../..');

interface Image {
  env: Record<string, string>;
  cmd: string[];
  build: string[];
  healthPath: string;
}

/** ENV, CMD, the `scripts/package.ts` RUN line and the HEALTHCHECK's probe path of a Dockerfile's last stage. */
function readDockerfile(file: string): Image {
  const text = fs.readFileSync(path.join(root, file), 'utf8').replace(/\\\n\s*/g, ' ');
  const lines = text.split('\n');
  const env: Record<string, string> = {};
  const last = lines.map((l) => l.startsWith('FROM ')).lastIndexOf(true);
  for (const l of lines.slice(last).filter((x) => x.startsWith('ENV ')))
    for (const m of l.slice(4).matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
  const cmd = JSON.parse(lines.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
  const run = lines.find((l) => l.includes('scripts/package.ts'))!;
  const build = run
    .slice(run.indexOf('scripts/package.ts') + 'scripts/package.ts'.length)
    .trim()
    .split(/\s+/);
  const healthPath = /\/[a-z]+\/api\/v3\/monitoring\/liveness/.exec(text)![0];
  return { env, cmd, build, healthPath };
}

/** Runs the build step with the image's paths moved under `dir` (/opt/x -> dir/opt/x). */
function buildTree(image: Image, dir: string): (p: string) => string {
  const moved = (p: string) => (p.startsWith('/') ? path.join(dir, p) : p);
  const dest = image.build[image.build.indexOf('--dest') + 1]!;
  const args = image.build.map((a) => (a === dest ? moved(`/opt/${path.basename(dest)}`) : a));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/package.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  return moved;
}

describe('Docker images, run from their Dockerfiles without an engine', () => {
  const running: ReturnType<typeof spawn>[] = [];
  after(() => running.forEach((p) => p.kill('SIGKILL')));

  /** Starts the image's CMD (paths moved under `dir`) with its ENV plus `env`; waits for the probe. */
  async function run(
    image: Image,
    dir: string,
    moved: (p: string) => string,
    portKey: string,
    env: Record<string, string>,
  ) {
    const port = await freePort();
    const cmd = image.cmd.map((a) => (a.startsWith('/opt/') ? moved(a) : a));
    const dataDir = Object.values(image.env).find((v) => v.startsWith('/var/lib/'))!;
    fs.mkdirSync(moved(dataDir), { recursive: true });
    const vars = Object.fromEntries(
      Object.entries({ ...image.env, ...env, [portKey]: String(port) }).map(([k, v]) => [
        k,
        v.startsWith('/var/lib/') ? moved(v) : v,
      ]),
    );
    const proc = spawn(cmd[0] === 'node' ? process.execPath : cmd[0]!, cmd.slice(1), {
      cwd: moved(dataDir),
      env: { PATH: process.env.PATH ?? '', ...vars },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(proc);
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(
      async () => (await fetch(`${base}${image.healthPath}`).catch(() => null))?.status === 200,
      30_000,
      `the HEALTHCHECK probe (output so far:\n${out})`,
    );
    return { base, output: () => out, proc };
  }

  test('central: starts from environment variables alone, serves the UI, the API and /metrics', async () => {
    const image = readDockerfile('packaging/docker/central.Dockerfile');
    assert.ok(!image.cmd.includes('tsx'), 'the image runs the bundle, not TypeScript sources');
    const dir = tempDir('docker-central-');
    const moved = buildTree(image, dir);
    const key = 'docker-env-api-key-2468';
    const c = await run(image, dir, moved, 'HTTP_PORT', {
      API_KEY: key,
      EDIT_AUTH: 'admin docker-pass-1357',
    });
    const ui = await fetch(`${c.base}/`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /<div id="root">|<script/);
    const streams = await fetch(`${c.base}/central/api/v3/streams`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(streams.status, 200);
    const metrics = await fetch(`${c.base}/metrics`, { headers: { authorization: `Bearer ${key}` } });
    assert.match(await metrics.text(), /^central_streams\{status="running"\} 0$/m);
    assert.ok(
      fs.existsSync(path.join(moved(image.env.CENTRAL_DIR!), 'pglite')),
      'the data lands in the volume',
    );
    c.proc.kill('SIGTERM');
    await new Promise((r) => c.proc.once('exit', r));
    assert.equal(c.proc.exitCode, 0, c.output());
  });

  test('central-streamer: starts from STREAMER_* variables alone', async () => {
    const image = readDockerfile('packaging/docker/streamer.Dockerfile');
    assert.ok(!image.cmd.includes('tsx'), 'the image runs the bundle, not TypeScript sources');
    const dir = tempDir('docker-streamer-');
    const moved = buildTree(image, dir);
    const ffmpeg: Record<string, string> =
      spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0
        ? {}
        : { STREAMER_FFMPEG: '/bin/true' };
    const s = await run(image, dir, moved, 'STREAMER_HTTP', {
      STREAMER_HOSTNAME: 'docker-edge',
      STREAMER_CLUSTER_KEY: 'docker-cluster-key',
      ...ffmpeg,
    });
    const hls = await fetch(`${s.base}/_player/hls.light.min.js`);
    assert.equal(hls.status, 200, "the player page's hls.js is in the image");
    assert.match(s.output(), /streamer docker-edge listening/);
    const ready = await fetch(`${s.base}/streamer/api/v3/monitoring/readiness`);
    assert.equal(ready.status, 200, 'no Central yet: its own (empty) list is known');
  });
});
