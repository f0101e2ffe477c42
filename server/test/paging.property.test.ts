// Property tests of keyset paging on GET /streams: following `next` (and then `prev`) visits exactly the
// items of the one-page answer, in the order an independent JS oracle computes, on both backends; and
// rows inserted or deleted mid-walk never make a survivor go missing or an item appear twice.
// Reproduce a failure with the seed and path of the fast-check report, for that one test:
//   FC_SEED=<seed> FC_PATH=<path> node --import tsx --test --test-name-pattern='<test>' <this file>
// FC_RUNS=<n> changes the number of runs (the second property does half as many).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { testBackends } from '../../test-kit/backends.ts';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';

const P = '/central/api/v3';
const NUM_RUNS = Number(process.env.FC_RUNS ?? 100);
const fcParams = (numRuns: number) => ({
  numRuns,
  includeErrorInReport: true,
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
  ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
});

// Mixed case, digits, punctuation, 2-, 3- and 4-byte UTF-8 (U+FF5A vs U+1F600 order differs in UTF-16).
const CHARS = ['a', 'B', 'b', 'Z', '0', '9', '-', '_', '.', ' ', 'é', 'ü', '日', 'ｚ', '😀'];
// A segment of only dots (".", "..") is not a valid name part: URL-normalising clients cannot reach it.
const segment = fc
  .string({ unit: fc.constantFrom(...CHARS), minLength: 1, maxLength: 3 })
  .filter((x) => x !== '.' && x !== '..');
const nameArb = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const URLS = ['udp://abc/1', 'rtsp://xab/2', 'udp://cabcd', 'http://zz/ab'];
const streamArb = fc.record({
  name: nameArb,
  title: opt(
    fc.string({ unit: fc.constantFrom('a', 'A', 'b', 'é', 'ｚ', '😀', ' ', ',', '%'), maxLength: 3 }),
  ),
  disabled: opt(fc.boolean()),
  position: opt(fc.integer({ min: -4, max: 4 })),
  namespace: opt(fc.constantFrom('x', 'y', 'z')),
  labels: opt(fc.oneof(fc.record({ zone: fc.constantFrom('a', 'b', 'c') }), fc.constant({ tier: 'g' }))),
  segment_count: opt(fc.integer({ min: 0, max: 4 })),
  streamer_hostname: opt(fc.constantFrom('edge-1', 'Edge-2', 'édge')),
  inputs: fc
    .array(fc.constantFrom(...URLS), { minLength: 1, maxLength: 2 })
    .map((u) => u.map((url) => ({ url }))),
});
type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;
type Stream = Of<typeof streamArb>;
type Rec = Stream & { updated_at: number };

const SORT_KEYS =
  'name title disabled position updated_at namespace streamer_hostname segment_count labels.zone'.split(' ');
type Filter = [string, string];
const FILTERS: fc.Arbitrary<Filter>[] = [
  fc.boolean().map((b) => ['disabled', String(b)]),
  fc.subarray(['x', 'y', 'z', 'w'], { minLength: 1 }).map((v) => ['namespace', v.join(',')]),
  fc.integer({ min: -5, max: 5 }).map((n) => ['position_gt', String(n)]),
  fc.integer({ min: -5, max: 5 }).map((n) => ['position_lte', String(n)]),
  fc
    .string({ unit: fc.constantFrom('a', 'b', 'é', '😀', ' ', ',', '%', '_'), minLength: 1, maxLength: 2 })
    .map((s) => ['title_like', s]),
  fc.constant(['title_is', 'null']),
  fc.constant(['title_is_not', 'null']),
  fc.constantFrom('a', 'b', 'c').map((z) => ['labels.zone', z]),
  fc.integer({ min: 0, max: 4 }).map((n) => ['segment_count_ne', String(n)]),
  fc.constantFrom('abc', 'ab', 'udp').map((s) => ['inputs.url_like', s]),
];
const queryArb = fc.record({
  sort: fc.array(fc.record({ key: fc.constantFrom(...SORT_KEYS), desc: fc.boolean() }), { maxLength: 3 }),
  filters: fc.uniqueArray(fc.oneof(...FILTERS), { selector: (f) => f[0], maxLength: 2 }),
  limit: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 15 })),
});
type Query = Of<typeof queryArb>;

