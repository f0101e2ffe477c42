// GET /metrics in process: the exposition parses, request histograms are labelled by route pattern,
// the fleet gauges follow the database (cached 2 s), config pulls are counted by result, and
// METRICS_AUTH guards the endpoint. The fleet loops' metrics are checked end to end in
// metrics.e2e.test.ts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { pgliteBackend, testBackends } from '../../test-kit/backends.ts';
import { startTestApp, TEST_API_KEY, type TestApp } from '../../test-kit/app.ts';
import { Scrape } from '../../test-kit/metrics.ts';
import { Metrics } from '../src/metrics.ts';

const P = '/central/api/v3';
const HTTP = 'central_http_request_duration_seconds';
const PULLS = 'central_config_pulls_total';
const PULL_SECONDS = 'central_config_pull_duration_seconds';

for (const backend of await testBackends()) {
  describe(`metrics on ${backend.name}`, () => {
    let t: TestApp;
    let now = 0;
    before(async () => {
      const metrics = new Metrics({ processMetrics: true, now: () => now });
      t = await startTestApp(backend, { metricsAuth: 'none' }, { metrics });
    });
    after(() => t.close());
    beforeEach(() => t.reset());

    /** A scrape after the gauge cache has expired (unless `fresh` is false). */
    const scrape = async (fresh = true) => {
      if (fresh) now += 2000;
      const res = await t.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      return new Scrape(res.body);
    };
    const put = async (url: string, body: unknown) => {
      const res = await t.call('PUT', `${P}${url}`, body);
      assert.equal(res.statusCode, 200, res.body);
    };

    test('the exposition parses: process metrics with the central_ prefix, every family typed', async () => {
      const s = await scrape();
      for (const name of ['central_process_cpu_seconds_total', 'central_nodejs_heap_size_used_bytes'])
        assert.ok(s.families.has(name), `${name} is exported`);
      assert.equal(s.family(HTTP).type, 'HISTOGRAM');
      assert.equal(s.family(PULLS).type, 'COUNTER');
      assert.equal(s.family('central_layout_moves_total').type, 'COUNTER');
      assert.equal(s.family('central_layout_round_duration_seconds').type, 'HISTOGRAM');
      assert.equal(s.family('central_streams').type, 'GAUGE');
      assert.equal(s.value('central_lease_holder'), 0, 'an app without fleet loops does not lead');
      for (const name of s.families.keys()) assert.match(name, /^central_/);
    });

    test('N requests add N to their route pattern; unknown URLs are "unmatched", never raw', async () => {
      const list = { method: 'GET', route: `${P}/streams`, status_code: '200' };
      const one = { method: 'GET', route: `${P}/streams/*`, status_code: '404' };
      const before = await scrape();
      for (let i = 0; i < 7; i++)
        assert.equal((await t.call('GET', `${P}/streams?limit=${i + 1}`)).statusCode, 200);
      for (const name of ['cam-a', 'cam-b', 'cam-c']) await t.call('GET', `${P}/streams/${name}`);
      await t.call('GET', '/no/such/path-4711');
      await t.call('GET', `${P}/no-such-endpoint-4712`);
      const after = await scrape();
      assert.equal(after.count(HTTP, list) - before.count(HTTP, list), 7);
      assert.equal(after.count(HTTP, one) - before.count(HTTP, one), 3);
      const unmatched = { method: 'GET', route: 'unmatched', status_code: '404' };
      assert.equal(after.count(HTTP, unmatched) - before.count(HTTP, unmatched), 2);
      const routes = after.labels(HTTP).map((l) => l.route ?? '');
      for (const raw of ['cam-a', 'path-4711', 'no-such-endpoint-4712', 'limit='])
        assert.ok(!routes.some((r) => r.includes(raw)), `no route label carries "${raw}"`);
    });

    test('the gauges count streams by status and streamers by state, from the database', async () => {
      for (const name of ['a', 'b', 'c', 'd'])
        await put(`/streams/${name}`, { inputs: [{ url: 'udp://239.0.0.1:1' }] });
      await put('/streams/d', { disabled: true });
      for (const h of ['s1', 's2', 's3']) await put(`/streamers/${h}`, {});
      await t.db.query(
        `INSERT INTO streamer_status (hostname, state, updated_at) VALUES ('s1', 'online', 0), ('s2', 'suspect', 0)`,
      );
      await t.db.query(
        `INSERT INTO stream_status (name, stats, updated_at) VALUES ('a', '{"status":"running"}', 0),
           ('b', '{"status":"error"}', 0)`,
      );
      const s = await scrape();
      const streams = (status: string) => s.value('central_streams', { status });
      assert.deepEqual(
        ['running', 'waiting', 'error', 'disabled'].map(streams),
        [1, 1, 1, 1],
        'c was never reported: waiting',
      );
      const streamers = (state: string) => s.value('central_streamers', { state });
      assert.deepEqual(['online', 'suspect', 'offline'].map(streamers), [1, 1, 1]);
    });

    test('the gauges are read at most every 2 s, however often Prometheus scrapes', async () => {
      await put('/streams/a', { inputs: [{ url: 'udp://239.0.0.1:1' }] });
      assert.equal((await scrape()).value('central_streams', { status: 'waiting' }), 1);
      await put('/streams/b', { inputs: [{ url: 'udp://239.0.0.1:1' }] });
      now += 1999;
      assert.equal((await scrape(false)).value('central_streams', { status: 'waiting' }), 1, 'cached');
      now += 1;
      assert.equal((await scrape(false)).value('central_streams', { status: 'waiting' }), 2, 'refreshed');
    });

    test('config pulls are counted as 200, 304 or error, and timed without the long-poll wait', async () => {
      await put('/streamers/s1', {});
      const pull = (headers: Record<string, string> = {}, query = '') =>
        t.call('GET', `${P}/streamers/s1/streams${query}`, undefined, headers);
      const before = await scrape();
      const first = await pull();
      assert.equal(first.statusCode, 200);
      const etag = String(first.headers.etag);
      assert.equal((await pull({ 'if-none-match': etag })).statusCode, 304);
      const waited = Date.now();
      assert.equal((await pull({ 'if-none-match': etag }, '?poll_timeout=1')).statusCode, 304);
      assert.ok(Date.now() - waited >= 900, 'the long poll waited');
      assert.equal((await pull({ authorization: 'Bearer wrong-key' })).statusCode, 403);
      assert.equal((await t.call('GET', `${P}/streamers/nobody/streams`)).statusCode, 404);
      const after = await scrape();
      const delta = (result: string) => after.value(PULLS, { result }) - before.value(PULLS, { result });
      assert.deepEqual([delta('200'), delta('304'), delta('error')], [1, 2, 2]);
      assert.equal(after.count(PULL_SECONDS) - before.count(PULL_SECONDS), 5);
      const seconds = after.sum(PULL_SECONDS) - before.sum(PULL_SECONDS);
      assert.ok(seconds < 0.5, `the 1 s long-poll wait is not service time (${seconds} s)`);
      // The streamer route keeps its pattern in the request histogram: one series for every streamer.
      const route = `${P}/streamers/:hostname/streams`;
      assert.equal(
        after.count(HTTP, { route, status_code: '304' }) - before.count(HTTP, { route, status_code: '304' }),
        2,
      );
    });
  });
}

