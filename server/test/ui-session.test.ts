// Web UI sign-in: the session cookie, its use on the API (with the CSRF header for changes), the
// back-off on failed sign-ins, and the limiter rules themselves.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { pgliteBackend, tempDir, testBackends } from '../../test-kit/backends.ts';
import {
  ManualClock,
  startTestApp,
  TEST_API_KEY,
  TEST_EDIT_AUTH,
  testConfig,
  type TestApp,
} from '../../test-kit/app.ts';
import { selfSignedCert } from '../../test-kit/tls.ts';
import { buildApp } from '../src/app.ts';
import { migrate } from '../src/db/index.ts';
import { BASIC_LIMITS, LoginLimiter } from '../src/http/auth.ts';
import { SIGN_IN_LIMITS } from '../src/ui/session.ts';

const S = '/ui/api/session';
const P = '/central/api/v3';
const XHR = { 'x-requested-with': 'XMLHttpRequest' };

/** The `name=value` of a Set-Cookie header, and its attributes. */
function parseSetCookie(res: LightMyRequestResponse) {
  const raw = res.headers['set-cookie'];
  const header = Array.isArray(raw) ? raw[0]! : String(raw);
  const [pair, ...attrs] = header.split(';').map((s) => s.trim());
  return { pair: pair!, value: pair!.slice(pair!.indexOf('=') + 1), attrs };
}

function signIn(t: TestApp, body: unknown, remoteAddress = '198.51.100.1') {
  return t.app.inject({
    method: 'POST',
    url: S,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
    remoteAddress,
  });
}

const withCookie = (t: TestApp, method: 'GET' | 'PUT' | 'DELETE', url: string, cookie: string, extra = {}) =>
  t.app.inject({
    method,
    url,
    headers: { cookie, 'content-type': 'application/json', ...extra },
    ...(method === 'PUT' ? { payload: '{"title":"t"}' } : {}),
  });

