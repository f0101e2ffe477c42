// Failed credentials count against the client's address on every route (the pull endpoints, Bearer,
// Basic, /metrics), a locked-out address is refused even with the right credentials, the table of
// addresses is bounded without forgetting lock-outs, and behind TRUST_PROXY the forwarded address is
// the one that counts (and https is seen for the cookie's Secure flag).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pgliteBackend } from '../../test-kit/backends.ts';
import { startTestApp, TEST_API_KEY, TEST_EDIT_AUTH, type TestApp } from '../../test-kit/app.ts';
import { BASIC_LIMITS, clientKey, LoginLimiter, MAX_TRACKED_ADDRESSES } from '../src/http/auth.ts';
import { PULL_LIMITS } from '../src/http/login-guard.ts';

const P = '/central/api/v3';
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const RIGHT_BASIC = basic(TEST_EDIT_AUTH.login, TEST_EDIT_AUTH.password);

describe('failed credentials are limited on every route', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(pgliteBackend);
    assert.equal((await t.call('PUT', `${P}/streamers/s1`, { api_url: 'http://192.0.2.1' })).statusCode, 200);
  });
  after(() => t.close());

  const req = (
    remoteAddress: string,
    method: 'GET' | 'PUT',
    url: string,
    authorization?: string,
    body?: unknown,
  ) =>
    t.app.inject({
      method,
      url,
      remoteAddress,
      headers: {
        ...(authorization ? { authorization } : {}),
        'content-type': 'application/json',
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  test('wrong keys on the pull endpoint lock the address out, the right key included', async () => {
    const ip = '192.0.2.10';
    const pull = (auth: string) => req(ip, 'GET', `${P}/streamers/s1/streams`, auth);
    for (let i = 0; i < BASIC_LIMITS.max; i++)
      assert.equal((await pull(`Bearer guess-${i}`)).statusCode, 403);
    const locked = await pull(`Bearer ${TEST_API_KEY}`);
    assert.equal(locked.statusCode, 429, 'the right key waits too');
    assert.equal(locked.json().errors[0].code, 'too_many_requests');
    assert.ok(Number(locked.headers['retry-after']) > 0);
    const other = await req('192.0.2.11', 'GET', `${P}/streamers/s1/streams`, `Bearer ${TEST_API_KEY}`);
    assert.equal(other.statusCode, 200, 'other addresses are not affected');
  });

  test("one streamer's stale key locks out its own pulls only, not its neighbours behind one address", async () => {
    const ip = '192.0.2.12';
    assert.equal((await t.call('PUT', `${P}/streamers/s2`, { api_url: 'http://192.0.2.2' })).statusCode, 200);
    const keyOf = async (h: string) =>
      ((await t.call('GET', `${P}/streamers/${h}/pull_key`)).json() as { pull_key: string }).pull_key;
    const pull = (h: string, key: string) => req(ip, 'GET', `${P}/streamers/${h}/streams`, `Bearer ${key}`);
    for (let i = 0; i < BASIC_LIMITS.max; i++) assert.equal((await pull('s1', `stale-${i}`)).statusCode, 403);
    assert.equal((await pull('s1', await keyOf('s1'))).statusCode, 429, 's1 waits, even with its key');
    assert.equal((await pull('s2', await keyOf('s2'))).statusCode, 200, 's2 behind the same address pulls');
    assert.equal((await req(ip, 'GET', `${P}/streams`, `Bearer ${TEST_API_KEY}`)).statusCode, 200);
    // Guessing across hostnames is bounded too: every pull failure of the address counts together.
    const ip2 = '192.0.2.13';
    for (let i = 0; i < PULL_LIMITS.max; i++)
      assert.equal((await req(ip2, 'GET', `${P}/streamers/h${i}/streams`, 'Bearer x')).statusCode, 403);
    const s2 = await req(ip2, 'GET', `${P}/streamers/s2/streams`, `Bearer ${await keyOf('s2')}`);
    assert.equal(s2.statusCode, 429);
    t.clock.advance(61_000);
    assert.equal((await pull('s1', await keyOf('s1'))).statusCode, 200, 'the lock-out ends');
  });

  test('rotating a pull key many times never locks the streamer out', async () => {
    const ip = '192.0.2.14';
    assert.equal((await t.call('PUT', `${P}/streamers/s3`, { api_url: 'http://192.0.2.3' })).statusCode, 200);
    const keyOf = async () =>
      ((await t.call('GET', `${P}/streamers/s3/pull_key`)).json() as { pull_key: string }).pull_key;
    const pull = (key: string) => req(ip, 'GET', `${P}/streamers/s3/streams`, `Bearer ${key}`);
    let key = await keyOf();
    for (let i = 0; i < 2 * BASIC_LIMITS.max; i++) {
      assert.equal((await t.call('POST', `${P}/streamers/s3/rotate_pull_key`)).statusCode, 200);
      assert.equal((await pull(key)).statusCode, 403, 'the old key is refused at once');
      key = await keyOf();
      assert.equal((await pull(key)).statusCode, 200, `rotation ${i + 1}: the new key pulls`);
    }
  });

  test('wrong Bearer keys lock out; a write with the right key then changes nothing', async () => {
    const ip = '192.0.2.20';
    for (let i = 0; i < BASIC_LIMITS.max; i++)
      assert.equal((await req(ip, 'GET', `${P}/streams`, `Bearer guess-${i}`)).statusCode, 401);
    const put = await req(ip, 'PUT', `${P}/streams/locked`, `Bearer ${TEST_API_KEY}`, {});
    assert.equal(put.statusCode, 429);
    assert.equal((await t.call('GET', `${P}/streams/locked`)).statusCode, 404, 'nothing was written');
    t.clock.advance(61_000);
    assert.equal((await req(ip, 'GET', `${P}/streams`, `Bearer ${TEST_API_KEY}`)).statusCode, 200);
  });

  test('Basic, Bearer and /metrics share one count per address', async () => {
    const ip = '192.0.2.30';
    for (let i = 0; i < 4; i++)
      assert.equal((await req(ip, 'GET', `${P}/streams`, basic('admin', `g${i}`))).statusCode, 401);
    for (let i = 0; i < 3; i++)
      assert.equal((await req(ip, 'GET', '/metrics', `Bearer g${i}`)).statusCode, 401);
    // Pull failures count per streamer (the test above), not against the address's API logins.
    for (let i = 0; i < 3; i++)
      assert.equal((await req(ip, 'GET', `${P}/streamers/s1/streams`, `Bearer g${i}`)).statusCode, 403);
    assert.equal((await req(ip, 'GET', `${P}/streams`, RIGHT_BASIC)).statusCode, 200);
    for (let i = 0; i < 3; i++)
      assert.equal((await req(ip, 'GET', `${P}/streamers`, `Bearer g${i}`)).statusCode, 401);
    assert.equal((await req(ip, 'GET', `${P}/streams`, RIGHT_BASIC)).statusCode, 429);
    assert.equal((await req(ip, 'GET', '/metrics', `Bearer ${TEST_API_KEY}`)).statusCode, 429);
  });

  test('requests without credentials are not counted; the probes stay open to a locked address', async () => {
    const ip = '192.0.2.40';
    for (let i = 0; i < 3 * BASIC_LIMITS.max; i++)
      assert.equal((await req(ip, 'GET', `${P}/streams`)).statusCode, 401);
    assert.equal((await req(ip, 'GET', `${P}/streams`, RIGHT_BASIC)).statusCode, 200);
    for (let i = 0; i < BASIC_LIMITS.max; i++) await req(ip, 'GET', `${P}/streams`, `Bearer g${i}`);
    assert.equal((await req(ip, 'GET', `${P}/monitoring/liveness`)).statusCode, 200);
  });

  test('an IPv6 client counts by its /64: rotating the interface id does not reset the count', async () => {
    for (let i = 0; i < BASIC_LIMITS.max; i++)
      assert.equal(
        (await req(`2001:db8:1:2::${i + 1}`, 'GET', `${P}/streams`, `Bearer g${i}`)).statusCode,
        401,
      );
    const res = await req('2001:db8:1:2:ffff::abcd', 'GET', `${P}/streams`, `Bearer ${TEST_API_KEY}`);
    assert.equal(res.statusCode, 429);
    assert.equal(
      (await req('2001:db8:1:3::1', 'GET', `${P}/streams`, `Bearer ${TEST_API_KEY}`)).statusCode,
      200,
    );
  });
});

describe('the table of addresses', () => {
  test('is bounded by evicting the oldest entries: failing once from 10,002 addresses keeps a lock-out', () => {
    let now = 0;
    const l = new LoginLimiter(() => now, BASIC_LIMITS);
    for (let i = 0; i < BASIC_LIMITS.max; i++) l.fail('198.51.100.1');
    const wait = l.blockedFor('198.51.100.1');
    assert.ok(wait > 0);
    for (let i = 0; i < 10_002; i++) l.fail(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    now = 1000;
    assert.equal(l.blockedFor('198.51.100.1'), wait - 1000, 'still locked out');
    for (let i = 0; i < MAX_TRACKED_ADDRESSES + 5; i++)
      l.fail(`11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.ok(l.size <= MAX_TRACKED_ADDRESSES, `${l.size} entries`);
    assert.ok(l.blockedFor('198.51.100.1') > 0, 'a lock-out outlives a flood of single failures');
  });

  test('client keys: IPv4 as is (also IPv4-mapped), IPv6 by its /64', () => {
    assert.equal(clientKey('192.0.2.1'), '192.0.2.1');
    assert.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(clientKey('2001:db8::1'), clientKey('2001:0db8:0:0:ffff::2'));
    assert.notEqual(clientKey('2001:db8::1'), clientKey('2001:db8:0:1::1'));
    assert.equal(clientKey('fe80::1%eth0'), clientKey('fe80::2'));
  });
});

describe('behind a reverse proxy (TRUST_PROXY)', () => {
  let direct: TestApp;
  let proxied: TestApp;
  before(async () => {
    [direct, proxied] = await Promise.all([
      startTestApp(pgliteBackend),
      startTestApp(pgliteBackend, { trustProxy: ['127.0.0.1', '10.9.0.0/16'] }),
    ]);
  });
  after(async () => Promise.all([direct.close(), proxied.close()]));

  const viaProxy = (app: TestApp, client: string, authorization: string, proxy = '127.0.0.1') =>
    app.app.inject({
      method: 'GET',
      url: `${P}/streams`,
      remoteAddress: proxy,
      headers: { authorization, 'x-forwarded-for': client },
    });

  test('each client behind a trusted proxy has its own count', async () => {
    for (let i = 0; i < BASIC_LIMITS.max; i++)
      assert.equal((await viaProxy(proxied, '203.0.113.1', `Bearer g${i}`)).statusCode, 401);
    assert.equal((await viaProxy(proxied, '203.0.113.1', `Bearer ${TEST_API_KEY}`)).statusCode, 429);
    assert.equal((await viaProxy(proxied, '203.0.113.2', `Bearer ${TEST_API_KEY}`)).statusCode, 200);
    const hop = await viaProxy(proxied, '203.0.113.2', `Bearer ${TEST_API_KEY}`, '10.9.3.4');
    assert.equal(hop.statusCode, 200, 'a CIDR of proxies');
  });

  test('without TRUST_PROXY (or from an untrusted peer) X-Forwarded-For cannot dodge a lock-out', async () => {
    for (let i = 0; i < BASIC_LIMITS.max; i++)
      assert.equal((await viaProxy(direct, `203.0.113.${i}`, `Bearer g${i}`)).statusCode, 401);
    assert.equal((await viaProxy(direct, '203.0.113.99', `Bearer ${TEST_API_KEY}`)).statusCode, 429);
    for (let i = 0; i < BASIC_LIMITS.max; i++)
      await viaProxy(proxied, `203.0.113.${i + 50}`, `Bearer g${i}`, '198.51.100.7');
    const spoofed = await viaProxy(proxied, '203.0.113.200', `Bearer ${TEST_API_KEY}`, '198.51.100.7');
    assert.equal(spoofed.statusCode, 429);
  });

  test('X-Forwarded-Proto: https from the proxy makes the session cookie Secure (and only then)', async () => {
    const signIn = (app: TestApp, proto: string) =>
      app.app.inject({
        method: 'POST',
        url: '/ui/api/session',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-proto': proto,
          'x-forwarded-for': '203.0.113.77',
        },
        payload: JSON.stringify(TEST_EDIT_AUTH),
      });
    const secure = await signIn(proxied, 'https');
    assert.equal(secure.statusCode, 200);
    assert.match(String(secure.headers['set-cookie']), /; Secure$/);
    assert.match(String(secure.headers['strict-transport-security']), /max-age=\d+/);
    const plain = await signIn(proxied, 'http');
    assert.doesNotMatch(String(plain.headers['set-cookie']), /Secure/);
    const untrusted = await signIn(direct, 'https');
    assert.doesNotMatch(String(untrusted.headers['set-cookie']), /Secure/, 'a client cannot claim https');
    assert.equal(untrusted.headers['strict-transport-security'], undefined);
  });
});
