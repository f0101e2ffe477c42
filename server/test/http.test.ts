import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pgliteBackend } from '../../test-kit/backends.ts';
import { startTestApp, TEST_API_KEY, type TestApp } from '../../test-kit/app.ts';
import { authorized } from '../src/http/auth.ts';

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('authentication', () => {
  const creds = { apiKey: 'k3y', editAuth: { login: 'admin', password: 'pa:ss word' } };
  test('Bearer key, Basic admin login, Basic key-as-user are accepted', () => {
    assert.ok(authorized('Bearer k3y', creds));
    assert.ok(authorized('bearer k3y', creds));
    assert.ok(authorized(basic('admin', 'pa:ss word'), creds));
    assert.ok(authorized(basic('k3y', ''), creds));
    assert.ok(authorized(`Basic ${Buffer.from('k3y').toString('base64')}`, creds));
  });
  test('anything else is refused', () => {
    for (const h of [
      undefined,
      '',
      'Bearer',
      'Bearer k3',
      'Bearer k3yy',
      basic('admin', 'pa:ss'),
      basic('k3y', 'x'),
      basic('admin', ''),
      'Token k3y',
      'Cluster 1:abc',
      'Basic !!!',
    ])
      assert.equal(authorized(h, creds), false, String(h));
    assert.equal(authorized(basic('admin', 'x'), { apiKey: 'k', editAuth: null }), false);
  });
});

describe('HTTP behaviour', () => {
  let t: TestApp;
  before(async () => (t = await startTestApp(pgliteBackend)));
  after(() => t.close());

  test('every route is served under both prefixes', async () => {
    for (const prefix of ['/central/api/v3', '/streamer/api/v3']) {
      assert.equal((await t.call('PUT', `${prefix}/streams/p`, {})).statusCode, 200, prefix);
      assert.equal((await t.call('GET', `${prefix}/streams`)).statusCode, 200);
      assert.equal((await t.call('GET', `${prefix}/streamers`)).statusCode, 200);
      assert.equal((await t.call('GET', `${prefix}/config`)).statusCode, 200);
      assert.equal((await t.call('GET', `${prefix}/monitoring/liveness`)).statusCode, 200);
    }
  });

  test('401 with WWW-Authenticate and the error body; probes need no credentials', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: basic('admin', 'nope') },
    ]) {
      const res = await t.app.inject({ method: 'GET', url: '/central/api/v3/streams', headers });
      assert.equal(res.statusCode, 401);
      assert.match(String(res.headers['www-authenticate']), /Basic realm="Central"/);
      assert.equal(res.json().errors[0].code, 'unauthorized');
    }
    for (const p of ['liveness', 'readiness']) {
      const res = await t.app.inject({ method: 'GET', url: `/central/api/v3/monitoring/${p}` });
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.ok(
        Number.isInteger(body.now) &&
          Number.isInteger(body.started_at) &&
          typeof body.server_version === 'string',
      );
    }
  });

  test('repeated failed Basic logins from one address lock it out, whatever it presents next', async () => {
    const limited = await startTestApp(pgliteBackend);
    const get = (authorization: string) =>
      limited.app.inject({
        method: 'GET',
        url: '/central/api/v3/streams',
        headers: { authorization },
        remoteAddress: '192.0.2.7',
      });
    for (let i = 0; i < 10; i++) assert.equal((await get(basic('admin', `guess${i}`))).statusCode, 401);
    const blocked = await get(basic('admin', 'admin'));
    assert.equal(blocked.statusCode, 429, 'even the right password waits');
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    assert.equal((await get(`Bearer ${TEST_API_KEY}`)).statusCode, 429, 'the API key waits too');
    const other = await limited.app.inject({
      method: 'GET',
      url: '/central/api/v3/streams',
      headers: { authorization: basic('admin', 'admin') },
    });
    assert.equal(other.statusCode, 200, 'other addresses are not affected');
    limited.clock.advance(61_000);
    assert.equal((await get(basic('admin', 'admin'))).statusCode, 200, 'the block ends with the window');
    await limited.close();
  });

  test('malformed JSON is a 400; an empty body on GET/DELETE with Content-Type json is fine', async () => {
    const res = await t.call('PUT', '/central/api/v3/streams/x', '{"name": ');
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().errors[0].code, 'malformed_json');
    assert.equal((await t.call('PUT', '/central/api/v3/streams/x', '[1,2]')).statusCode, 400);
    assert.equal((await t.call('PUT', '/central/api/v3/streams/x', '"str"')).statusCode, 400);
    assert.equal((await t.call('GET', '/central/api/v3/streams', undefined)).statusCode, 200);
    const noType = await t.app.inject({
      method: 'PUT',
      url: '/central/api/v3/streams/curl',
      headers: {
        authorization: `Bearer ${TEST_API_KEY}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: '{"inputs":[{"url":"fake://fake"}]}',
    });
    assert.equal(noType.statusCode, 200, 'curl --data without a Content-Type still works');
  });

  test('bodies over 1 MiB are 413 with the error body', async () => {
    const res = await t.call('PUT', '/central/api/v3/streams/big', { title: 'x'.repeat(1024 * 1024 + 1) });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().errors[0].status, '413');
  });

  test('unknown endpoints are 404 with the error body', async () => {
    const res = await t.call('GET', '/central/api/v3/nothing-here');
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().errors[0].code, 'not_found');
  });

  test('a 500 does not leak internals', async () => {
    const broken = await startTestApp(pgliteBackend);
    await broken.db.exec('DROP TABLE streams CASCADE');
    const res = await broken.call('GET', '/central/api/v3/streams');
    assert.equal(res.statusCode, 500);
    assert.doesNotMatch(res.body, /streams|relation|SELECT|pglite|at /i);
    assert.match(res.json().errors[0].title, /internal error \(request /);
    await broken.close();
  });

  test('GET /config: the CentralConfig shape with secrets redacted', async () => {
    const body = (await t.call('GET', '/central/api/v3/config')).json();
    assert.doesNotMatch(JSON.stringify(body), new RegExp(TEST_API_KEY));
    assert.equal(body.api_key, '***');
    assert.deepEqual(body.edit_auth, { login: 'admin', password: '***' });
    assert.equal(body.log_requests, 'false');
    assert.equal(body.layouter_enabled, 'true');
    assert.equal(body.layouter_sleeping_interval, 300000);
    assert.deepEqual(body.listeners.http, [{ port: 9019 }]);
    assert.ok(Number.isInteger(body.stats.uptime) && Number.isInteger(body.stats.started_at));
  });

  test('readiness is 503 when the database does not answer', async () => {
    const down = await startTestApp(pgliteBackend);
    await down.db.close();
    const res = await down.app.inject({ method: 'GET', url: '/central/api/v3/monitoring/readiness' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().errors[0].code, 'unavailable');
    assert.equal(
      (await down.app.inject({ method: 'GET', url: '/central/api/v3/monitoring/liveness' })).statusCode,
      200,
    );
    await down.app.close();
  });
});
