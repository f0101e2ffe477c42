// Fleet API: layouts (history, manual placement, stream.layout, preview_layout_change), cluster stats,
// playback URLs and the observed part of a streamer (stats, status). The layouter loop does not run in
// the test app, so every layout here is written by the API or directly in SQL.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { testBackends } from '../../test-kit/backends.ts';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';
import { FLEET_DEFAULTS } from '../src/config-fleet.ts';
import { namePath, payloadBase, playbackUrls } from '../src/streams/playback.ts';

const P = '/central/api/v3';
const LEGACY = '/streamer/api/v3';

/** Shared helpers over one test app. */
function kit(get: () => TestApp) {
  const ok = async (res: Promise<LightMyRequestResponse>, status = 200) => {
    const r = await res;
    assert.equal(r.statusCode, status, r.body);
    return r;
  };
  const t = () => get();
  return {
    ok,
    streamer: (hostname: string, body: Record<string, unknown> = {}) =>
      ok(t().call('PUT', `${P}/streamers/${hostname}`, body)),
    stream: (name: string, body: Record<string, unknown> = {}) =>
      ok(t().call('PUT', `${P}/streams/${name}`, { inputs: [{ url: 'udp://239.0.0.1:1234' }], ...body })),
    layouts: (items: Record<string, unknown>[]) =>
      t().call('POST', `${P}/streams/layouts`, { layouts: items }),
    place: (map: Record<string, string | null>) =>
      ok(
        t().call('POST', `${P}/streams/layouts`, {
          layouts: Object.entries(map).map(([name, ingest]) => ({ name, ingest })),
        }),
        204,
      ),
    online: (hostname: string, stats: Record<string, unknown> | null = null, state = 'online') =>
      t().db.query(
        `INSERT INTO streamer_status (hostname, state, online_since, last_poll_ok, stats, updated_at)
         VALUES ($1, $2, 0, $3, $4, $3)
         ON CONFLICT (hostname) DO UPDATE SET state = EXCLUDED.state, stats = EXCLUDED.stats`,
        [hostname, state, t().clock.now(), stats === null ? null : JSON.stringify(stats)],
      ),
    streamStatus: (name: string, status: string) =>
      t().db.query(
        `INSERT INTO stream_status (name, stats, running_since, updated_at) VALUES ($1, $2, 0, 0)`,
        [name, JSON.stringify({ status })],
      ),
    layoutRows: async () =>
      (
        await t().db.query<{ name: string; ingest: string | null }>(
          'SELECT name, ingest FROM stream_layouts ORDER BY name',
        )
      ).rows.map((r) => ({ ...r })),
    historyCount: async () =>
      Number(
        (await t().db.query<{ n: number }>('SELECT count(*)::int AS n FROM stream_layout_history')).rows[0]!
          .n,
      ),
  };
}

