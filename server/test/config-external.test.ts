// The config_external endpoints streamers poll (GET /streamers/{hostname}/streams, update-streams,
// dynamic-streams, srt_port_resolve): authentication by the API key with 403, the exact list of a
// streamer's streams as Flussonic stream configs, ETag versions, cursor paging and long polls.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { testBackends } from '../../test-kit/backends.ts';
import { startTestApp, TEST_API_KEY, type TestApp } from '../../test-kit/app.ts';
import { patient } from '../../test-kit/patience.ts';

const P = '/central/api/v3';
const LEGACY = '/streamer/api/v3';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of await testBackends()) {
  describe(`config_external on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(backend)));
    after(() => t.close());
    beforeEach(() => t.reset());

    const ok = async (res: Promise<LightMyRequestResponse>, status = 200) => {
      const r = await res;
      assert.equal(r.statusCode, status, r.body);
      return r;
    };
    const streamer = (hostname: string, body: Record<string, unknown> = {}) =>
      ok(t.call('PUT', `${P}/streamers/${hostname}`, body));
    const stream = (name: string, body: Record<string, unknown> = {}) =>
      ok(t.call('PUT', `${P}/streams/${name}`, { inputs: [{ url: `udp://239.0.0.1/${name}` }], ...body }));
    /** Manual placement; null takes the stream off every streamer. */
    const place = (layouts: Record<string, string | null>) =>
      ok(
        t.call('POST', `${P}/streams/layouts`, {
          layouts: Object.entries(layouts).map(([name, ingest]) => ({ name, ingest })),
        }),
        204,
      );
    const pull = (hostname: string, query = '', headers: Record<string, string> = {}, prefix = P) =>
      t.call('GET', `${prefix}/streamers/${hostname}/streams${query}`, undefined, headers);
    const names = (res: LightMyRequestResponse) =>
      (res.json().streams as { name: string }[]).map((s) => s.name);
    const etagOf = async (hostname: string) => {
      const res = await ok(pull(hostname));
      const etag = res.headers.etag;
      assert.ok(typeof etag === 'string' && etag.length > 0, 'the whole list carries an ETag');
      return etag;
    };

    const endpoints = (hostname: string) => [
      `/streamers/${hostname}/streams`,
      `/streamers/${hostname}/update-streams?name=a`,
      `/streamers/${hostname}/dynamic-streams?name=a`,
      `/streamers/${hostname}/srt_port_resolve/9000?mode=play`,
    ];

    test('no key or a wrong key is 403 (not 401) with the error body, on every endpoint and prefix', async () => {
      await streamer('s1');
      // Each from its own address: failed keys count against the client (10 a minute lock it out).
      let client = 0;
      for (const prefix of [P, LEGACY])
        for (const path of endpoints('s1'))
          for (const authorization of [
            undefined,
            'Bearer wrong-key',
            basic('wrong-key', ''),
            basic(TEST_API_KEY, 'not-empty'),
            `Token ${TEST_API_KEY}`,
          ]) {
            const res = await t.app.inject({
              method: 'GET',
              url: prefix + path,
              headers: authorization ? { authorization } : {},
              remoteAddress: `198.18.0.${++client}`,
            });
            const label = `${prefix}${path} with ${authorization ?? 'no Authorization'}`;
            assert.equal(res.statusCode, 403, `${label}: ${res.body}`);
            const body = res.json();
            assert.equal(body.error, 'forbidden', label);
            assert.equal(body.errors[0].status, '403', label);
            assert.equal(body.errors[0].code, 'forbidden', label);
            assert.equal(typeof body.errors[0].title, 'string', label);
          }
    });

    test('the key as Basic user with an empty password works (http://KEY@central/... URLs)', async () => {
      await streamer('s1');
      await stream('a');
      await place({ a: 's1' });
      for (const prefix of [P, LEGACY]) {
        const res = await t.app.inject({
          method: 'GET',
          url: `${prefix}/streamers/s1/streams?host=s1`,
          headers: { authorization: basic(TEST_API_KEY, '') },
        });
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(names(res), ['a']);
      }
    });

    test('an unknown streamer is 404 with the error body, on every endpoint', async () => {
      await streamer('s1');
      for (const prefix of [P, LEGACY])
        for (const path of endpoints('nobody.example.com')) {
          const res = await t.call('GET', prefix + path);
          assert.equal(res.statusCode, 404, `${prefix}${path}: ${res.body}`);
          assert.equal(res.json().errors[0].code, 'not_found');
        }
    });

    test("the list is exactly this streamer's enabled placed streams, as Flussonic stream configs", async () => {
      await streamer('s1');
      await streamer('s2');
      await stream('a', { title: 'A', protocols: { hls: true, dash: false } });
      await stream('off', { disabled: true });
      await stream('other');
      await stream('unplaced');
      await stream('full', {
        title: 'Full',
        static: false,
        labels: { zone: 'eu' },
        namespace: 'tenant1',
        claims: { bitrate: 2500 },
        streamer_hostname: 's1',
        dvr: { root: '/storage', expiration: 3600 },
        pushes: [{ url: 'rtmp://example.com/live/key' }],
      });
      await stream('mylive/bunny');
      await place({ a: 's1', off: 's1', other: 's2', full: 's1', 'mylive/bunny': 's1' });
      // A stream the API reports on: observed stats exist but stay Central-only.
      await t.db.query(
        `INSERT INTO stream_status (name, stats, running_since, updated_at) VALUES ('a', '{"status":"running","alive":true}', 0, 0)`,
      );

      for (const prefix of [P, LEGACY]) {
        const res = await ok(pull('s1', '?host=s1', {}, prefix));
        assert.match(String(res.headers['content-type']), /^application\/json/);
        assert.equal(res.headers['x-config-server-separate-endpoints'], 'true');
        const body = res.json();
        assert.ok(Number.isInteger(body.updated_at), `updated_at must be an integer: ${body.updated_at}`);
        assert.ok(!('next' in body), 'the whole list has no next cursor');
        assert.deepEqual(body.streams, [
          {
            name: 'a',
            title: 'A',
            inputs: [{ url: 'udp://239.0.0.1/a' }],
            protocols: { hls: true, dash: false },
            static: true,
          },
          {
            name: 'full',
            title: 'Full',
            inputs: [{ url: 'udp://239.0.0.1/full' }],
            static: false,
            labels: { zone: 'eu' },
            dvr: { root: '/storage', expiration: 3600 },
            pushes: [{ url: 'rtmp://example.com/live/key' }],
          },
          { name: 'mylive/bunny', inputs: [{ url: 'udp://239.0.0.1/mylive/bunny' }], static: true },
        ]);
        for (const s of body.streams)
          for (const k of ['layout', 'stats', 'claims', 'namespace', 'updated_at', 'streamer_hostname'])
            assert.ok(!(k in s), `${s.name}: ${k} is Central-only`);
      }
      assert.deepEqual(names(await ok(pull('s2'))), ['other']);
    });

    test('a streamer with nothing placed gets an empty list, not an error', async () => {
      await streamer('s1');
      await stream('a');
      const res = await ok(pull('s1'));
      assert.deepEqual(res.json().streams, []);
      assert.ok(Number.isInteger(res.json().updated_at));
    });

    test('ETag + If-None-Match answers 304 with no body while nothing changed', async () => {
      await streamer('s1');
      await stream('a');
      await place({ a: 's1' });
      const etag = await etagOf('s1');
      const res = await pull('s1', '', { 'if-none-match': etag });
      assert.equal(res.statusCode, 304, res.body);
      assert.equal(res.body, '');
      assert.equal(res.headers.etag, etag);
      // A stale ETag gets the list.
      const stale = await pull('s1', '', { 'if-none-match': '"0"' });
      assert.equal(stale.statusCode, 200);
      assert.deepEqual(names(stale), ['a']);
      assert.equal(stale.headers.etag, etag);
    });

    test('every change to the list changes the ETag; other streamers and no-op saves do not', async () => {
      await streamer('s1');
      await streamer('s2');
      for (const n of ['a', 'b', 'c', 'elsewhere', 'unplaced']) await stream(n);
      await place({ a: 's1', b: 's1', elsewhere: 's2' });
      let etag = await etagOf('s1');
      const expect = async (what: string, changed: boolean, list?: string[]) => {
        const res = await ok(pull('s1'));
        if (changed) assert.notEqual(res.headers.etag, etag, `${what} must change the ETag`);
        else assert.equal(res.headers.etag, etag, `${what} must not change the ETag`);
        if (list) assert.deepEqual(names(res), list, what);
        const cond = await pull('s1', '', { 'if-none-match': etag });
        assert.equal(cond.statusCode, changed ? 200 : 304, `${what}: conditional pull with the old ETag`);
        etag = res.headers.etag as string;
        return res;
      };

      t.clock.advance(1000);
      await stream('a', { title: 'new title' });
      const edited = await expect('editing a listed stream', true, ['a', 'b']);
      assert.equal(edited.json().streams[0].title, 'new title');

      await stream('a', { title: 'new title' });
      await expect('saving a listed stream unchanged', false);

      await stream('elsewhere', { title: 'x' });
      await expect("editing another streamer's stream", false);
      await stream('unplaced', { title: 'x' });
      await expect('editing an unplaced stream', false);
      await streamer('s2', { channel_limit: 10 });
      await expect('editing another streamer', false);

      await place({ c: 's1' });
      await expect('a layout moving a stream in', true, ['a', 'b', 'c']);
      await place({ c: 's2' });
      await expect('a layout moving a stream out', true, ['a', 'b']);
      await place({ b: null });
      await expect('a layout taking a stream off', true, ['a']);
      await streamer('s3');
      await place({ elsewhere: 's3' });
      await expect('a layout change between other streamers', false);

      await place({ b: 's1' });
      await expect('placing it back', true, ['a', 'b']);
      await stream('b', { disabled: true });
      await expect('disabling a listed stream', true, ['a']);
      await stream('b', { disabled: false });
      await expect('enabling it again', true, ['a', 'b']);

      assert.equal((await t.call('DELETE', `${P}/streams/b`)).statusCode, 204);
      await expect('deleting a listed stream', true, ['a']);
      assert.equal((await t.call('DELETE', `${P}/streams/elsewhere`)).statusCode, 204);
      await expect("deleting another streamer's stream", false);
    });

    test('the ETag also changes after a layout written directly in SQL (the layouter path)', async () => {
      await streamer('s1');
      await stream('a');
      const etag = await etagOf('s1');
      await t.db.query(
        `INSERT INTO stream_layouts (name, ingest, originator, created_at, change_reason, failover_from)
         VALUES ('a', 's1', 'layouter', 1, 'not_distributed', NULL)`,
      );
      const res = await ok(pull('s1', '', { 'if-none-match': etag }));
      assert.notEqual(res.headers.etag, etag);
      assert.deepEqual(names(res), ['a']);
    });

    test('cursor paging with limit walks every stream exactly once, in name order', async () => {
      await streamer('s1');
      await streamer('s2');
      const expected: string[] = [];
      const layouts: Record<string, string> = {};
      for (let i = 0; i < 23; i++) {
        const name = `ch${String(i).padStart(2, '0')}`;
        await stream(name);
        layouts[name] = 's1';
        expected.push(name);
      }
      await stream('zz-elsewhere');
      layouts['zz-elsewhere'] = 's2';
      await place(layouts);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const q = `?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await ok(pull('s1', q));
        const body = res.json();
        assert.ok(body.streams.length <= 5, 'a page is at most limit long');
        assert.ok(Number.isInteger(body.updated_at));
        for (const s of body.streams) assert.equal(s.static, true);
        seen.push(...names(res));
        cursor = body.next;
        if (cursor !== undefined)
          assert.ok(typeof cursor === 'string' && cursor !== '', 'next is a non-empty string');
        pages++;
        assert.ok(pages < 20, 'paging must end');
      } while (cursor);
      assert.equal(pages, 5);
      assert.deepEqual(seen, expected);
      // An exact multiple of the limit: the last full page has no next.
      const all = await ok(pull('s1', '?limit=23'));
      assert.equal(all.json().streams.length, 23);
      assert.ok(!('next' in all.json()), 'no next after the last item');
    });

    test('bad limit or cursor is a 400 naming the parameter', async () => {
      await streamer('s1');
      for (const [q, param] of [
        ['?limit=0', 'limit'],
        ['?limit=abc', 'limit'],
        ['?limit=5&cursor=garbage!', 'cursor'],
      ] as const) {
        const res = await pull('s1', q);
        assert.equal(res.statusCode, 400, `${q}: ${res.body}`);
        assert.equal(res.json().errors[0].source?.parameter, param, q);
      }
    });

    for (const kind of ['update-streams', 'dynamic-streams'])
      test(`${kind}: name is required; only the named streams of this streamer are returned`, async () => {
        await streamer('s1');
        await streamer('s2');
        for (const n of ['a', 'b', 'c', 'off', 'elsewhere', 'unplaced']) await stream(n, { title: n });
        await stream('off', { disabled: true });
        await place({ a: 's1', b: 's1', c: 's1', off: 's1', elsewhere: 's2' });
        for (const prefix of [P, LEGACY]) {
          const url = `${prefix}/streamers/s1/${kind}`;
          for (const q of ['', '?host=s1', '?name=']) {
            const missing = await t.call('GET', url + q);
            assert.equal(missing.statusCode, 400, `${url}${q}: ${missing.body}`);
            const err = missing.json().errors[0];
            assert.ok(
              err.source?.parameter === 'name' || /\bname\b/.test(err.title),
              `the 400 names the parameter: ${missing.body}`,
            );
          }
          const res = await ok(t.call('GET', `${url}?host=s1&name=a,b`));
          assert.equal(res.headers['x-config-server-separate-endpoints'], 'true');
          assert.deepEqual(res.json().streams, [
            { name: 'a', title: 'a', inputs: [{ url: 'udp://239.0.0.1/a' }], static: true },
            { name: 'b', title: 'b', inputs: [{ url: 'udp://239.0.0.1/b' }], static: true },
          ]);
          assert.ok(Number.isInteger(res.json().updated_at));
          const mixed = await ok(t.call('GET', `${url}?name=c,off,elsewhere,unplaced,missing`));
          assert.deepEqual(names(mixed), ['c'], 'disabled, foreign, unplaced and unknown names are left out');
          assert.deepEqual(names(await ok(t.call('GET', `${url}?name=elsewhere`))), []);
        }
      });

    test('long poll: answers 200 as soon as a layout moves a stream onto the streamer', async () => {
      await streamer('s1');
      await stream('a');
      await stream('b');
      await place({ a: 's1' });
      const etag = await etagOf('s1');
      const started = Date.now();
      let answeredAt = 0;
      const waiting = pull('s1', '?poll_timeout=2', { 'if-none-match': etag }).then((r) => {
        answeredAt = Date.now();
        return r;
      });
      await sleep(300);
      assert.equal(answeredAt, 0, 'the poll waits while nothing changed');
      const changedAt = Date.now();
      await place({ b: 's1' });
      const res = await waiting;
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(names(res), ['a', 'b']);
      assert.notEqual(res.headers.etag, etag);
      const latency = answeredAt - changedAt;
      assert.ok(latency < patient(1500), `answered ${latency} ms after the change`);
      assert.ok(answeredAt - started >= 250, 'it did wait for the change');
    });

    test('long poll: 304 after about poll_timeout seconds when nothing (of this streamer) changed', async () => {
      await streamer('s1');
      await streamer('s2');
      await stream('a');
      await stream('b');
      await place({ a: 's1' });
      const etag = await etagOf('s1');
      const started = Date.now();
      const waiting = pull('s1', '?poll_timeout=2', { 'if-none-match': etag });
      await sleep(200);
      await place({ b: 's2' }); // another streamer's change wakes nobody here
      await stream('b', { title: 'changed' });
      const res = await waiting;
      const took = Date.now() - started;
      assert.equal(res.statusCode, 304, res.body);
      assert.equal(res.headers.etag, etag);
      assert.ok(took >= 1900 && took < 3500, `304 after ${took} ms, expected ~2000`);
      // Without poll_timeout the conditional pull answers at once.
      const quick = Date.now();
      assert.equal((await pull('s1', '', { 'if-none-match': etag })).statusCode, 304);
      assert.ok(Date.now() - quick < 500);
    });

    test('srt_play round-trips through the API (the field srt_port_resolve mode=play reads)', async () => {
      const res = await stream('srt-a', { srt_play: { port: 9001 } });
      assert.deepEqual(res.json().srt_play, { port: 9001 }, `PUT answered ${res.body}`);
      const got = (await t.call('GET', `${P}/streams/srt-a`)).json();
      assert.deepEqual(got.srt_play, { port: 9001 }, 'a Flussonic stream field must not be dropped');
    });

    test('srt_port_resolve: the name of the placed stream playing on that port, as text/plain', async () => {
      await streamer('s1');
      await streamer('s2');
      for (const [name, port] of [
        ['srt-a', 9001],
        ['srt-elsewhere', 9002],
        ['srt-unplaced', 9003],
        ['srt-off', 9004],
      ] as const)
        await stream(name, { srt_play: { port } });
      await stream('srt-off', { disabled: true });
      await place({ 'srt-a': 's1', 'srt-elsewhere': 's2', 'srt-off': 's1' });
      for (const prefix of [P, LEGACY]) {
        const url = `${prefix}/streamers/s1/srt_port_resolve`;
        const res = await t.call('GET', `${url}/9001?mode=play&host=s1`);
        assert.equal(res.statusCode, 200, res.body);
        assert.match(String(res.headers['content-type']), /^text\/plain/);
        assert.equal(res.body, 'srt-a');
        for (const port of [9002, 9003, 9004, 9999]) {
          const miss = await t.call('GET', `${url}/${port}?mode=play`);
          assert.equal(miss.statusCode, 404, `port ${port}: ${miss.body}`);
        }
        const bad = await t.call('GET', `${url}/9001?mode=bad`);
        assert.equal(bad.statusCode, 400, bad.body);
        assert.equal(bad.json().errors[0].source?.parameter, 'mode');
        for (const port of ['abc', '0', '70000']) {
          const badPort = await t.call('GET', `${url}/${port}?mode=play`);
          assert.equal(badPort.statusCode, 400, `port ${port}: ${badPort.body}`);
        }
      }
      assert.equal(
        (await t.call('GET', `${P}/streamers/s2/srt_port_resolve/9002?mode=play`)).body,
        'srt-elsewhere',
      );
    });

    test('srt_port_resolve mode=publish looks at srt_publish, mode=play does not', async () => {
      await streamer('s1');
      await stream('pub', { srt_publish: { port: 9100 } });
      await place({ pub: 's1' });
      const res = await t.call('GET', `${P}/streamers/s1/srt_port_resolve/9100?mode=publish`);
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      assert.equal(res.body, 'pub');
      assert.equal(
        (await t.call('GET', `${P}/streamers/s1/srt_port_resolve/9100?mode=play`)).statusCode,
        404,
      );
    });

    test("a pull with the streamer's own key is a sign of life: it records last_pull_at", async () => {
      await streamer('s1');
      const key = (await ok(t.call('GET', `${P}/streamers/s1/pull_key`))).json().pull_key as string;
      await ok(pull('s1', '', { authorization: `Bearer ${key}` }));
      // Pulls are written in batches; closing flushes, so poll the table for a moment instead.
      let seen = false;
      for (const deadline = Date.now() + patient(3000); !seen && Date.now() < deadline;) {
        const r = await t.db.query<{ last_pull_at: string | null }>(
          `SELECT last_pull_at FROM streamer_status WHERE hostname = 's1'`,
        );
        seen = r.rows[0]?.last_pull_at != null;
        if (!seen) await sleep(100);
      }
      assert.ok(seen, 'streamer_status.last_pull_at is set');
      const got = (await t.call('GET', `${P}/streamers/s1`)).json();
      assert.equal(got.status.last_seen_at, t.clock.now());
    });
  });
}
