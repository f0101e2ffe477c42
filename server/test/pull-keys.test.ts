// Per-streamer pull keys (issue 12): the credential in a streamer's config_external URL works only for
// that streamer's pull endpoints, only it is a sign of life, and rotation cuts the old one off. Each
// attack is tried and must fail without changing anything.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { testBackends } from '../../test-kit/backends.ts';
import { startTestApp, TEST_API_KEY, TEST_EDIT_AUTH, type TestApp } from '../../test-kit/app.ts';
import { patient } from '../../test-kit/patience.ts';

const P = '/central/api/v3';
const LEGACY = '/streamer/api/v3';
const API_URL = 'http://central.example.com:9019';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PullKey {
  hostname: string;
  pull_key: string;
  generation: number;
  rotated_at?: number;
  config_external: string | null;
}

for (const backend of await testBackends()) {
  describe(`pull keys on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(backend, { apiUrl: API_URL })));
    after(() => t.close());
    beforeEach(() => t.reset());

    let address = 0;
    /** A request with the given Authorization, each from its own address (Basic failures are limited). */
    const as = (authorization: string, method: InjectOptions['method'], url: string, body?: unknown) =>
      t.app.inject({
        method,
        url,
        remoteAddress: `10.1.${Math.floor(++address / 250) % 250}.${address % 250}`,
        headers: { authorization, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    const admin = async (method: InjectOptions['method'], url: string, body?: unknown, status = 200) => {
      const res = await t.call(method, P + url, body);
      assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
      return res;
    };
    const keyOf = async (h: string) => (await admin('GET', `/streamers/${h}/pull_key`)).json() as PullKey;
    const lastPullAt = async (h: string) =>
      (
        await t.db.query<{ last_pull_at: string | null }>(
          'SELECT last_pull_at FROM streamer_status WHERE hostname = $1',
          [h],
        )
      ).rows[0]?.last_pull_at ?? null;
    /** Pull times are written in batches about once a second: wait for one (one generous deadline). */
    const waitForPull = async (h: string) => {
      const deadline = Date.now() + patient(5000);
      while ((await lastPullAt(h)) === null) {
        assert.ok(Date.now() < deadline, `no pull of ${h} recorded within ${patient(5000)} ms`);
        await sleep(50);
      }
    };
    const pullPaths = (h: string) => [
      `/streamers/${h}/streams`,
      `/streamers/${h}/update-streams?name=a`,
      `/streamers/${h}/dynamic-streams?name=a`,
      `/streamers/${h}/srt_port_resolve/9000?mode=play`,
    ];

    test('GET pull_key: the key and the URL carrying it, never the API key, never in streamer output', async () => {
      await admin('PUT', '/streamers/s1', { cluster_key: 'ck1' });
      await admin('PUT', '/streamers/s2', {});
      const res = await admin('GET', '/streamers/s1/pull_key');
      assert.equal(res.headers['cache-control'], 'no-store');
      const k1 = res.json() as PullKey;
      const k2 = await keyOf('s2');
      assert.match(k1.pull_key, /^[\w-]{43}$/);
      assert.notEqual(k1.pull_key, TEST_API_KEY);
      assert.notEqual(k1.pull_key, k2.pull_key, 'each streamer has its own key');
      assert.equal(
        k1.config_external,
        `http://${k1.pull_key}@central.example.com:9019/central/api/v3/streamers/s1`,
      );
      assert.ok(!('rotated_at' in k1));
      for (const url of ['/streamers', '/streamers/s1', '/streamers?q=s1']) {
        const body = (await admin('GET', url)).body;
        assert.ok(!body.includes(k1.pull_key) && !body.includes(TEST_API_KEY), `${url} shows no key`);
      }
      await admin('GET', '/streamers/nobody/pull_key', undefined, 404);
      await admin('POST', '/streamers/nobody/rotate_pull_key', undefined, 404);
    });

    test("a streamer's pull key is no API credential: it reads and changes nothing", async () => {
      await admin('PUT', '/streamers/s1', { cluster_key: 'ck1' });
      await admin('PUT', '/streams/a', { inputs: [{ url: 'udp://239.0.0.1/a' }] });
      const { pull_key: key, generation } = await keyOf('s1');
      const before = [(await admin('GET', '/streams/a')).body, (await admin('GET', '/streamers/s1')).body];
      const attempts: [InjectOptions['method'], string, unknown?][] = [
        ['GET', '/streams'],
        ['GET', '/streams/a'],
        ['PUT', '/streams/a', { title: 'taken over' }],
        ['PUT', '/streams/new', { inputs: [{ url: 'udp://239.0.0.1/x' }] }],
        ['DELETE', '/streams/a'],
        ['POST', '/streams/layouts', { layouts: [{ name: 'a', ingest: 's1' }] }],
        ['GET', '/streamers'],
        ['GET', '/streamers/s1'],
        ['PUT', '/streamers/s1', { api_url: 'http://attacker.example.com' }],
        ['DELETE', '/streamers/s1'],
        ['GET', '/streamers/s1/pull_key'],
        ['POST', '/streamers/s1/rotate_pull_key'],
        ['GET', '/config'],
        ['GET', '/cluster/stats'],
      ];
      for (const authorization of [`Bearer ${key}`, basic(key, '')])
        for (const prefix of [P, LEGACY])
          for (const [method, path, body] of attempts) {
            const res = await as(authorization, method, prefix + path, body);
            assert.ok(
              res.statusCode === 401 || res.statusCode === 403,
              `${method} ${prefix}${path} with the pull key: ${res.statusCode} ${res.body}`,
            );
          }
      assert.deepEqual(
        [(await admin('GET', '/streams/a')).body, (await admin('GET', '/streamers/s1')).body],
        before,
      );
      await admin('GET', '/streams/new', undefined, 404);
      assert.equal((await keyOf('s1')).generation, generation, 'not rotated');
    });

    test("another streamer's key, the admin login and a key for an unknown host are 403 and no sign of life", async () => {
      await admin('PUT', '/streamers/s1', {});
      await admin('PUT', '/streamers/s2', {});
      const k1 = (await keyOf('s1')).pull_key;
      for (const prefix of [P, LEGACY])
        for (const path of [...pullPaths('s2'), ...pullPaths('nobody')])
          for (const authorization of [
            `Bearer ${k1}`,
            basic(k1, ''),
            basic(TEST_EDIT_AUTH.login, TEST_EDIT_AUTH.password),
          ]) {
            const res = await as(authorization, 'GET', prefix + path);
            const label = `${prefix}${path} with ${authorization.slice(0, 12)}…`;
            assert.equal(res.statusCode, 403, `${label}: ${res.body}`);
            assert.equal(res.json().errors[0].code, 'forbidden', label);
          }
      // s1's own pull is recorded: s2's refused ones, made before it, would have been too.
      assert.equal((await as(`Bearer ${k1}`, 'GET', `${P}/streamers/s1/streams`)).statusCode, 200);
      await waitForPull('s1');
      assert.equal(await lastPullAt('s2'), null, 's2 was not kept alive');
    });

    test('the API key still reads any list but is no sign of life; the own key is', async () => {
      await admin('PUT', '/streamers/s1', {});
      await admin('PUT', '/streamers/s2', {});
      await admin('PUT', '/streams/a', { inputs: [{ url: 'udp://239.0.0.1/a' }] });
      await admin('POST', '/streams/layouts', { layouts: [{ name: 'a', ingest: 's1' }] }, 204);
      for (const authorization of [`Bearer ${TEST_API_KEY}`, basic(TEST_API_KEY, '')]) {
        const res = await as(authorization, 'GET', `${P}/streamers/s1/streams`);
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(
          res.json().streams.map((s: { name: string }) => s.name),
          ['a'],
        );
      }
      const k2 = (await keyOf('s2')).pull_key;
      assert.equal((await as(basic(k2, ''), 'GET', `${P}/streamers/s2/streams`)).statusCode, 200);
      await waitForPull('s2');
      assert.equal(await lastPullAt('s1'), null, 'the API key proves nothing about s1');
      const s2 = (await admin('GET', '/streamers/s2')).json();
      assert.equal(s2.status.last_seen_at, t.clock.now());
      assert.ok(!('last_seen_at' in (await admin('GET', '/streamers/s1')).json().status));
    });

    test('rotation: a new key at once; the old one is refused, even in a long poll already waiting', async () => {
      await admin('PUT', '/streamers/s1', {});
      await admin('PUT', '/streams/a', { inputs: [{ url: 'udp://239.0.0.1/a' }] });
      await admin('POST', '/streams/layouts', { layouts: [{ name: 'a', ingest: 's1' }] }, 204);
      const old = await keyOf('s1');
      const first = await as(`Bearer ${old.pull_key}`, 'GET', `${P}/streamers/s1/streams`);
      assert.equal(first.statusCode, 200);
      const waiting = t.app.inject({
        method: 'GET',
        url: `${P}/streamers/s1/streams?poll_timeout=30`,
        headers: { authorization: `Bearer ${old.pull_key}`, 'if-none-match': String(first.headers.etag) },
      });
      await sleep(100);
      const started = Date.now();
      const rotated = (await admin('POST', '/streamers/s1/rotate_pull_key')).json() as PullKey;
      assert.notEqual(rotated.pull_key, old.pull_key);
      assert.ok(rotated.generation > old.generation);
      assert.equal(rotated.rotated_at, t.clock.now());
      assert.equal(
        rotated.config_external,
        `http://${rotated.pull_key}@central.example.com:9019/central/api/v3/streamers/s1`,
      );
      assert.deepEqual(await keyOf('s1'), rotated);
      const ended = await waiting;
      assert.equal(ended.statusCode, 403, ended.body);
      assert.ok(Date.now() - started < 5000, 'the long poll ended well before its 30 s');
      for (const path of pullPaths('s1'))
        assert.equal((await as(`Bearer ${old.pull_key}`, 'GET', P + path)).statusCode, 403, path);
      const now = await as(`Bearer ${rotated.pull_key}`, 'GET', `${P}/streamers/s1/streams`);
      assert.equal(now.statusCode, 200, now.body);
      assert.equal(now.json().streams[0].name, 'a');
    });

    test('a streamer deleted and created again never gets an old key back', async () => {
      await admin('PUT', '/streamers/s1', {});
      const old = (await keyOf('s1')).pull_key;
      await admin('DELETE', '/streamers/s1', undefined, 204);
      await admin('PUT', '/streamers/s1', {});
      const fresh = (await keyOf('s1')).pull_key;
      assert.notEqual(fresh, old);
      assert.equal((await as(`Bearer ${old}`, 'GET', `${P}/streamers/s1/streams`)).statusCode, 403);
      assert.equal((await as(`Bearer ${fresh}`, 'GET', `${P}/streamers/s1/streams`)).statusCode, 200);
    });
  });
}