for (const backend of await testBackends()) {
  describe(`layouts on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(backend)));
    after(() => t.close());
    beforeEach(() => t.reset());
    const k = kit(() => t);

    test('GET /streams/{name}/layouts: the history, newest first, with created_at filters', async () => {
      for (const h of ['s1', 's2', 's3']) await k.streamer(h);
      await k.stream('a');
      await k.stream('b');
      const t0 = t.clock.now();
      await k.place({ a: 's1', b: 's1' });
      t.clock.advance(1000);
      await k.ok(
        k.layouts([{ name: 'a', ingest: 's2', failover_from: 's1', change_reason: 'node_become_offline' }]),
        204,
      );
      t.clock.advance(1000);
      await k.place({ a: 's3' });
      t.clock.advance(1000);
      await k.place({ a: null });

      const base = { originator: 'other', change_reason: 'relayout_by_api' };
      const all = [
        { ...base, created_at: t0 + 3000 },
        { ...base, ingest: 's3', created_at: t0 + 2000 },
        {
          ingest: 's2',
          failover_from: 's1',
          originator: 'other',
          change_reason: 'node_become_offline',
          created_at: t0 + 1000,
        },
        { ...base, ingest: 's1', created_at: t0 },
      ];
      for (const prefix of [P, LEGACY]) {
        const res = await k.ok(t.call('GET', `${prefix}/streams/a/layouts`));
        assert.deepEqual(res.json().layouts, all);
        assert.ok(!('next' in res.json()));
      }
      const filtered = async (q: string) =>
        (await k.ok(t.call('GET', `${P}/streams/a/layouts?${q}`))).json().layouts;
      assert.deepEqual(await filtered(`created_at_gt=${t0}`), all.slice(0, 3));
      assert.deepEqual(await filtered(`created_at_lt=${t0 + 2000}`), all.slice(2));
      assert.deepEqual(await filtered(`created_at_gt=${t0}&created_at_lt=${t0 + 3000}`), all.slice(1, 3));
      assert.deepEqual(await filtered(`created_at_gt=${t0 + 3000}`), []);
      assert.deepEqual(await filtered(''), all);
      assert.deepEqual((await k.ok(t.call('GET', `${P}/streams/b/layouts`))).json().layouts, [
        { ...base, ingest: 's1', created_at: t0 },
      ]);
      const bad = await t.call('GET', `${P}/streams/a/layouts?created_at_gt=yesterday`);
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().errors[0].source?.parameter, 'created_at_gt');
    });

    test('GET /streams/{name}/layouts: limit + next walks the whole history once', async () => {
      for (const h of ['s1', 's2']) await k.streamer(h);
      await k.stream('a');
      const t0 = t.clock.now();
      for (let i = 0; i < 7; i++) {
        await k.place({ a: i % 2 ? 's2' : 's1' });
        t.clock.advance(10);
      }
      for (const q of ['', `&created_at_gt=${t0 + 15}`]) {
        const got: number[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const url = `${P}/streams/a/layouts?limit=3${q}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
          const body = (await k.ok(t.call('GET', url))).json();
          assert.ok(body.layouts.length <= 3);
          got.push(...body.layouts.map((l: { created_at: number }) => l.created_at));
          cursor = body.next;
          if (cursor !== undefined) assert.ok(typeof cursor === 'string' && cursor !== '');
          assert.ok(++pages < 10);
        } while (cursor);
        const expected = [6, 5, 4, 3, 2, 1, 0].map((i) => t0 + i * 10).filter((c) => !q || c > t0 + 15);
        assert.deepEqual(got, expected, `walk with "${q}"`);
      }
    });

    test('GET /streams/{name}/layouts: 404 for an unknown stream; a stream named "x/layouts" still reads', async () => {
      const missing = await t.call('GET', `${P}/streams/nope/layouts`);
      assert.equal(missing.statusCode, 404, missing.body);
      assert.equal(missing.json().errors[0].code, 'not_found');
      await k.stream('x/layouts', { title: 'tricky' });
      const res = await k.ok(t.call('GET', `${P}/streams/x/layouts`));
      assert.equal(res.json().name, 'x/layouts');
      assert.equal(res.json().title, 'tricky');
      // Once "x" exists the path is its history.
      await k.stream('x');
      const history = await k.ok(t.call('GET', `${P}/streams/x/layouts`));
      assert.deepEqual(history.json().layouts, []);
      // A stream with a slash in its name has a history too.
      await k.streamer('s1');
      await k.stream('live/cam');
      await k.place({ 'live/cam': 's1' });
      const slash = await k.ok(t.call('GET', `${P}/streams/live/cam/layouts`));
      assert.equal(slash.json().layouts[0].ingest, 's1');
    });

    test('POST /streams/layouts: 204, originator other, reason relayout_by_api, visible on the stream', async () => {
      await k.streamer('s1');
      await k.stream('a');
      await k.stream('b');
      const res = await k.layouts([{ name: 'a', ingest: 's1' }]);
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(res.body, '');
      const layout = {
        ingest: 's1',
        originator: 'other',
        change_reason: 'relayout_by_api',
        created_at: t.clock.now(),
      };
      for (const prefix of [P, LEGACY]) {
        const got = (await k.ok(t.call('GET', `${prefix}/streams/a`))).json();
        assert.deepEqual(got.layout, layout);
        const list = (await k.ok(t.call('GET', `${prefix}/streams`))).json().streams;
        assert.deepEqual(
          list.map((s: { name: string; layout?: unknown }) => [s.name, s.layout]),
          [
            ['a', layout],
            ['b', undefined],
          ],
        );
      }
      assert.equal(
        (await k.ok(t.call('GET', `${P}/streams/b`))).json().layout,
        undefined,
        'unplaced: no layout',
      );
      // A given reason and failover_from are kept.
      t.clock.advance(500);
      await k.streamer('s2');
      await k.ok(
        k.layouts([{ name: 'a', ingest: 's2', failover_from: 's1', change_reason: 'node_become_offline' }]),
        204,
      );
      assert.deepEqual((await t.call('GET', `${P}/streams/a`)).json().layout, {
        ingest: 's2',
        failover_from: 's1',
        originator: 'other',
        change_reason: 'node_become_offline',
        created_at: t.clock.now(),
      });
      // The stream's own updated_at is not a layout change.
      assert.notEqual((await t.call('GET', `${P}/streams/a`)).json().updated_at, t.clock.now());
    });

    test('POST /streams/layouts is all or nothing: an unknown stream or streamer names the item', async () => {
      await k.streamer('s1');
      await k.stream('a');
      await k.stream('b');
      await k.place({ b: 's1' });
      const before = await k.layoutRows();
      const history = await k.historyCount();
      const cases: [Record<string, unknown>[], string][] = [
        [
          [
            { name: 'a', ingest: 's1' },
            { name: 'ghost', ingest: 's1' },
          ],
          '/layouts/1/name',
        ],
        [
          [
            { name: 'a', ingest: 's1' },
            { name: 'b', ingest: 'nobody.example.com' },
          ],
          '/layouts/1/ingest',
        ],
        [[{ name: 'a', ingest: 's1' }, { ingest: 's1' }], '/layouts/1/name'],
        [[{ name: 'a', ingest: 's1', change_reason: 'because' }], '/layouts/0/change_reason'],
        [[{ name: 'a', ingest: 5 }], '/layouts/0/ingest'],
      ];
      for (const [items, pointer] of cases) {
        const res = await k.layouts(items);
        assert.equal(res.statusCode, 400, `${JSON.stringify(items)}: ${res.body}`);
        assert.equal(res.json().errors[0].source?.pointer, pointer, res.body);
        assert.deepEqual(await k.layoutRows(), before, 'nothing is written');
        assert.equal(await k.historyCount(), history, 'no history is written');
      }
      for (const body of [[], { layouts: 'x' }, 'null']) {
        const res = await t.call('POST', `${P}/streams/layouts`, body);
        assert.equal(res.statusCode, 400, res.body);
      }
      assert.deepEqual(await k.layoutRows(), before);
    });

    test('POST /streams/layouts with one stream named twice: a 400 naming it, or the last item wins', async () => {
      for (const h of ['s1', 's2', 's3']) await k.streamer(h);
      await k.stream('a');
      await k.stream('b');
      await k.place({ b: 's1' });
      // Once for an unplaced stream, once for a placed one: the two take different paths in the product.
      for (const name of ['a', 'b']) {
        const before = await k.layoutRows();
        const res = await k.layouts([
          { name, ingest: 's2' },
          { name, ingest: 's3' },
        ]);
        if (res.statusCode === 400) {
          assert.equal(res.json().errors[0].source?.pointer, '/layouts/1/name', res.body);
          assert.deepEqual(await k.layoutRows(), before, 'nothing is written');
        } else {
          assert.equal(res.statusCode, 204, res.body);
          const got = (await t.call('GET', `${P}/streams/${name}`)).json();
          assert.equal(got.layout?.ingest, 's3', `${name}: a 204 must mean the last item is applied`);
        }
      }
    });

    test('POST /streams/layouts with an empty ingest: a 400 naming it, or the stream is unplaced', async () => {
      await k.streamer('s1');
      await k.stream('a');
      await k.place({ a: 's1' });
      const res = await k.layouts([{ name: 'a', ingest: '' }]);
      if (res.statusCode === 400) {
        assert.equal(res.json().errors[0].source?.pointer, '/layouts/0/ingest', res.body);
        assert.deepEqual(await k.layoutRows(), [{ name: 'a', ingest: 's1' }]);
      } else {
        assert.equal(res.statusCode, 204, res.body);
        const { layout } = (await t.call('GET', `${P}/streams/a`)).json();
        assert.equal(layout?.ingest, undefined, `"" is no hostname: ${JSON.stringify(layout)}`);
      }
    });

    test('POST /streams/layouts respects channel_limit, all or nothing', async () => {
      await k.streamer('s1', { channel_limit: 2 });
      await k.streamer('s2');
      for (const n of ['a', 'b', 'c', 'd']) await k.stream(n);
      const res = await k.layouts([
        { name: 'a', ingest: 's1' },
        { name: 'b', ingest: 's1' },
        { name: 'c', ingest: 's1' },
        { name: 'd', ingest: 's2' },
      ]);
      assert.equal(res.statusCode, 400, res.body);
      assert.match(res.json().errors[0].title, /channel_limit/);
      assert.deepEqual(await k.layoutRows(), [], 'nothing is written');
      assert.equal(await k.historyCount(), 0);
      await k.place({ a: 's1', b: 's1' });
      const third = await k.layouts([{ name: 'c', ingest: 's1' }]);
      assert.equal(third.statusCode, 400, third.body);
      assert.deepEqual(await k.layoutRows(), [
        { name: 'a', ingest: 's1' },
        { name: 'b', ingest: 's1' },
      ]);
      // Moving one out and another in, in one request, fits.
      await k.place({ a: 's2', c: 's1' });
      assert.deepEqual(await k.layoutRows(), [
        { name: 'a', ingest: 's2' },
        { name: 'b', ingest: 's1' },
        { name: 'c', ingest: 's1' },
      ]);
    });

    test('?layout.ingest= filters the stream list by placement', async () => {
      await k.streamer('s1');
      await k.streamer('s2');
      for (const n of ['a', 'b', 'c', 'd']) await k.stream(n);
      await k.place({ a: 's1', b: 's2', c: 's1' });
      const names = async (q: string) =>
        (await k.ok(t.call('GET', `${P}/streams?${q}`))).json().streams.map((s: { name: string }) => s.name);
      assert.deepEqual(await names('layout.ingest=s1'), ['a', 'c']);
      assert.deepEqual(await names('layout.ingest=s2'), ['b']);
      assert.deepEqual(await names('layout.ingest=nobody'), []);
      const counted = await k.ok(t.call('GET', `${P}/streams?layout.ingest=s1`));
      assert.equal(counted.json().estimated_count, 2);
    });

    test('the layout of a deleted stream goes with it (history too)', async () => {
      await k.streamer('s1');
      await k.stream('a');
      await k.place({ a: 's1' });
      assert.equal((await t.call('DELETE', `${P}/streams/a`)).statusCode, 204);
      assert.deepEqual(await k.layoutRows(), []);
      assert.equal(await k.historyCount(), 0);
      await k.stream('a');
      assert.deepEqual((await k.ok(t.call('GET', `${P}/streams/a/layouts`))).json().layouts, []);
      assert.equal((await t.call('GET', `${P}/streams/a`)).json().layout, undefined);
    });
  });

  describe(`preview_layout_change on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(backend)));
    after(() => t.close());
    beforeEach(() => t.reset());
    const k = kit(() => t);

    test('a stream preview with {disabled: true} predicts stream_disabled and writes nothing', async () => {
      await k.streamer('s1');
      await k.online('s1');
      await k.stream('a');
      await k.stream('live/b');
      await k.place({ a: 's1', 'live/b': 's1' });
      const before = await k.layoutRows();
      for (const [name, prefix] of [
        ['a', P],
        ['live/b', LEGACY],
      ] as const) {
        const res = await k.ok(
          t.call('POST', `${prefix}/streams/${name}/preview_layout_change`, { disabled: true }),
        );
        const { changes } = res.json();
        assert.equal(changes.length, 1, res.body);
        assert.equal(changes[0].name, name);
        assert.equal(changes[0].change_reason, 'stream_disabled');
        assert.ok(!changes[0].ingest, 'a disabled stream is ingested nowhere');
      }
      assert.deepEqual(await k.layoutRows(), before, 'no layout is written');
      const a = (await t.call('GET', `${P}/streams/a`)).json();
      assert.equal(a.disabled, undefined, 'the stream is not changed');
      assert.equal(a.layout.ingest, 's1');
    });

    test('a stream preview that changes nothing predicts no change', async () => {
      await k.streamer('s1');
      await k.online('s1');
      await k.stream('a');
      await k.place({ a: 's1' });
      const res = await k.ok(t.call('POST', `${P}/streams/a/preview_layout_change`, { title: 'new' }));
      assert.deepEqual(res.json().changes, []);
    });

    test('POST /streams/preview_layout_change places new streams on the online streamer, writes nothing', async () => {
      await k.streamer('s1');
      await k.streamer('s2'); // offline: no status row
      await k.online('s1');
      const res = await k.ok(
        t.call('POST', `${P}/streams/preview_layout_change`, [
          { name: 'n1', inputs: [{ url: 'udp://1' }] },
          { name: 'n2', inputs: [{ url: 'udp://2' }] },
        ]),
      );
      const changes = res.json().changes as Record<string, unknown>[];
      assert.deepEqual(
        changes.map((c) => [c.name, c.ingest]),
        [
          ['n1', 's1'],
          ['n2', 's1'],
        ],
      );
      for (const c of changes) {
        assert.equal(c.originator, 'layouter');
        assert.equal(c.change_reason, 'not_distributed');
        assert.equal(c.created_at, t.clock.now());
      }
      assert.equal((await t.call('GET', `${P}/streams/n1`)).statusCode, 404, 'the stream is not created');
      assert.deepEqual(await k.layoutRows(), []);
      // Without a name the item is a 400 naming it; a non-array body is a 400.
      const noName = await t.call('POST', `${P}/streams/preview_layout_change`, [{ name: 'x' }, {}]);
      assert.equal(noName.statusCode, 400, noName.body);
      assert.equal(noName.json().errors[0].source?.pointer, '/1/name');
      assert.equal(
        (await t.call('POST', `${P}/streams/preview_layout_change`, { name: 'x' })).statusCode,
        400,
      );
    });

    test('POST /streamers/{hostname}/preview_layout_change with a lower channel_limit: counts per streamer', async () => {
      await k.streamer('s1');
      await k.streamer('s2');
      await k.online('s1');
      await k.online('s2');
      for (const n of ['a', 'b', 'c']) await k.stream(n);
      await k.place({ a: 's1', b: 's1', c: 's1' });
      const before = await k.layoutRows();
      for (const prefix of [P, LEGACY]) {
        const res = await k.ok(
          t.call('POST', `${prefix}/streamers/s1/preview_layout_change`, { channel_limit: 1 }),
        );
        const changes: Record<string, unknown>[] = res.json().changes;
        for (const c of changes)
          for (const f of ['before', 'after', 'delta'])
            assert.ok(Number.isInteger(c[f]), `${f} is an integer`);
        assert.deepEqual(changes, [
          { hostname: 's1', role: 'ingest', before: 3, after: 1, delta: -2 },
          { hostname: 's2', role: 'ingest', before: 0, after: 2, delta: 2 },
        ]);
      }
      assert.deepEqual(await k.layoutRows(), before, 'no layout is written');
      assert.equal(
        (await t.call('GET', `${P}/streamers/s1`)).json().channel_limit,
        6000,
        'the streamer is unchanged',
      );
    });

    test('POST /streamers/preview_layout_change with a new streamer: it is assumed online and takes streams', async () => {
      await k.streamer('s1'); // offline
      for (const n of ['a', 'b']) await k.stream(n);
      const res = await k.ok(t.call('POST', `${P}/streamers/preview_layout_change`, [{ hostname: 'new1' }]));
      assert.deepEqual(res.json().changes, [
        { hostname: 'new1', role: 'ingest', before: 0, after: 2, delta: 2 },
      ]);
      assert.equal((await t.call('GET', `${P}/streamers/new1`)).statusCode, 404, 'nothing is created');
      const bad = await t.call('POST', `${P}/streamers/preview_layout_change`, [{}]);
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().errors[0].source?.pointer, '/0/hostname');
    });

    test('previews are refused while the layouter is disabled', async () => {
      const off = await startTestApp(backend, {
        fleet: { ...FLEET_DEFAULTS, layouterEnabled: false },
      });
      try {
        for (const [url, body] of [
          [`${P}/streams/a/preview_layout_change`, {}],
          [`${P}/streams/preview_layout_change`, [{ name: 'a' }]],
          [`${P}/streamers/s1/preview_layout_change`, {}],
          [`${P}/streamers/preview_layout_change`, [{ hostname: 's1' }]],
        ] as const) {
          const res = await off.call('POST', url, body);
          assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
          assert.equal(res.json().errors[0].code, 'layouter_disabled');
        }
      } finally {
        await off.close();
      }
    });
  });

  describe(`cluster stats, playback and streamer observations on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(backend)));
    after(() => t.close());
    beforeEach(() => t.reset());
    const k = kit(() => t);

    test('GET /cluster/stats: counts and per-streamer metrics', async () => {
      await k.streamer('s1');
      await k.streamer('s2'); // never seen: offline
      await k.online('s1', {
        cpu_usage: 50,
        memory_usage: 20,
        bandwidth_usage: 10,
        input_kbit: 1000,
        output_kbit: 2000,
        uptime: 3600,
      });
      for (const n of ['run', 'fail', 'wait', 'unplaced']) await k.stream(n);
      await k.stream('off', { disabled: true });
      await k.place({ run: 's1', fail: 's1', wait: 's1' });
      await k.streamStatus('run', 'running');
      await k.streamStatus('fail', 'error');

      for (const prefix of [P, LEGACY]) {
        const body = (await k.ok(t.call('GET', `${prefix}/cluster/stats`))).json();
        assert.equal(body.collected_at, t.clock.now());
        assert.ok(Number.isInteger(body.collected_at));
        assert.ok(Number.isInteger(body.version) && body.version > 0, `version ${body.version}`);
        assert.equal(body.server_id, '00000000-0000-4000-8000-000000000001');
        assert.deepEqual(body.stream_metrics_total, {
          total: 5,
          operational: 1,
          degradated: 0,
          partial_outage: 2,
          outage: 1,
          disabled: 1,
        });
        assert.deepEqual(body.streamer_metrics_total, {
          total: 2,
          operational: 1,
          degradated: 0,
          partial_outage: 0,
          outage: 1,
          disabled: 0,
        });
        assert.deepEqual(body.streamer_bitrate_metrics_total, { input_kbit: 1000, output_kbit: 2000 });
        const [s1, s2] = body.streamer_metrics;
        assert.equal(body.streamer_metrics.length, 2);
        assert.equal(s1.hostname, 's1');
        assert.equal(s1.status, 'operational');
        assert.equal(s1.uptime, 3600);
        assert.deepEqual(s1.cpu, { status: 'operational', usage: 50 });
        assert.deepEqual(s1.memory, { status: 'operational', usage: 20 });
        assert.deepEqual(s1.config, { status: 'operational' });
        assert.equal(s1.network.in_kbit.usage, 1000);
        assert.deepEqual(s1.stream_metrics, {
          total: 3,
          operational: 1,
          degradated: 0,
          partial_outage: 1,
          outage: 1,
          disabled: 0,
          status: 'degradated',
        });
        assert.equal(s2.hostname, 's2');
        assert.equal(s2.status, 'outage');
        assert.equal(s2.cpu.status, 'outage');
        assert.equal(s2.stream_metrics.total, 0);
        for (const m of body.streamer_metrics)
          for (const v of [m.cpu.usage, m.memory.usage, m.uptime])
            assert.ok(v === undefined || Number.isInteger(v), `${m.hostname}: integers only`);
      }
    });

    test('GET /cluster/stats: a disabled stream still placed on a streamer is not counted as waiting there', async () => {
      await k.streamer('s1');
      await k.online('s1', { cpu_usage: 1 });
      await k.stream('off');
      await k.place({ off: 's1' }); // the layouter has not taken it off yet
      await k.stream('off', { disabled: true });
      const body = (await k.ok(t.call('GET', `${P}/cluster/stats`))).json();
      assert.equal(body.stream_metrics_total.disabled, 1);
      assert.equal(body.stream_metrics_total.partial_outage, 0);
      const [s1] = body.streamer_metrics;
      assert.equal(
        s1.stream_metrics.partial_outage,
        0,
        `disabled is not waiting: ${JSON.stringify(s1.stream_metrics)}`,
      );
      assert.equal(s1.stream_metrics.operational + s1.stream_metrics.outage, 0);
    });

    test('GET /cluster/stats: high usage and a suspect streamer are reported as such', async () => {
      await k.streamer('hot');
      await k.streamer('sus');
      await k.online('hot', { cpu_usage: 95, memory_usage: 80 });
      await k.online('sus', null, 'suspect');
      const body = (await k.ok(t.call('GET', `${P}/cluster/stats`))).json();
      const [hot, sus] = body.streamer_metrics;
      assert.deepEqual(hot.cpu, { status: 'outage', usage: 95 });
      assert.deepEqual(hot.memory, { status: 'degradated', usage: 80 });
      assert.equal(sus.status, 'partial_outage');
      assert.equal(body.streamer_metrics_total.partial_outage, 1);
      assert.deepEqual(body.stream_metrics_total.total, 0);
    });

    test('GET /streams/{name}/playback: URLs on the ingest streamer, payload URL fallbacks', async () => {
      await k.streamer('pub', {
        public_payload_url: 'https://cdn.example.com/',
        private_payload_url: 'http://10.0.0.1',
        api_url: 'http://10.0.0.1:81',
      });
      await k.streamer('priv', {
        private_payload_url: 'http://10.0.0.2:8080/',
        api_url: 'http://10.0.0.2:81',
      });
      await k.streamer('api', { api_url: 'http://10.0.0.3:81/streamer/api/v3' });
      await k.streamer('bare.example.com');
      await k.stream('live/bunny');
      await k.stream('priv-stream');
      await k.stream('api-stream');
      await k.stream('bare-stream');
      await k.stream('no-hls', { protocols: { hls: false } });
      await k.place({
        'live/bunny': 'pub',
        'priv-stream': 'priv',
        'api-stream': 'api',
        'bare-stream': 'bare.example.com',
        'no-hls': 'pub',
      });

      for (const prefix of [P, LEGACY]) {
        const res = await k.ok(t.call('GET', `${prefix}/streams/live/bunny/playback`));
        const body = res.json();
        assert.equal(body.name, 'live/bunny');
        assert.equal(body.ingest, 'pub');
        assert.equal(body.urls.hls, 'https://cdn.example.com/live/bunny/index.m3u8', 'the slash is kept');
        assert.equal(body.urls.dash, 'https://cdn.example.com/live/bunny/index.mpd');
        assert.equal(body.urls.rtmp, 'rtmp://cdn.example.com/static/live/bunny');
        for (const url of Object.values(body.urls) as string[]) {
          assert.ok(url.includes('live/bunny'), url);
          assert.ok(!url.includes('%2F'), url);
        }
      }
      const hls = async (name: string) =>
        (await k.ok(t.call('GET', `${P}/streams/${name}/playback`))).json().urls.hls;
      assert.equal(await hls('priv-stream'), 'http://10.0.0.2:8080/priv-stream/index.m3u8');
      assert.equal(await hls('api-stream'), 'http://10.0.0.3:81/api-stream/index.m3u8');
      assert.equal(await hls('bare-stream'), 'http://bare.example.com/bare-stream/index.m3u8');

      const noHls = (await k.ok(t.call('GET', `${P}/streams/no-hls/playback`))).json();
      assert.ok(!('hls' in noHls.urls), JSON.stringify(noHls.urls));
      assert.equal(noHls.urls.dash, 'https://cdn.example.com/no-hls/index.mpd');
    });

    test('GET /streams/{name}/playback: unplaced or disabled is ingest null and no URLs; unknown is 404', async () => {
      await k.streamer('s1');
      await k.stream('unplaced');
      await k.stream('off');
      await k.place({ off: 's1' });
      await k.stream('off', { disabled: true });
      for (const name of ['unplaced', 'off'])
        assert.deepEqual((await k.ok(t.call('GET', `${P}/streams/${name}/playback`))).json(), {
          name,
          ingest: null,
          urls: {},
        });
      const missing = await t.call('GET', `${P}/streams/nope/playback`);
      assert.equal(missing.statusCode, 404, missing.body);
      // A stream whose name ends in /playback is still readable when the shorter name does not exist.
      await k.stream('x/playback', { title: 'tricky' });
      assert.equal((await k.ok(t.call('GET', `${P}/streams/x/playback`))).json().name, 'x/playback');
    });

    test('streamer wire: stats null and state offline without status; stats shown once online', async () => {
      await k.streamer('s1', {
        cluster_key: 'secret-cluster-key-1',
        config: { cluster_key: 'secret-cluster-key-1' },
      });
      await k.stream('a');
      await k.place({ a: 's1' });
      const offline = (await k.ok(t.call('GET', `${P}/streamers/s1`))).json();
      assert.equal(offline.stats, null);
      assert.equal(offline.status.state, 'offline');
      assert.equal(offline.status.streams, 1);
      assert.equal(offline.cluster_key, 'secret-cluster-key-1', 'the streamer itself shows its key');

      await k.online('s1', { cpu_usage: 12, input_kbit: 300 });
      for (const prefix of [P, LEGACY]) {
        const one = (await k.ok(t.call('GET', `${prefix}/streamers/s1`))).json();
        assert.deepEqual(one.stats, { cpu_usage: 12, input_kbit: 300 });
        assert.equal(one.status.state, 'online');
        assert.equal(one.status.online_since, 0);
        assert.equal(one.status.last_seen_at, t.clock.now());
        const list = await k.ok(t.call('GET', `${prefix}/streamers`));
        const [item] = list.json().streamers;
        assert.deepEqual(item.stats, { cpu_usage: 12, input_kbit: 300 });
        assert.equal(item.status.state, 'online');
        assert.ok(!('cluster_key' in item), 'no cluster_key in list output');
        assert.ok(!('cluster_key' in (item.config ?? {})), 'no nested cluster_key in list output');
        assert.ok(!list.body.includes('secret-cluster-key-1'), 'the key appears nowhere in the list');
      }
      // An offline row hides stale stats again.
      await k.online('s1', { cpu_usage: 99 }, 'offline');
      const again = (await k.ok(t.call('GET', `${P}/streamers/s1`))).json();
      assert.equal(again.stats, null);
      assert.equal(again.status.state, 'offline');
    });
  });
}

