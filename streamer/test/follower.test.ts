// Following a config server (a small real HTTP server speaking the config_external protocol):
// reconciling starts, restarts and stops streams; dynamic streams are looked up on /dynamic-streams
// when a viewer asks and dropped when /update-streams no longer returns them; the last pulled list
// survives a restart while the config server is down.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { tempDir } from '../../test-kit/backends.ts';
import { waitUntil } from '../../test-kit/fleet.ts';
import { ffmpegAvailable } from '../../test-kit/media.ts';
import { createStreamer, type Streamer } from '../src/app.ts';
import type { StreamerConfig } from '../src/config.ts';

type Stream = { name: string; inputs: { url: string }[]; title?: string };

/** A config server with a static list and a dynamic catalogue; `down` makes it answer 503. */
async function configServer() {
  const state = {
    list: [] as Stream[],
    dynamic: new Map<string, Stream>(),
    down: false,
    requests: [] as string[],
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    state.requests.push(url.pathname + url.search);
    if (state.down) return void res.writeHead(503).end();
    const names = url.searchParams.get('name')?.split(',') ?? [];
    let streams = state.list;
    if (url.pathname.endsWith('/dynamic-streams') || url.pathname.endsWith('/update-streams'))
      streams = names.flatMap((n) => state.dynamic.get(n) ?? []);
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-config-server-separate-endpoints': 'true',
    });
    res.end(JSON.stringify({ streams, updated_at: Date.now() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://key@127.0.0.1:${(server.address() as AddressInfo).port}/cfg`;
  return { state, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const fake = (name: string, extra: Partial<Stream> = {}): Stream => ({
  name,
  inputs: [{ url: 'fake://fake' }],
  ...extra,
});

async function start(dir: string, configExternal: string): Promise<{ s: Streamer; base: string }> {
  const config: StreamerConfig = {
    configFile: null,
    hostname: 'follower-test',
    httpPort: 0,
    clusterKey: 'k',
    editAuth: null,
    dir,
    configExternal,
    pollIntervalMs: 200,
    longPoll: true,
    ffmpeg: 'ffmpeg',
    logLevel: 'silent',
  };
  const s = await createStreamer(config, pino({ level: 'silent' }));
  const port = await s.listen('127.0.0.1');
  return { s, base: `http://127.0.0.1:${port}` };
}

describe('following a config server', { skip: !ffmpegAvailable() }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  test('starts, restarts on a media change only, and stops streams as the list changes', async () => {
    const cfg = await configServer();
    cleanup.push(cfg.close);
    cfg.state.list = [fake('a'), fake('b')];
    const { s } = await start(tempDir('follower-'), cfg.url);
    cleanup.push(() => s.close());
    await waitUntil(() => s.manager.names().length === 2, 5000, 'a and b');
    await waitUntil(() => !!s.manager.pid('a'), 5000, 'a running');
    const pidA = s.manager.pid('a');
    const pidB = s.manager.pid('b');
    cfg.state.list = [fake('a', { title: 'renamed' }), fake('b', { inputs: [{ url: 'fake://other' }] })];
    await waitUntil(() => s.manager.config('a')?.title === 'renamed', 5000, 'the new title');
    await waitUntil(() => s.manager.pid('b') !== pidB && !!s.manager.pid('b'), 5000, 'b restarted');
    assert.equal(s.manager.pid('a'), pidA, 'a title change does not restart ffmpeg');
    cfg.state.list = [fake('a')];
    await waitUntil(() => s.manager.names().join() === 'a', 5000, 'b stopped');
  });

  test('a dynamic stream starts when a viewer asks and stops when Central drops it', async () => {
    const cfg = await configServer();
    cleanup.push(cfg.close);
    cfg.state.dynamic.set('dyn', fake('dyn'));
    const { s, base } = await start(tempDir('follower-'), cfg.url);
    cleanup.push(() => s.close());
    await waitUntil(() => s.follower.ready, 5000, 'the first pull');
    assert.equal((await fetch(`${base}/unknown/index.m3u8`)).status, 404);
    const first = await fetch(`${base}/dyn/index.m3u8`);
    assert.equal(first.status, 503, 'known to Central, starting');
    assert.ok(
      cfg.state.requests.some((r) => r.startsWith('/cfg/dynamic-streams?host=follower-test&name=dyn')),
    );
    await waitUntil(async () => (await fetch(`${base}/dyn/index.m3u8`)).status === 200, 10_000, 'playlist');
    cfg.state.dynamic.clear();
    await waitUntil(() => !s.manager.names().includes('dyn'), 5000, 'dyn stopped after update-streams');
    assert.ok(
      cfg.state.requests.some((r) => r.startsWith('/cfg/update-streams?host=follower-test&name=dyn')),
    );
  });

  test('with the config server down, streams keep running, also across a restart', async () => {
    const cfg = await configServer();
    cleanup.push(cfg.close);
    cfg.state.list = [fake('kept')];
    const dir = tempDir('follower-');
    const one = await start(dir, cfg.url);
    await waitUntil(() => one.s.manager.names().includes('kept'), 5000, 'kept');
    cfg.state.down = true;
    await waitUntil(() => one.s.follower.status?.status === 'error', 5000, 'the error status');
    assert.deepEqual(one.s.manager.names(), ['kept']);
    await one.s.close();
    const two = await start(dir, cfg.url);
    cleanup.push(() => two.s.close());
    assert.deepEqual(two.s.manager.names(), ['kept'], 'resumed from the last pull');
    assert.equal(two.s.follower.ready, true);
    await waitUntil(() => two.s.follower.status?.status === 'error', 5000, 'the error status');
    assert.deepEqual(two.s.follower.status, {
      status: 'error',
      while: 'refresh',
      reason: 'invalid_request',
      code: 503,
      error: 'HTTP 503 Service Unavailable',
    });
    cfg.state.down = false;
    cfg.state.list = [];
    await waitUntil(() => two.s.manager.names().length === 0, 5000, 'the list from the server again');
  });
});
