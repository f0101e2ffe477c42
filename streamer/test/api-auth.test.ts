// The streamer API's defences, against a real streamer HTTP server: failed logins lock the address out
// (the right login included), the Cluster signature is accepted only near the streamer's clock, and a
// signature already used on a write is refused. Central's own client still gets every write through:
// it never signs two writes to one streamer in the same second.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clusterAuthHeader } from '@central/protocol/cluster-auth';
import { pino } from 'pino';
import { tempDir } from '../../test-kit/backends.ts';
import { createStreamerClient } from '../../server/src/lib/streamer-client.ts';
import { createStreamer, type Streamer } from '../src/app.ts';
import type { StreamerConfig } from '../src/config.ts';

const ADMIN = { login: 'admin', password: 'auth-test-pass' };
const BASIC = `Basic ${Buffer.from(`${ADMIN.login}:${ADMIN.password}`).toString('base64')}`;
const KEY = 'auth-test-cluster-key';
const EXTERNAL = 'http://k@127.0.0.1:9/central/api/v3/streamers/auth-test';

async function start(over: Partial<StreamerConfig> = {}) {
  const s = await createStreamer(
    {
      configFile: null,
      hostname: 'auth-test',
      httpPort: 0,
      clusterKey: KEY,
      editAuth: ADMIN,
      dir: tempDir('streamer-auth-'),
      configExternal: null,
      pollIntervalMs: 60_000,
      longPoll: false,
      ffmpeg: 'ffmpeg',
      logLevel: 'silent',
      ...over,
    },
    pino({ level: 'silent' }),
  );
  const port = await s.listen('127.0.0.1');
  const base = `http://127.0.0.1:${port}/streamer/api/v3`;
  const call = async (method: string, p: string, auth: string | null, body?: unknown) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: {
        ...(auth ? { authorization: auth } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
  return { s, port, call };
}

describe('streamer API authentication', () => {
  const running: Streamer[] = [];
  after(async () => {
    for (const s of running) await s.close();
  });
  let api: Awaited<ReturnType<typeof start>>;
  before(async () => {
    api = await start();
    running.push(api.s);
  });

  test('failed logins lock the address out: then even the right login changes nothing', async () => {
    const locked = await start();
    running.push(locked.s);
    const wrong = [
      `Basic ${Buffer.from('admin:guess').toString('base64')}`,
      'Bearer guess',
      clusterAuthHeader('not-the-key', Date.now()),
    ];
    for (let i = 0; i < 12; i++) {
      const res = await locked.call('GET', '/config', wrong[i % wrong.length]!);
      assert.equal(res.status, i < 10 ? 401 : 429, `attempt ${i + 1}`);
    }
    const right = await locked.call('PUT', '/streams/after-lockout', BASIC, {
      inputs: [{ url: 'fake://x' }],
    });
    assert.equal(right.status, 429);
    assert.equal(right.body.errors[0].code, 'too_many_requests');
    assert.ok(Number(right.headers.get('retry-after')) > 0);
    assert.equal(locked.s.state.saved.streams?.['after-lockout'], undefined, 'nothing was written');
    // A valid Cluster signature cannot be guessed: Central sharing the address is never held up.
    const central = await locked.call('GET', '/config/stats', clusterAuthHeader(KEY, Date.now()));
    assert.equal(central.status, 200);
    assert.equal((await locked.call('GET', '/monitoring/liveness', null)).status, 200, 'probes stay open');
  });

  test('a Cluster signature is accepted within 60 s of the streamer clock only', async () => {
    const now = Date.now();
    for (const [offset, status] of [
      [0, 200],
      [-45_000, 200],
      [45_000, 200],
      [-90_000, 401],
      [90_000, 401],
      [-299_000, 401],
    ] as const) {
      const res = await api.call('GET', '/config/stats', clusterAuthHeader(KEY, now + offset));
      assert.equal(res.status, status, `signed ${offset / 1000} s away`);
    }
  });

  test('a signature used on a write is refused the second time, and changes nothing', async () => {
    // A second no earlier test has signed with (a write needs a signature never seen before).
    const signed = clusterAuthHeader(KEY, Date.now() + 30_000);
    const first = await api.call('PUT', '/config', signed, { config_external: EXTERNAL });
    assert.equal(first.status, 200);
    assert.equal((await api.call('PUT', '/config', BASIC, { config_external: null })).status, 200);
    const replay = await api.call('PUT', '/config', signed, { config_external: EXTERNAL });
    assert.equal(replay.status, 401, 'the same signature again');
    assert.equal(api.s.state.saved.config_external ?? null, null, 'the admin change stands');
    // Reads may repeat a signature (Central polls several endpoints within one second).
    for (let i = 0; i < 2; i++) assert.equal((await api.call('GET', '/config', signed)).status, 200);
  });

  test('a signature seen on a read cannot carry a write: a watched poll does not take the streamer', async () => {
    const victim = await start();
    running.push(victim.s);
    const polled = clusterAuthHeader(KEY, Date.now());
    assert.equal((await victim.call('GET', '/config/stats', polled)).status, 200, "Central's poll");
    const [seconds, sig] = polled.slice('Cluster '.length).split(':');
    for (const header of [polled, `Cluster 0${seconds}:${sig}`, `Cluster 00${seconds}:${sig}`]) {
      const res = await victim.call('PUT', '/config', header, { cluster_key: 'attacker-owned-key-123' });
      assert.equal(res.status, 401, header);
    }
    assert.equal(victim.s.state.saved.cluster_key ?? null, null, 'the cluster key is unchanged');
    assert.equal((await victim.call('GET', '/config', clusterAuthHeader(KEY, Date.now()))).status, 200);
    const zeros = `Cluster 0${seconds}:${sig}`;
    assert.equal((await victim.call('GET', '/config', zeros)).status, 401, 'one spelling per signature');
  });

  test('one replay cache and one limiter for both prefixes (/streamer and /flussonic)', async () => {
    const both = await start();
    running.push(both.s);
    const polled = clusterAuthHeader(KEY, Date.now());
    assert.equal((await both.call('GET', '/config/stats', polled)).status, 200);
    const other = `http://127.0.0.1:${both.port}/flussonic/api/v3/config`;
    const put = (auth: string) =>
      fetch(other, {
        method: 'PUT',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ cluster_key: 'attacker-owned-key-123' }),
      });
    assert.equal((await put(polled)).status, 401, 'a read under /streamer is no write under /flussonic');
    assert.equal(both.s.state.saved.cluster_key ?? null, null);
    for (let i = 1; i < 10; i++) {
      const res = await both.call('GET', '/config', 'Bearer guess');
      assert.equal(res.status, 401, `failure ${i + 1}`);
    }
    assert.equal((await put(BASIC)).status, 429, 'failures under both prefixes count together');
  });

  test('after a restart, no signature seen before it can carry a write', async () => {
    const dir = tempDir('streamer-restart-');
    const first = await start({ dir });
    const polled = clusterAuthHeader(KEY, Date.now());
    assert.equal((await first.call('GET', '/config/stats', polled)).status, 200);
    await first.s.close();
    const second = await start({ dir });
    running.push(second.s);
    const res = await second.call('PUT', '/config', polled, { cluster_key: 'attacker-owned-key-123' });
    assert.equal(res.status, 401);
    assert.equal(second.s.state.saved.cluster_key ?? null, null);
  });

  test("Central's write is sent again when another process polled in its second", async () => {
    const fresh = await start();
    running.push(fresh.s);
    const target = { hostname: 'auth-test', api_url: `http://127.0.0.1:${fresh.port}`, cluster_key: KEY };
    const poller = createStreamerClient({ timeoutMs: 5000, policy: { allow: [], deny: [] } });
    const writer = createStreamerClient({ timeoutMs: 5000, policy: { allow: [], deny: [] } });
    try {
      for (let i = 0; i < 3; i++) {
        await poller.getConfig(target);
        await writer.putConfig(target, { config_external: `${EXTERNAL}-${i}` });
      }
      assert.equal(fresh.s.state.saved.config_external, `${EXTERNAL}-2`);
    } finally {
      poller.close();
      writer.close();
    }
  });

  test('API answers are never cached nor sniffed', async () => {
    for (const [p, auth] of [
      ['/config', BASIC],
      ['/config', null],
      ['/monitoring/liveness', null],
    ] as const) {
      const res = await api.call('GET', p, auth);
      assert.equal(res.headers.get('cache-control'), 'no-store', p);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', p);
    }
  });

  test("Central's client gets back-to-back and concurrent writes through", async () => {
    const fresh = await start();
    running.push(fresh.s);
    const client = createStreamerClient({ timeoutMs: 5000, policy: { allow: [], deny: [] } });
    const target = { hostname: 'auth-test', api_url: `http://127.0.0.1:${fresh.port}`, cluster_key: KEY };
    try {
      await client.putConfig(target, { config_external: EXTERNAL });
      await client.putConfig(target, { config_external: null });
      await Promise.all([1, 2, 3].map(() => client.putConfig(target, { cluster_key: KEY })));
      // Polls and writes interleaved: reads never spend the second a write is about to use.
      await Promise.all(
        [1, 2, 3, 4].flatMap(() => [
          client.getConfig(target),
          client.putConfig(target, { cluster_key: KEY }),
          client.getConfig(target),
        ]),
      );
      assert.equal(fresh.s.state.saved.config_external ?? null, null);
    } finally {
      client.close();
    }
  });
});
