// Sorting and filtering the stream list by live figures (stats.bitrate, stats.lifetime), with cursor
// paging that stays consistent while lifetimes grow with the clock.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { testBackends } from '../../test-kit/backends.ts';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';

const P = '/central/api/v3';

/** name → [bitrate, running for (ms)]; null: not reported. */
const FIGURES: Record<string, [number | null, number | null]> = {
  s0: [3000, 50_000],
  // Only 5 s younger than s4: a walk that re-read lifetimes at each page's own time would skip it.
  s1: [1000, 15_000],
  s2: [2000, null],
  s3: [1000, 90_000],
  s4: [null, 20_000],
  s5: [5000, 70_000],
  s6: [null, null],
};

type Item = { name: string; stats?: { bitrate?: number; lifetime?: number } };

/** Every page of a walk, following next (or prev from the end); the clock moves between pages. */
async function walk(t: TestApp, query: string, limit = 2): Promise<string[]> {
  const names: string[] = [];
  let url = `${P}/streams?${query}&limit=${limit}`;
  for (let i = 0; i < 20; i++) {
    const res = await t.call('GET', url);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    names.push(...body.streams.map((s: Item) => s.name));
    if (!body.next) return names;
    url = `${P}/streams?${query}&limit=${limit}&cursor=${body.next}`;
    t.clock.advance(7_000);
  }
  throw new Error('the walk does not end');
}

for (const backend of await testBackends()) {
  describe(`stream list by live figures on ${backend.name}`, () => {
    let t: TestApp;
    let t0: number;
    before(async () => (t = await startTestApp(backend)));
    after(() => t.close());
    beforeEach(async () => {
      await t.reset();
      const now = (t0 = t.clock.now());
      for (const [name, [bitrate, age]] of Object.entries(FIGURES)) {
        await t.call('PUT', `${P}/streams/${name}`, { inputs: [{ url: 'udp://239.0.0.1:1234' }] });
        if (bitrate === null && age === null) continue;
        const stats = { status: 'running', alive: true, ...(bitrate === null ? {} : { bitrate }) };
        await t.db.query(
          'INSERT INTO stream_status (name, stats, running_since, updated_at) VALUES ($1, $2, $3, $4)',
          [name, JSON.stringify(stats), age === null ? null : now - age, now],
        );
      }
      // A disabled stream shows no stats: it sorts with the streams that have none.
      await t.call('PUT', `${P}/streams/s7`, { disabled: true });
      await t.db.query(
        `INSERT INTO stream_status (name, stats, running_since, updated_at) VALUES ('s7', '{"bitrate": 9999}', $1, $1)`,
        [now - 1],
      );
    });

    test('sort=stats.bitrate and -stats.bitrate: missing values last, name breaks ties, pages join up', async () => {
      assert.deepEqual(await walk(t, 'sort=stats.bitrate'), ['s1', 's3', 's2', 's0', 's5', 's4', 's6', 's7']);
      assert.deepEqual(await walk(t, 'sort=-stats.bitrate', 3), [
        's5',
        's0',
        's2',
        's1',
        's3',
        's4',
        's6',
        's7',
      ]);
      const first = (await t.call('GET', `${P}/streams?sort=stats.bitrate&limit=3`)).json();
      assert.deepEqual(
        first.streams.map((s: Item) => s.stats?.bitrate),
        [1000, 1000, 2000],
        'the wire shows the figures sorted on',
      );
      const second = (
        await t.call('GET', `${P}/streams?sort=stats.bitrate&limit=3&cursor=${first.next}`)
      ).json();
      const back = (
        await t.call('GET', `${P}/streams?sort=stats.bitrate&limit=3&cursor=${second.prev}`)
      ).json();
      assert.deepEqual(
        back.streams.map((s: Item) => s.name),
        ['s1', 's3', 's2'],
        'prev walks back',
      );
    });

    test('sort=-stats.lifetime pages consistently while the clock moves; the wire lifetime grows', async () => {
      const expected = ['s3', 's5', 's0', 's4', 's1', 's2', 's6', 's7'];
      assert.deepEqual(await walk(t, 'sort=-stats.lifetime'), expected);
      assert.deepEqual(await walk(t, 'sort=stats.lifetime', 3), [
        's1',
        's4',
        's0',
        's5',
        's3',
        's2',
        's6',
        's7',
      ]);
      assert.ok(t.clock.now() > t0, 'the clock moved during the walks');
      const s3 = (await t.call('GET', `${P}/streams/s3`)).json();
      assert.equal(s3.stats.lifetime, t.clock.now() - (t0 - 90_000));
    });

    test('filters: stats.bitrate_gte, stats.lifetime_lt, _is=null; bad values are 400 naming them', async () => {
      const names = async (q: string) =>
        (await t.call('GET', `${P}/streams?${q}`)).json().streams.map((s: Item) => s.name);
      assert.deepEqual(await names('stats.bitrate_gte=2000'), ['s0', 's2', 's5']);
      assert.deepEqual(await names('stats.bitrate=1000,5000'), ['s1', 's3', 's5']);
      assert.deepEqual(await names('stats.lifetime_lt=30000'), ['s1', 's4']);
      assert.deepEqual(await names('stats.lifetime_is=null'), ['s2', 's6', 's7']);
      t.clock.advance(10_000);
      assert.deepEqual(await names('stats.lifetime_lt=30000'), ['s1'], 'lifetimes grow with the clock');
      const count = (await t.call('GET', `${P}/streams?stats.bitrate_is_not=null&limit=1`)).json()
        .estimated_count;
      assert.equal(count, 5);
      for (const q of ['stats.bitrate_gt=fast', 'stats.lifetime_lt=1.5']) {
        const res = await t.call('GET', `${P}/streams?${q}`);
        assert.equal(res.statusCode, 400, q);
        assert.equal(res.json().errors[0].source.parameter, q.split('=')[0]);
      }
    });
  });
}