describe('playback URLs (server/src/streams/playback.ts)', () => {
  const host = { hostname: 'edge1.example.com', public_payload_url: 'https://cdn.example.com/' };

  test('every protocol is on by default; the name keeps its slash', () => {
    assert.deepEqual(playbackUrls('live/bunny', {}, host), {
      hls: 'https://cdn.example.com/live/bunny/index.m3u8',
      ll_hls: 'https://cdn.example.com/live/bunny/index.ll.m3u8',
      dash: 'https://cdn.example.com/live/bunny/index.mpd',
      mpegts: 'https://cdn.example.com/live/bunny/mpegts',
      rtmp: 'rtmp://cdn.example.com/static/live/bunny',
      rtsp: 'rtsp://cdn.example.com/live/bunny',
      webrtc: 'https://cdn.example.com/live/bunny/whep',
      embed: 'https://cdn.example.com/live/bunny/embed.html',
      preview: 'https://cdn.example.com/live/bunny/preview.jpg',
    });
  });

  test('protocols: false switches a URL off; true and null leave it on', () => {
    const urls = playbackUrls('s', { protocols: { hls: false, dash: true, rtmp: null } }, host);
    assert.ok(!('hls' in urls));
    assert.equal(urls.dash, 'https://cdn.example.com/s/index.mpd');
    assert.equal(urls.rtmp, 'rtmp://cdn.example.com/static/s');
    const none = playbackUrls(
      's',
      {
        protocols: {
          hls: false,
          cmaf: false,
          dash: false,
          tshttp: false,
          rtmp: false,
          rtsp: false,
          webrtc: false,
          player: false,
          jpeg: false,
          srt: false,
        },
        srt_play: { port: 9000 },
      },
      host,
    );
    assert.deepEqual(none, {});
  });

  test('SRT only with a valid srt_play port', () => {
    assert.equal(
      playbackUrls('s', { srt_play: { port: 9001 } }, host).srt,
      'srt://cdn.example.com:9001?streamid=#!::r=s,m=request',
    );
    for (const port of [0, 70000, 1.5, '9001', null])
      assert.equal(playbackUrls('s', { srt_play: { port } }, host).srt, undefined, `port ${port}`);
  });

  test('payloadBase: public, then private payload URL, then api_url, then http://hostname', () => {
    assert.equal(payloadBase(host), 'https://cdn.example.com');
    assert.equal(
      payloadBase({ hostname: 'h', public_payload_url: '', private_payload_url: 'http://10.0.0.2:8080/' }),
      'http://10.0.0.2:8080',
    );
    assert.equal(
      payloadBase({
        hostname: 'h',
        public_payload_url: null,
        private_payload_url: null,
        api_url: 'http://10.0.0.3:81',
      }),
      'http://10.0.0.3:81',
    );
    assert.equal(payloadBase({ hostname: 'h.example.com' }), 'http://h.example.com');
  });

  test('payloadBase drops credentials, query, fragment and the API path; keeps a path prefix', () => {
    assert.equal(
      payloadBase({ hostname: 'h', api_url: 'http://user:pass@10.0.0.3:81/streamer/api/v3/?x=1#frag' }),
      'http://10.0.0.3:81',
    );
    assert.equal(
      payloadBase({ hostname: 'h', api_url: 'https://10.0.0.3/flussonic/api/v3' }),
      'https://10.0.0.3',
    );
    assert.equal(
      payloadBase({ hostname: 'h', public_payload_url: 'https://cdn.example.com/edge1/' }),
      'https://cdn.example.com/edge1',
    );
    assert.equal(
      playbackUrls('a', {}, { hostname: 'h', public_payload_url: 'https://cdn.example.com/edge1/' }).hls,
      'https://cdn.example.com/edge1/a/index.m3u8',
    );
  });

  test('namePath encodes each segment and keeps the slashes', () => {
    assert.equal(namePath('live/bunny'), 'live/bunny');
    assert.equal(namePath('café tv/a b'), 'caf%C3%A9%20tv/a%20b');
    assert.equal(namePath('q?x#y'), 'q%3Fx%23y');
    assert.equal(
      playbackUrls('café tv/a', {}, host).hls,
      'https://cdn.example.com/caf%C3%A9%20tv/a/index.m3u8',
    );
  });
});
