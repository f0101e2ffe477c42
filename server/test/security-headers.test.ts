// Response headers: nosniff on every answer, HSTS on HTTPS only, no-store on every answer that may carry
// a secret (the API, the pull endpoints, the UI session), and a UI Content-Security-Policy whose
// connect-src names Central and the registered streamers' playback origins instead of any http(s) host.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pgliteBackend, tempDir } from '../../test-kit/backends.ts';
import { startTestApp, TEST_API_KEY, testConfig, ManualClock, type TestApp } from '../../test-kit/app.ts';
import { selfSignedCert } from '../../test-kit/tls.ts';
import { buildApp } from '../src/app.ts';
import { migrate } from '../src/db/index.ts';

const P = '/central/api/v3';
const HTML = { accept: 'text/html' };

function webDir(): string {
  const dir = tempDir('central-web-');
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Central</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
  return dir;
}

const directive = (csp: string, name: string) =>
  csp
    .split(';')
    .map((d) => d.trim())
    .find((d) => d.startsWith(`${name} `)) ?? '';

describe('security headers over HTTP', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(pgliteBackend, { webDir: webDir() });
    const streamers = [
      { hostname: 'a', api_url: 'http://10.0.0.1:8080', public_payload_url: 'https://cdn-a.example.com/' },
      { hostname: 'b', api_url: 'http://user:secret@10.0.0.2:81/streamer/api/v3' },
      { hostname: 'c', api_url: 'http://10.0.0.3', public_payload_url: 'http://evil;script-src*' },
    ];
    for (const { hostname, ...body } of streamers)
      assert.equal((await t.call('PUT', `${P}/streamers/${hostname}`, body)).statusCode, 200);
    await t.call('PUT', `${P}/streams/cam`, { inputs: [{ url: 'rtsp://user:pw@cam/1' }] });
  });
  after(() => t.close());

  test('nosniff on every answer: API, errors, probes, metrics, UI session, files', async () => {
    const answers = [
      await t.call('GET', `${P}/streams`),
      await t.call('GET', `${P}/nothing`),
      await t.app.inject({ method: 'GET', url: `${P}/streams` }),
      await t.app.inject({ method: 'GET', url: `${P}/monitoring/liveness` }),
      await t.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${TEST_API_KEY}` },
      }),
      await t.app.inject({ method: 'GET', url: '/ui/api/session' }),
      await t.app.inject({ method: 'GET', url: '/', headers: HTML }),
      await t.app.inject({ method: 'GET', url: '/assets/app.js' }),
      await t.app.inject({ method: 'GET', url: '/assets/missing.js' }),
    ];
    for (const res of answers)
      assert.equal(res.headers['x-content-type-options'], 'nosniff', res.body.slice(0, 80));
  });

  test('no-store on API answers that may carry secrets, the pull list included', async () => {
    const urls = [`${P}/streamers/b`, `${P}/streamers`, `${P}/streams/cam`, `${P}/streams`, `${P}/config`];
    for (const url of urls) {
      const res = await t.call('GET', url);
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['cache-control'], 'no-store', url);
    }
    const pull = await t.call('GET', `${P}/streamers/a/streams`);
    assert.equal(pull.statusCode, 200);
    assert.equal(pull.headers['cache-control'], 'no-store');
    assert.ok(pull.headers.etag, 'conditional pulls keep working');
    const denied = await t.app.inject({ method: 'GET', url: `${P}/streams` });
    assert.equal(denied.headers['cache-control'], 'no-store');
    const js = await t.app.inject({ method: 'GET', url: '/assets/app.js' });
    assert.match(String(js.headers['cache-control']), /immutable/, 'static files keep their caching');
  });

  test('no HSTS over plain HTTP', async () => {
    const res = await t.call('GET', `${P}/streams`);
    assert.equal(res.headers['strict-transport-security'], undefined);
  });

  test('the UI CSP lets scripts connect to Central and the streamers, not to any host', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/', headers: HTML });
    const csp = String(res.headers['content-security-policy']);
    const connect = directive(csp, 'connect-src');
    assert.doesNotMatch(connect, /(^|\s)https?:(\s|$)/, connect);
    assert.doesNotMatch(connect, /\*/);
    const sources = connect.split(/\s+/).slice(1);
    assert.deepEqual(sources, ["'self'", 'http://10.0.0.2:81', 'https://cdn-a.example.com']);
    assert.doesNotMatch(csp, /evil|secret|user/, 'no userinfo, nothing that is not an origin');
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
  });
});

test('over HTTPS every answer carries HSTS', async () => {
  const dir = tempDir();
  const pair = selfSignedCert(dir, 'hsts');
  const db = await pgliteBackend.open();
  await migrate(db);
  const clock = new ManualClock();
  const info = { serverId: 'x', instanceId: 'y', startedAt: clock.now() };
  const tls = { key: fs.readFileSync(pair.key), cert: fs.readFileSync(pair.cert) };
  const app = buildApp({ config: testConfig(), db, clock, apiKey: TEST_API_KEY, info, https: tls });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const get = (url: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
      const port = (app.server.address() as AddressInfo).port;
      https
        .get({ host: '127.0.0.1', port, path: url, ca: tls.cert, headers }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, headers: res.headers });
        })
        .on('error', reject);
    });
  try {
    for (const [url, headers] of [
      [`${P}/streams`, { authorization: `Bearer ${TEST_API_KEY}` }],
      [`${P}/streams`, {}],
      [`${P}/monitoring/liveness`, {}],
      ['/', HTML],
    ] as const) {
      const res = await get(url, headers);
      assert.match(
        String(res.headers['strict-transport-security']),
        /^max-age=31536000$/,
        `${url} ${res.status}`,
      );
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    }
  } finally {
    await app.close();
    await db.close();
  }
});