// The guard does not touch the database: the embedded one is enough.
describe('METRICS_AUTH', () => {
  {
    const backend = pgliteBackend;
    let t: TestApp;
    before(async () => (t = await startTestApp(backend, { metricsAuth: 'api_key' })));
    after(() => t.close());
    const get = (authorization?: string) =>
      t.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
    const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

    test('api_key: 401 without the key, with a wrong one or with Basic; 200 with Bearer API_KEY', async () => {
      for (const auth of [
        undefined,
        'Bearer wrong',
        `Bearer ${TEST_API_KEY}x`,
        basic(TEST_API_KEY, ''),
        basic('admin', 'admin'),
      ]) {
        const res = await get(auth);
        assert.equal(res.statusCode, 401, `${auth ?? 'no header'}: ${res.body}`);
        assert.equal(res.json().errors[0].code, 'unauthorized');
        assert.ok(!res.body.includes('central_'), 'no metric leaks with the refusal');
      }
      const ok = await get(`Bearer ${TEST_API_KEY}`);
      assert.equal(ok.statusCode, 200);
      assert.ok(new Scrape(ok.body).families.has(HTTP));
    });

    test('none: anyone may scrape', async () => {
      const open = await startTestApp(backend, { metricsAuth: 'none' });
      try {
        const res = await open.app.inject({ method: 'GET', url: '/metrics' });
        assert.equal(res.statusCode, 200);
        assert.ok(new Scrape(res.body).families.has(PULLS));
      } finally {
        await open.close();
      }
    });
  }
});