function matches(s: Rec, [k, v]: Filter): boolean {
  switch (k) {
    case 'disabled':
      return (s.disabled ?? false) === (v === 'true');
    case 'namespace':
      return s.namespace !== undefined && v.split(',').includes(s.namespace);
    case 'position_gt':
      return s.position !== undefined && s.position > Number(v);
    case 'position_lte':
      return s.position !== undefined && s.position <= Number(v);
    case 'title_like':
      return s.title !== undefined && s.title.includes(v);
    case 'title_is':
      return s.title === undefined;
    case 'title_is_not':
      return s.title !== undefined;
    case 'labels.zone':
      return (s.labels as { zone?: string } | undefined)?.zone === v;
    case 'segment_count_ne':
      return s.segment_count !== Number(v);
    default:
      return s.inputs.some((i) => i.url.includes(v));
  }
}

type Scalar = string | number | boolean | null;
function value(s: Rec, key: string): Scalar {
  if (key === 'disabled') return s.disabled ?? false; // a generated NOT NULL column
  if (key === 'labels.zone') return (s.labels as { zone?: string } | undefined)?.zone ?? null;
  return (s[key as keyof Rec] as Scalar | undefined) ?? null;
}
function cmpScalar(x: Exclude<Scalar, null>, y: Exclude<Scalar, null>): number {
  if (typeof x === 'string') return Buffer.compare(Buffer.from(x), Buffer.from(y as string));
  return Math.sign(Number(x) - Number(y));
}
/** Each key in its direction, absent values last either way, ties by name ascending. */
function compare(sort: Query['sort'], a: Rec, b: Rec): number {
  for (const { key, desc } of [...sort, { key: 'name', desc: false }]) {
    const x = value(a, key);
    const y = value(b, key);
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
      continue;
    }
    const c = cmpScalar(x, y);
    if (c) return desc ? -c : c;
  }
  return 0;
}
const oracle = (data: Iterable<Rec>, q: Query) =>
  [...data].filter((s) => q.filters.every((f) => matches(s, f))).sort((a, b) => compare(q.sort, a, b));

interface Page {
  streams: { name: string }[];
  estimated_count: number;
  next?: string;
  prev?: string;
}