for (const backend of await testBackends()) {
  describe(`web UI sessions on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(backend)));
    after(() => t.close());
    beforeEach(() => t.reset());

    async function session(app = t): Promise<string> {
      const res = await signIn(app, TEST_EDIT_AUTH, '198.51.100.99');
      assert.equal(res.statusCode, 200, res.body);
      return parseSetCookie(res).pair;
    }

    test('sign-in sets an HttpOnly, SameSite=Strict session cookie that the API accepts', async () => {
      const res = await signIn(t, TEST_EDIT_AUTH);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { login: 'admin' });
      assert.equal(res.headers['cache-control'], 'no-store');
      const c = parseSetCookie(res);
      assert.match(c.pair, /^central_session=[A-Za-z0-9_-]+\.\d+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
      for (const a of ['Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=43200'])
        assert.ok(c.attrs.includes(a), a);
      assert.ok(!c.attrs.includes('Secure'), 'plain HTTP: no Secure flag');
      assert.doesNotMatch(c.value, /admin:|password/);
      const me = await withCookie(t, 'GET', S, c.pair);
      assert.equal(me.statusCode, 200);
      assert.deepEqual(me.json(), { login: 'admin', edit_auth: true });
      assert.equal((await withCookie(t, 'GET', `${P}/streams`, c.pair)).statusCode, 200);
      assert.equal((await withCookie(t, 'GET', `/streamer/api/v3/streams`, c.pair)).statusCode, 200);
    });

    test('changes with the cookie need X-Requested-With: XMLHttpRequest (403 csrf otherwise)', async () => {
      const cookie = await session();
      const bare = await withCookie(t, 'PUT', `${P}/streams/s1`, cookie);
      assert.equal(bare.statusCode, 403);
      assert.equal(bare.json().errors[0].code, 'csrf');
      assert.equal((await t.call('GET', `${P}/streams/s1`)).statusCode, 404, 'nothing was written');
      assert.equal((await withCookie(t, 'PUT', `${P}/streams/s1`, cookie, XHR)).statusCode, 200);
      assert.equal((await withCookie(t, 'DELETE', `${P}/streams/s1`, cookie)).statusCode, 403);
      assert.equal((await withCookie(t, 'DELETE', `${P}/streams/s1`, cookie, XHR)).statusCode, 204);
      // Bearer and Basic are unchanged: no header needed.
      assert.equal((await t.call('PUT', `${P}/streams/s2`, {})).statusCode, 200);
    });

    test('an Authorization header decides alone: a wrong one is 401 even with a good cookie', async () => {
      const cookie = await session();
      const res = await withCookie(t, 'GET', `${P}/streams`, cookie, { authorization: 'Bearer wrong' });
      assert.equal(res.statusCode, 401);
    });

    test('wrong credentials are 401 invalid_credentials naming nothing secret; bad bodies are 400', async () => {
      const res = await signIn(t, { login: 'admin', password: 'nope' }, '198.51.100.2');
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().errors[0].code, 'invalid_credentials');
      assert.equal(res.headers['set-cookie'], undefined);
      assert.equal(res.headers['www-authenticate'], undefined, 'no browser login box');
      assert.doesNotMatch(res.body, /nope|admin/);
      for (const [body, pointer] of [
        [{ password: 'x' }, '/login'],
        [{ login: 'admin' }, '/password'],
        [{ login: 1, password: 'x' }, '/login'],
        [{ login: 'admin', password: ['x'] }, '/password'],
        [{ login: 'admin', password: '' }, '/password'],
        ['just a string', '/login'],
      ] as const) {
        const bad = await signIn(t, body, '198.51.100.3');
        assert.equal(bad.statusCode, 400, JSON.stringify(body));
        assert.equal(bad.json().errors[0].source.pointer, pointer);
      }
      const malformed = await t.app.inject({
        method: 'POST',
        url: S,
        headers: { 'content-type': 'application/json' },
        payload: '{"login":',
      });
      assert.equal(malformed.statusCode, 400);
    });

    test('5 failures lock the address out; the lock-out doubles; other addresses and success reset', async () => {
      const ip = '203.0.113.5';
      const wrong = () => signIn(t, { login: 'admin', password: 'guess' }, ip);
      for (let i = 0; i < 5; i++) assert.equal((await wrong()).statusCode, 401, `failure ${i + 1}`);
      const sixth = await signIn(t, TEST_EDIT_AUTH, ip);
      assert.equal(sixth.statusCode, 429, 'even the right password waits');
      assert.equal(sixth.headers['retry-after'], '30');
      assert.equal((await signIn(t, TEST_EDIT_AUTH, '203.0.113.6')).statusCode, 200, 'another address');
      t.clock.advance(30_000);
      assert.equal((await wrong()).statusCode, 401, 'one more try after the lock-out');
      const locked = await wrong();
      assert.equal(locked.statusCode, 429);
      assert.equal(locked.headers['retry-after'], '60', 'doubled');
      t.clock.advance(60_000);
      await wrong();
      assert.equal((await wrong()).headers['retry-after'], '120');
      t.clock.advance(120_000);
      assert.equal((await signIn(t, TEST_EDIT_AUTH, ip)).statusCode, 200);
      for (let i = 0; i < 4; i++) assert.equal((await wrong()).statusCode, 401, 'the count starts over');
      assert.equal((await signIn(t, TEST_EDIT_AUTH, ip)).statusCode, 200);
    });

    test('tampered, expired, and other-key sessions are refused; same-key processes share them', async () => {
      const cookie = await session();
      const [b64, expires, id, mac] = cookie.slice('central_session='.length).split('.') as [
        string,
        string,
        string,
        string,
      ];
      // Changes the last two characters (a random id or MAC may already end in "AA").
      const tamper = (s: string) => s.slice(0, -2) + (s.endsWith('AA') ? 'BA' : 'AA');
      const forged = [
        `central_session=${b64}.${Number(expires) + 1000}.${id}.${mac}`,
        `central_session=${Buffer.from('root').toString('base64url')}.${expires}.${id}.${mac}`,
        `central_session=${b64}.${expires}.${tamper(id)}.${mac}`,
        `central_session=${b64}.${expires}.${id}.${tamper(mac)}`,
        `central_session=${b64}.${expires}.${mac}`,
        `central_session=${b64}.${expires}`,
        'central_session=',
        `other=${b64}.${expires}.${id}.${mac}`,
      ];
      for (const c of forged) {
        assert.equal((await withCookie(t, 'GET', `${P}/streams`, c)).statusCode, 401, c);
        const me = await withCookie(t, 'GET', S, c);
        assert.equal(me.statusCode, 401);
        assert.equal(me.json().edit_auth, true);
      }
      const other = await startTestApp(backend, { apiKey: 'another-api-key-0123456789' });
      const twin = await startTestApp(backend);
      try {
        assert.equal((await withCookie(other, 'GET', `${P}/streams`, cookie)).statusCode, 401);
        assert.equal((await withCookie(twin, 'GET', `${P}/streams`, cookie)).statusCode, 200);
        const newPassword = await startTestApp(backend, {
          editAuth: { login: 'admin', password: 'changed' },
        });
        assert.equal((await withCookie(newPassword, 'GET', S, cookie)).statusCode, 401, 'password changed');
        await newPassword.close();
      } finally {
        await other.close();
        await twin.close();
      }
      t.clock.advance(12 * 3600_000 - 1);
      assert.equal((await withCookie(t, 'GET', `${P}/streams`, cookie)).statusCode, 200);
      t.clock.advance(1);
      assert.equal((await withCookie(t, 'GET', `${P}/streams`, cookie)).statusCode, 401, 'expired');
    });

    test('sign-out answers 204 and clears the cookie', async () => {
      const cookie = await session();
      const res = await withCookie(t, 'DELETE', S, cookie);
      assert.equal(res.statusCode, 204);
      const c = parseSetCookie(res);
      assert.equal(c.pair, 'central_session=');
      assert.ok(c.attrs.includes('Max-Age=0') && c.attrs.includes('HttpOnly') && c.attrs.includes('Path=/'));
    });
  });
}

describe('web UI sessions without EDIT_AUTH', () => {
  let t: TestApp;
  before(async () => (t = await startTestApp((await testBackends())[0]!, { editAuth: null })));
  after(() => t.close());

  test('GET says edit_auth false; POST is 409 telling how to enable it', async () => {
    const me = await t.app.inject({ method: 'GET', url: S });
    assert.equal(me.statusCode, 401);
    assert.equal(me.json().edit_auth, false);
    assert.equal(me.json().errors[0].code, 'unauthorized');
    assert.equal(me.headers['www-authenticate'], undefined);
    const res = await signIn(t, { login: 'admin', password: 'admin' });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().errors[0].code, 'edit_auth_not_configured');
    assert.match(res.json().errors[0].title, /EDIT_AUTH="login password".*central\.conf/);
  });
});

test('over HTTPS the session cookie is also Secure', async () => {
  const dir = tempDir();
  const pair = selfSignedCert(dir, 'ui');
  const db = await pgliteBackend.open();
  await migrate(db);
  const clock = new ManualClock();
  const info = { serverId: 'x', instanceId: 'y', startedAt: clock.now() };
  const https_ = { key: fs.readFileSync(pair.key), cert: fs.readFileSync(pair.cert) };
  const app = buildApp({ config: testConfig(), db, clock, apiKey: TEST_API_KEY, info, https: https_ });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const port = (app.server.address() as AddressInfo).port;
    const setCookie = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: S,
          method: 'POST',
          ca: https_.cert,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(String(res.headers['set-cookie']));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(TEST_EDIT_AUTH));
    });
    assert.match(setCookie, /^central_session=.*; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
  } finally {
    await app.close();
    await db.close();
  }
});

describe('login limiter', () => {
  test('Basic limits are unchanged: 10 failures a minute, then blocked until the minute ends', () => {
    let now = 0;
    const l = new LoginLimiter(() => now, BASIC_LIMITS);
    for (let i = 0; i < 9; i++) l.fail('a');
    assert.equal(l.blockedFor('a'), 0);
    now = 10_000;
    l.fail('a');
    assert.equal(l.blockedFor('a'), 50_000);
    now = 60_000;
    assert.equal(l.blockedFor('a'), 0);
    l.fail('a');
    assert.equal(l.blockedFor('a'), 0, 'a new window');
  });

  test('sign-in back-off: 30 s, doubling, capped at 15 min; forgotten 10 min after the last lock-out', () => {
    let now = 0;
    const l = new LoginLimiter(() => now, SIGN_IN_LIMITS);
    for (let i = 0; i < 5; i++) l.fail('a');
    const locks = [30_000];
    for (let i = 0; i < 8; i++) {
      now += l.blockedFor('a');
      l.fail('a');
      locks.push(l.blockedFor('a'));
    }
    assert.deepEqual(locks, [30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000, 900_000]);
    now += 900_000 + 10 * 60_000;
    l.fail('a');
    assert.equal(l.blockedFor('a'), 0, 'after 10 quiet minutes the failures are forgotten');
  });
});
