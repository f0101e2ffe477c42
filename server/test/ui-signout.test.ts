// Sign-out ends the session in every Central process sharing the database, at once: a copy of the
// cookie taken before sign-out is refused everywhere, other sessions go on, and revocations are pruned
// once the sessions they name would have expired anyway.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { testBackends } from '../../test-kit/backends.ts';
import { ManualClock, TEST_API_KEY, TEST_EDIT_AUTH, testConfig } from '../../test-kit/app.ts';
import { buildApp } from '../src/app.ts';
import { migrate, type Db } from '../src/db/index.ts';
import { SESSION_MAX_AGE_S } from '../src/ui/session.ts';

const S = '/ui/api/session';
const P = '/central/api/v3';
const XHR = { 'x-requested-with': 'XMLHttpRequest', 'content-type': 'application/json' };

for (const backend of await testBackends()) {
  describe(`sign-out on ${backend.name}`, () => {
    let db: Db;
    const clock = new ManualClock();
    let a: FastifyInstance;
    let b: FastifyInstance;
    before(async () => {
      db = await backend.open();
      await migrate(db);
      // Two processes: two apps sharing only the database and the configuration.
      const make = (n: number) =>
        buildApp({
          config: testConfig(),
          db,
          clock,
          apiKey: TEST_API_KEY,
          info: { serverId: 'x', instanceId: `i${n}`, startedAt: clock.now() },
        });
      [a, b] = [make(1), make(2)];
      await Promise.all([a.ready(), b.ready()]);
    });
    after(async () => {
      await Promise.all([a.close(), b.close()]);
      await db.close();
    });

    async function signIn(app: FastifyInstance): Promise<string> {
      const res = await app.inject({
        method: 'POST',
        url: S,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(TEST_EDIT_AUTH),
      });
      assert.equal(res.statusCode, 200, res.body);
      return String(res.headers['set-cookie']).split(';')[0]!;
    }
    const get = (app: FastifyInstance, url: string, cookie: string) =>
      app.inject({ method: 'GET', url, headers: { cookie } });

    test('a copied cookie is refused by every process after sign-out; other sessions go on', async () => {
      const cookie = await signIn(a);
      const other = await signIn(b);
      assert.equal((await get(b, `${P}/streams`, cookie)).statusCode, 200, 'valid everywhere before');
      const out = await a.inject({ method: 'DELETE', url: S, headers: { cookie, ...XHR } });
      assert.equal(out.statusCode, 204);
      for (const app of [a, b]) {
        assert.equal((await get(app, `${P}/streams`, cookie)).statusCode, 401);
        assert.equal((await get(app, S, cookie)).statusCode, 401);
        const put = await app.inject({
          method: 'PUT',
          url: `${P}/streams/x`,
          headers: { cookie, ...XHR },
          payload: '{}',
        });
        assert.equal(put.statusCode, 401);
        assert.equal((await get(app, `${P}/streams`, other)).statusCode, 200, 'another session is untouched');
      }
      const bearer = await a.inject({
        method: 'GET',
        url: `${P}/streams/x`,
        headers: { authorization: `Bearer ${TEST_API_KEY}` },
      });
      assert.equal(bearer.statusCode, 404, 'nothing was written with the revoked cookie');
    });

    test('signing out twice, or with a bad cookie, is harmless', async () => {
      const cookie = await signIn(a);
      for (let i = 0; i < 2; i++)
        assert.equal((await a.inject({ method: 'DELETE', url: S, headers: { cookie } })).statusCode, 204);
      assert.equal(
        (await a.inject({ method: 'DELETE', url: S, headers: { cookie: 'central_session=x.1.y.z' } }))
          .statusCode,
        204,
      );
      assert.equal((await a.inject({ method: 'DELETE', url: S })).statusCode, 204);
    });

    test('revocations are pruned once their sessions would have expired', async () => {
      const count = async () =>
        (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ui_session_revocations')).rows[0]!.n;
      const before = await count();
      assert.ok(before >= 1);
      clock.advance(SESSION_MAX_AGE_S * 1000 + 1);
      const cookie = await signIn(b);
      await b.inject({ method: 'DELETE', url: S, headers: { cookie } });
      assert.equal(await count(), 1, 'only the fresh revocation is left');
    });
  });
}