for (const backend of await testBackends()) {
  describe(`keyset paging properties on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(backend)));
    after(() => t.close());

    const qs = (q: Query, limit = q.limit) =>
      [
        ...(q.sort.length ? [`sort=${q.sort.map((s) => (s.desc ? '-' : '') + s.key).join(',')}`] : []),
        ...q.filters.map(([k, v]) => `${k}=${encodeURIComponent(v)}`),
        `limit=${limit}`,
      ].join('&');
    const list = async (query: string, cursor?: string): Promise<Page> => {
      const res = await t.call('GET', `${P}/streams?${query}${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.statusCode, 200, `${query}: ${res.body}`);
      const page = res.json() as Page;
      assert.notEqual(page.next, '', `${query}: next is empty`);
      assert.notEqual(page.prev, '', `${query}: prev is empty`);
      return page;
    };
    const names = (p: Page) => p.streams.map((s) => s.name);
    /** Inserts in up to 4 batches, one clock tick apart, so updated_at has both ties and order. */
    async function load(items: [Stream, number][]): Promise<Map<string, Rec>> {
      await t.reset();
      const data = new Map<string, Rec>();
      for (let tick = 0; tick < 4; tick++) {
        t.clock.advance(1000);
        const batch = items.filter(([, k]) => k === tick).map(([s]) => s);
        if (!batch.length) continue;
        const res = await t.call('PUT', `${P}/streams/batch`, batch);
        assert.equal(res.statusCode, 204, res.body);
        for (const s of batch) data.set(s.name, { ...s, updated_at: t.clock.now() });
      }
      return data;
    }
    const dataArb = fc.uniqueArray(fc.tuple(streamArb, fc.integer({ min: 0, max: 3 })), {
      selector: ([s]) => s.name,
      maxLength: 60,
      size: 'max',
    });

    test('next then prev walk the one-page answer exactly, in the oracle order', async () => {
      await fc.assert(
        fc.asyncProperty(dataArb, queryArb, async (items, q) => {
          const data = await load(items);
          const query = qs(q);
          const expected = oracle(data.values(), q).map((s) => s.name);
          const all = await list(qs(q, 1000));
          assert.deepEqual(names(all), expected, `limit=1000 vs oracle: ${query}`);
          const pages: string[][] = [];
          let page = await list(query);
          assert.equal(page.prev, undefined, `${query}: the first page has a prev`);
          for (;;) {
            pages.push(names(page));
            assert.equal(page.estimated_count, expected.length, `${query}: estimated_count`);
            if (!page.next) break;
            assert.equal(page.streams.length, q.limit, `${query}: a page with next is full`);
            assert.ok(pages.length <= expected.length, `${query}: next never ends`);
            page = await list(query, page.next);
          }
          assert.deepEqual(pages.flat(), expected, `${query}: pages vs oracle`);
          const back: string[][] = [];
          let cursor = page.prev;
          while (cursor) {
            const p = await list(query, cursor);
            assert.equal(p.estimated_count, expected.length, `${query}: estimated_count going back`);
            assert.ok(p.next, `${query}: a page reached by prev has a next`);
            back.push(names(p));
            assert.ok(back.length < pages.length, `${query}: prev goes past the first page`);
            cursor = p.prev;
          }
          assert.deepEqual(back, pages.slice(0, -1).reverse(), `${query}: prev pages vs next pages`);
        }),
        fcParams(NUM_RUNS),
      );
    });

    const changeArb = fc.record({ add: streamArb, del: fc.option(fc.nat()) });
    async function churn(items: [Stream, number][], q: Query, changes: Of<typeof changeArb>[]) {
      const data = await load(items);
      const query = qs(q);
      const ever = new Map(data);
      const survivors = new Set(data.keys());
      const seen: string[] = [];
      for (let i = 0, page = await list(query); ; i++, page = await list(query, page.next)) {
        seen.push(...names(page));
        if (!page.next) break;
        assert.ok(seen.length <= ever.size, `${query}: next never ends`);
        const change = changes[i];
        if (!change) continue;
        let name = change.add.name;
        while (ever.has(name)) name += '~';
        t.clock.advance(1000);
        const res = await t.call('PUT', `${P}/streams/batch`, [{ ...change.add, name }]);
        assert.equal(res.statusCode, 204, res.body);
        data.set(name, { ...change.add, name, updated_at: t.clock.now() });
        ever.set(name, data.get(name)!);
        const alive = [...data.keys()];
        const victim = change.del === null ? undefined : alive[change.del % alive.length];
        if (victim === undefined) continue;
        // In SQL: inject() resolves dot segments, so `DELETE /streams/.` cannot name the stream ".".
        assert.equal((await t.db.query('DELETE FROM streams WHERE name = $1', [victim])).rowCount, 1);
        data.delete(victim);
        survivors.delete(victim);
      }
      assert.equal(new Set(seen).size, seen.length, `${query}: a name appeared twice: ${seen}`);
      const got = seen.map((n) => ever.get(n)!);
      assert.ok(
        got.every((s) => q.filters.every((f) => matches(s, f))),
        `${query}: a non-matching item`,
      );
      for (let i = 1; i < got.length; i++)
        assert.ok(compare(q.sort, got[i - 1]!, got[i]!) < 0, `${query}: out of order at ${i}`);
      const want = oracle(
        [...survivors].map((n) => ever.get(n)!),
        q,
      ).map((s) => s.name);
      const missed = want.filter((n) => !seen.includes(n));
      assert.deepEqual(missed, [], `${query}: survivors missed`);
    }
    test('rows inserted and deleted mid-walk: survivors once, no duplicates, order kept', async () => {
      const changesArb = fc.array(changeArb, { maxLength: 30, size: 'max' });
      await fc.assert(
        fc.asyncProperty(dataArb, queryArb, changesArb, churn),
        fcParams(Math.ceil(NUM_RUNS / 2)),
      );
    });
  });
}
