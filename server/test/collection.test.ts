import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testBackends } from '../../test-kit/backends.ts';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';

const P = '/central/api/v3';

const STREAMS = [
  {
    name: 'cam/1',
    title: 'Front door',
    inputs: [{ url: 'rtsp://10.0.0.1/live' }],
    position: 3,
    labels: { zone: 'a' },
  },
  {
    name: 'cam/2',
    title: 'Back yard',
    inputs: [{ url: 'rtsp://10.0.0.2/live' }],
    position: 1,
    disabled: true,
  },
  {
    name: 'news',
    title: 'News HD',
    inputs: [{ url: 'udp://239.0.0.1:1234' }, { url: 'udp://239.0.0.2:1234' }],
    namespace: 'tv',
  },
  {
    name: 'sport',
    inputs: [{ url: 'udp://239.0.0.3:1234' }],
    position: 2,
    static: true,
    streamer_hostname: 'edge-1',
  },
  { name: 'zzz', comment: 'spare channel', segment_count: 5 },
];

for (const backend of await testBackends()) {
  describe(`collection queries on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(backend);
      for (const s of STREAMS) {
        t.clock.advance(1000);
        assert.equal((await t.call('PUT', `${P}/streams/${s.name}`, s)).statusCode, 200);
      }
    });
    after(() => t.close());

    const list = async (q: string) => {
      const res = await t.call('GET', `${P}/streams?${q}`);
      assert.equal(res.statusCode, 200, `${q}: ${res.body}`);
      return res.json() as {
        streams: Record<string, unknown>[];
        estimated_count: number;
        next?: string;
        prev?: string;
      };
    };
    const names = async (q: string) => (await list(q)).streams.map((s) => s.name);

    test('default: sorted by name, no next/prev at the ends, estimated_count', async () => {
      const body = await list('');
      assert.deepEqual(
        body.streams.map((s) => s.name),
        ['cam/1', 'cam/2', 'news', 'sport', 'zzz'],
      );
      assert.equal(body.estimated_count, 5);
      assert.ok(!('next' in body) && !('prev' in body));
    });

    test('equality and IN-lists, on columns and in the document', async () => {
      assert.deepEqual(await names('disabled=true'), ['cam/2']);
      assert.deepEqual(await names('disabled=false'), ['cam/1', 'news', 'sport', 'zzz']);
      assert.deepEqual(await names('name=news,zzz,none'), ['news', 'zzz']);
      assert.deepEqual(await names('title=News%20HD'), ['news']);
      assert.deepEqual(await names('static=true'), ['sport']);
      assert.deepEqual(await names('labels.zone=a'), ['cam/1']);
      assert.deepEqual(await names('streamer_hostname=edge-1'), ['sport']);
      assert.deepEqual(await names('inputs.url=udp://239.0.0.2:1234'), ['news']);
      assert.deepEqual(await names('position=3,2'), ['cam/1', 'sport']);
    });

    test('comparisons exclude items without the field; _ne keeps them', async () => {
      assert.deepEqual(await names('position_gt=1'), ['cam/1', 'sport']);
      assert.deepEqual(await names('position_gte=1&position_lt=3'), ['cam/2', 'sport']);
      assert.deepEqual(await names('position_lte=1'), ['cam/2']);
      assert.deepEqual(await names('position_ne=3'), ['cam/2', 'news', 'sport', 'zzz']);
      assert.deepEqual(await names('name_gt=news'), ['sport', 'zzz']);
    });

    test('_like is a case-sensitive substring match; _is / _is_not null test presence', async () => {
      assert.deepEqual(await names('title_like=o'), ['cam/1']);
      assert.deepEqual(await names('title_like=%25'), []);
      assert.deepEqual(await names('inputs.url_like=10.0.0'), ['cam/1', 'cam/2']);
      assert.deepEqual(await names('name_like=cam'), ['cam/1', 'cam/2']);
      assert.deepEqual(await names('title_is=null'), ['sport', 'zzz']);
      assert.deepEqual(await names('title_is_not=null'), ['cam/1', 'cam/2', 'news']);
      assert.deepEqual(await names('namespace_is_not=null'), ['news']);
      assert.deepEqual(await names('labels_is_not=null'), ['cam/1']);
    });

    test('q searches name, title, comment and input URLs, case-insensitively', async () => {
      assert.deepEqual(await names('q=door'), ['cam/1']);
      assert.deepEqual(await names('q=SPARE'), ['zzz']);
      assert.deepEqual(await names('q=239.0.0.3'), ['sport']);
      assert.deepEqual(await names('q=cam'), ['cam/1', 'cam/2']);
    });

    test('sort by several keys, descending, missing values last', async () => {
      assert.deepEqual(await names('sort=-name'), ['zzz', 'sport', 'news', 'cam/2', 'cam/1']);
      assert.deepEqual(await names('sort=position'), ['cam/2', 'sport', 'cam/1', 'news', 'zzz']);
      assert.deepEqual(await names('sort=-position'), ['cam/1', 'sport', 'cam/2', 'news', 'zzz']);
      assert.deepEqual(await names('sort=disabled,-updated_at'), ['zzz', 'sport', 'news', 'cam/1', 'cam/2']);
    });

    test('select keeps the listed (dotted) fields and always the name', async () => {
      const body = await list('select=title,inputs.url&name=news');
      assert.deepEqual(body.streams, [
        {
          name: 'news',
          title: 'News HD',
          inputs: [{ url: 'udp://239.0.0.1:1234' }, { url: 'udp://239.0.0.2:1234' }],
        },
      ]);
      assert.deepEqual((await list('select=updated_at&name=zzz')).streams[0]!.name, 'zzz');
    });

    test('limit pages with next/prev cursors; filters apply across pages', async () => {
      const p1 = await list('limit=2&disabled=false');
      assert.deepEqual(
        p1.streams.map((s) => s.name),
        ['cam/1', 'news'],
      );
      assert.equal(p1.estimated_count, 4);
      assert.ok(p1.next && !p1.prev);
      const p2 = await list(`limit=2&disabled=false&cursor=${p1.next}`);
      assert.deepEqual(
        p2.streams.map((s) => s.name),
        ['sport', 'zzz'],
      );
      assert.ok(!p2.next && p2.prev);
      const back = await list(`limit=2&disabled=false&cursor=${p2.prev}`);
      assert.deepEqual(
        back.streams.map((s) => s.name),
        ['cam/1', 'news'],
      );
      assert.ok(!back.prev && back.next);
    });

    test('limit defaults to 100 and is capped at 1000', async () => {
      const batch = Array.from({ length: 1005 }, (_, i) => ({ name: `bulk/${String(i).padStart(4, '0')}` }));
      assert.equal((await t.call('PUT', `${P}/streams/batch`, batch.slice(0, 1000))).statusCode, 204);
      assert.equal((await t.call('PUT', `${P}/streams/batch`, batch.slice(1000))).statusCode, 204);
      assert.equal((await list('')).streams.length, 100);
      const big = await list('limit=5000');
      assert.equal(big.streams.length, 1000);
      assert.ok(big.next);
      assert.equal((await t.call('PUT', `${P}/streams/batch`, [...batch, { name: 'x' }])).statusCode, 400);
      await t.db.exec("DELETE FROM streams WHERE name LIKE 'bulk/%'");
    });

    test('bad query parameters are 400s naming the parameter', async () => {
      const cases: [string, string][] = [
        ['limit=0', 'limit'],
        ['limit=abc', 'limit'],
        ['cursor=garbage', 'cursor'],
        ['sort=no_such_field', 'sort'],
        ['sort=inputs', 'sort'],
        ['no_such_field=1', 'no_such_field'],
        ['position_gt=abc', 'position_gt'],
        ['disabled=maybe', 'disabled'],
        ['title_is=something', 'title_is'],
        ['sort=na%20me', 'sort'],
        ['inputs_gt=1', 'inputs_gt'],
      ];
      for (const [q, param] of cases) {
        const res = await t.call('GET', `${P}/streams?${q}`);
        assert.equal(res.statusCode, 400, q);
        assert.match(res.json().errors[0].title, new RegExp(`^${param}`), q);
      }
      const p1 = await list('limit=1&sort=position');
      const mixed = await t.call('GET', `${P}/streams?limit=1&sort=position,title&cursor=${p1.next}`);
      assert.equal(mixed.statusCode, 400, 'a cursor from another sort is refused');
    });

    test('parameters the SDK sends that are not filters are accepted', async () => {
      assert.equal(
        (await t.call('GET', `${P}/streams?include_ingest_history=true&scheme=https&client_ip=1.2.3.4`))
          .statusCode,
        200,
      );
    });
  });
}
