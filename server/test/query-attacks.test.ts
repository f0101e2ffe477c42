// Attacks on the collection query language and on request bodies (issue 12, items 1, 5 and 13): a
// stored `__proto__` key must stay data, field paths naming prototype machinery are refused with a 400
// naming the parameter, path parsing is linear, and text PostgreSQL cannot store is a 400, never a 500.
// A fuzz test throws random and hostile query strings at both lists.
//   FC_SEED=<seed> node --import tsx --test --test-name-pattern='fuzz' <this file> replays a failure.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';
import { testBackends } from '../../test-kit/backends.ts';
import { parseListQuery } from '../src/query/parse.ts';
import { patient } from '../../test-kit/patience.ts';

const P = '/central/api/v3';
const PWN = { kind: 'column', sql: '(SELECT current_user||version())', type: 'text', nullable: true };

/** Everything Object.prototype has, to compare before and after an attack. */
const protoSnapshot = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');
const PROTO = protoSnapshot();
const assertProtoClean = () => {
  assert.equal(protoSnapshot(), PROTO, 'Object.prototype gained or lost a member');
  assert.equal(({} as Record<string, unknown>).pwn, undefined);
};

type ErrorBody = {
  errors: { code: string; title: string; source?: { parameter?: string; pointer?: string } }[];
};
const firstError = (body: string) => (JSON.parse(body) as ErrorBody).errors[0]!;

for (const backend of await testBackends()) {
  describe(`query language attacks on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(backend);
      // Sent as raw JSON text: JSON.parse makes `__proto__` an own key, as any HTTP client's body would.
      const hostile = `{"name":"evil","inputs":[{"url":"fake://x"}],"transcoder":{"__proto__":{"pwn":${JSON.stringify(PWN)}}}}`;
      const res = await t.call('PUT', `${P}/streams/evil`, hostile);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(
        (await t.call('PUT', `${P}/streams/plain`, { inputs: [{ url: 'fake://y' }] })).statusCode,
        200,
      );
    });
    after(() => t.close());

    test('a stored __proto__ stays data and cannot be selected into the prototype', async () => {
      const sel = await t.call('GET', `${P}/streams?select=transcoder.__proto__.pwn`);
      assert.equal(sel.statusCode, 400, sel.body);
      assert.equal(firstError(sel.body).source?.parameter, 'select');
      assertProtoClean();
      const sort = await t.call('GET', `${P}/streams?sort=pwn`);
      assert.equal(sort.statusCode, 400, sort.body);
      assert.match(firstError(sort.body).title, /unknown field pwn/);
      assert.doesNotMatch(sort.body, /PostgreSQL|current_user/);
      // The document keeps its key as plain data, read back through both the item and the list.
      const one = (await t.call('GET', `${P}/streams/evil`)).json() as {
        transcoder: Record<string, unknown>;
      };
      assert.ok(Object.hasOwn(one.transcoder, '__proto__'));
      assert.deepEqual(one.transcoder['__proto__'], { pwn: PWN });
      const list = await t.call('GET', `${P}/streams?select=transcoder&name=evil`);
      assert.equal(list.statusCode, 200, list.body);
      assert.match(list.body, /"__proto__":\{"pwn"/);
      assertProtoClean();
    });

    test('prototype names in parameters are 400s naming the parameter, never 500s', async () => {
      const cases: [string, string][] = [
        ['constructor=x', 'constructor'],
        ['toString=1', 'toString'],
        ['hasOwnProperty=1', 'hasOwnProperty'],
        ['valueOf_gt=1', 'valueOf_gt'],
        ['sort=__proto__', 'sort'],
        ['sort=-constructor', 'sort'],
        ['sort=transcoder.prototype', 'sort'],
        ['select=__proto__', 'select'],
        ['select=constructor.prototype', 'select'],
        ['__proto__.x=1', '__proto__.x'],
        ['inputs.__proto__=1', 'inputs.__proto__'],
        ['labels.constructor_is=null', 'labels.constructor_is'],
      ];
      for (const collection of ['streams', 'streamers'])
        for (const [q, param] of cases) {
          const res = await t.call('GET', `${P}/${collection}?${q}`);
          assert.equal(res.statusCode, 400, `${collection}?${q}: ${res.body}`);
          assert.equal(firstError(res.body).source?.parameter, param, `${collection}?${q}`);
        }
      assertProtoClean();
    });

    test('a long dotted sort path is refused at once (no regex backtracking)', async () => {
      const path = `${Array(40).fill('a').join('.')}!`;
      const started = performance.now();
      const res = await t.call('GET', `${P}/streams?sort=${path}`);
      assert.equal(res.statusCode, 400, res.body);
      // Exponential backtracking took 5-19 s at 28-30 segments; 40 would take hours. Linear is ~µs.
      assert.ok(performance.now() - started < patient(2000), 'answered in seconds');
      for (const q of [`sort=${'a.'.repeat(3000)}`, `select=${'a.'.repeat(3000)}`, `${'a.'.repeat(150)}a=1`])
        assert.equal((await t.call('GET', `${P}/streams?${q}`)).statusCode, 400, q.slice(0, 20));
    });

    test('NUL and lone surrogates are 400s naming the field, in bodies and parameters', async () => {
      const body = async (raw: string, pointer: string) => {
        const res = await t.call('PUT', `${P}/streams/nul`, raw);
        assert.equal(res.statusCode, 400, `${raw}: ${res.body}`);
        assert.equal(firstError(res.body).source?.pointer, pointer, raw);
      };
      await body('{"title":"a\\u0000b"}', '/title');
      await body('{"title":"\\ud800"}', '/title');
      await body('{"inputs":[{"url":"fake://x\\udc00"}]}', '/inputs/0/url');
      await body('{"labels":{"k\\u0000":"v"}}', '/labels/k\u0000');
      // 1e400 parses to Infinity, which would be stored as null: the field silently gone.
      await body('{"inputs":[{"url":"fake://x"}],"segment_duration":1e400}', '/segment_duration');
      const batch = await t.call('PUT', `${P}/streams/batch`, '[{"name":"b1","comment":"\\u0000"}]');
      assert.equal(batch.statusCode, 400, batch.body);
      assert.equal(firstError(batch.body).source?.pointer, '/0/comment');
      assert.equal((await t.call('GET', `${P}/streams/nul`)).statusCode, 404, 'nothing was saved');
      assert.equal((await t.call('GET', `${P}/streams/b1`)).statusCode, 404, 'nothing was saved');
      for (const [q, param] of [
        ['title=%00', 'title'],
        ['q=a%00', 'q'],
        ['title_like=%ED%A0%80', 'title_like'],
        ['name=a,%00', 'name'],
      ]) {
        const res = await t.call('GET', `${P}/streams?${q}`);
        assert.ok(res.statusCode === 400 || res.statusCode === 200, `${q}: ${res.body}`);
        if (res.statusCode === 400) assert.equal(firstError(res.body).source?.parameter, param, q);
      }
      const nulCursor = Buffer.from(JSON.stringify({ d: 'a', k: ['a\u0000'] })).toString('base64url');
      const res = await t.call('GET', `${P}/streams?cursor=${nulCursor}`);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(firstError(res.body).source?.parameter, 'cursor');
      const key = await t.call('GET', `${P}/streams/a%00b`);
      assert.ok(key.statusCode === 400 || key.statusCode === 404, key.body);
    });

    test('fuzz: hostile query strings never give a 500 nor touch Object.prototype', async () => {
      const atom = fc.constantFrom(
        '__proto__',
        'prototype',
        'constructor',
        'toString',
        'valueOf',
        'hasOwnProperty',
        'name',
        'title',
        'inputs',
        'url',
        'labels',
        'stats',
        'status',
        'layout',
        'ingest',
        'transcoder',
        'pwn',
        'a',
        'updated_at',
        'role',
        'hostname',
        '$',
        '-',
        '',
        '0',
        '1e999',
        'null',
        'true',
        '%00',
        '%ED%A0%80',
        '%FF',
        '!',
        '[]',
        '"',
        "'",
        '\\',
        '%',
        '%2C',
        '..',
        '*',
        '?',
        '@',
      );
      const path = fc.array(atom, { minLength: 1, maxLength: 8 }).map((a) => a.join('.'));
      const suffix = fc.constantFrom('', '_is', '_is_not', '_like', '_gt', '_gte', '_lt', '_lte', '_ne');
      const value = fc.oneof(path, fc.string({ maxLength: 12 }).map(encodeURIComponent), atom);
      const pair = fc.oneof(
        fc.tuple(fc.constantFrom('sort', 'select', 'limit', 'cursor', 'q'), value),
        fc.tuple(
          fc.tuple(path, suffix).map(([p, s]) => p + s),
          value,
        ),
        fc.tuple(
          fc.constant('sort'),
          fc.array(path, { maxLength: 10 }).map((a) => a.map((p) => `-${p}`).join(',')),
        ),
      );
      const queryArb = fc
        .array(pair, { minLength: 1, maxLength: 6 })
        .map((ps) => ps.map(([k, v]) => `${k}=${v}`).join('&'));
      await fc.assert(
        fc.asyncProperty(queryArb, fc.constantFrom('streams', 'streamers'), async (q, collection) => {
          const res = await t.call('GET', `${P}/${collection}?${q}`);
          assert.ok(res.statusCode < 500, `${collection}?${q}: ${res.statusCode} ${res.body}`);
          assertProtoClean();
        }),
        { numRuns: 250, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) },
      );
    });
  });
}

test('path parsing is linear and refuses prototype segments (pure)', () => {
  for (const bad of ['__proto__', 'a.__proto__', 'prototype.x', 'a.constructor', 'a..b', '.a', 'a.', 'a b'])
    assert.throws(() => parseListQuery({ sort: bad }), /sort/, bad);
  const started = performance.now();
  assert.throws(() => parseListQuery({ sort: `${'a.'.repeat(60)}a!` }));
  assert.ok(performance.now() - started < 500);
  // A null-prototype query object (Fastify's) and a plain one read the same; inherited keys never count.
  const plain = parseListQuery({ name: 'x' });
  const bare = parseListQuery(Object.assign(Object.create(null) as object, { name: 'x' }));
  assert.deepEqual(plain, bare);
  assert.deepEqual(parseListQuery({}).filters, []);
});
