// Cross-site writes: a browser holding Basic credentials (or the session cookie) for Central must not
// let another site's page change anything. Writes authenticated by Basic or the cookie need
// `Content-Type: application/json`, which a cross-site form cannot send (and a cross-site fetch cannot
// either without a CORS preflight, which Central never grants); Bearer clients stay as free as before.
// The last test drives a real Chromium against a real Central process.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { embeddedDir, pgliteBackend } from '../../test-kit/backends.ts';
import { startTestApp, TEST_EDIT_AUTH, type TestApp } from '../../test-kit/app.ts';
import { chromiumAvailable, launchBrowser } from '../../test-kit/browser.ts';
import { startCentral, type RunningCentral } from '../../test-kit/fleet.ts';

const P = '/central/api/v3';
const BASIC = `Basic ${Buffer.from(`${TEST_EDIT_AUTH.login}:${TEST_EDIT_AUTH.password}`).toString('base64')}`;
/** What `<input name='{"layouts":[…,"x":"' value='"}]}'>` in a text/plain form posts: valid JSON. */
const FORM_BODY = '{"layouts":[{"name":"s1","ingest":"st1","x":"="}]}\r\n';

async function fixtures(call: (m: string, url: string, body?: unknown) => Promise<{ status: number }>) {
  assert.equal((await call('PUT', `${P}/streamers/st1`, { api_url: 'http://192.0.2.1' })).status, 200);
  assert.equal((await call('PUT', `${P}/streams/s1`, { inputs: [{ url: 'fake://fake' }] })).status, 200);
}

describe('writes signed in by Basic or the cookie need application/json', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(pgliteBackend);
    await fixtures(async (m, url, body) => ({ status: (await t.call(m as 'PUT', url, body)).statusCode }));
  });
  after(() => t.close());

  const layoutOf = async () => (await t.call('GET', `${P}/streams/s1`)).json().layout?.ingest ?? null;
  const send = (
    method: 'POST' | 'PUT' | 'DELETE',
    url: string,
    headers: Record<string, string>,
    payload?: string,
  ) => t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });

  test('a text/plain form POST with Basic is refused (415) and changes nothing', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await send(
        'POST',
        `${P}/streams/layouts`,
        { authorization: BASIC, 'content-type': type },
        FORM_BODY,
      );
      assert.equal(res.statusCode, 415, type);
      assert.equal(res.json().errors[0].code, 'unsupported_media_type');
    }
    const bare = await send('POST', `${P}/streams/layouts`, { authorization: BASIC }, FORM_BODY);
    assert.equal(bare.statusCode, 415, 'no Content-Type at all');
    const put = await send(
      'PUT',
      `${P}/streams/made`,
      { authorization: BASIC, 'content-type': 'text/plain' },
      '{}',
    );
    assert.equal(put.statusCode, 415);
    assert.equal(await layoutOf(), null, 'nothing was placed');
    assert.equal((await t.call('GET', `${P}/streams/made`)).statusCode, 404, 'nothing was written');
  });

  test('the session cookie with X-Requested-With but text/plain is refused too', async () => {
    const signIn = await send(
      'POST',
      '/ui/api/session',
      { 'content-type': 'application/json' },
      JSON.stringify(TEST_EDIT_AUTH),
    );
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    const headers = { cookie, 'x-requested-with': 'XMLHttpRequest', 'content-type': 'text/plain' };
    assert.equal((await send('POST', `${P}/streams/layouts`, headers, FORM_BODY)).statusCode, 415);
    assert.equal(await layoutOf(), null);
  });

  test('a text/plain sign-in is refused (no login CSRF)', async () => {
    const res = await send(
      'POST',
      '/ui/api/session',
      { 'content-type': 'text/plain' },
      JSON.stringify(TEST_EDIT_AUTH),
    );
    assert.equal(res.statusCode, 415);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  test('JSON writes with Basic work; a DELETE without a body needs no type; Bearer is unchanged', async () => {
    const json = { authorization: BASIC, 'content-type': 'application/json; charset=utf-8' };
    assert.equal((await send('PUT', `${P}/streams/b1`, json, '{}')).statusCode, 200);
    assert.equal((await send('DELETE', `${P}/streams/b1`, { authorization: BASIC })).statusCode, 204);
    const bearer = await t.call('PUT', `${P}/streams/b2`, '{}', { 'content-type': 'text/plain' });
    assert.equal(bearer.statusCode, 200, 'Bearer clients may send any type, as curl does');
  });
});

describe('a real Chromium with cached Basic credentials', { skip: !chromiumAvailable() }, () => {
  let central: RunningCentral;
  let attacker: http.Server;
  let browser: Browser;
  before(async () => {
    [central, browser] = await Promise.all([
      startCentral({
        CENTRAL_DIR: await embeddedDir(),
        EDIT_AUTH: `${TEST_EDIT_AUTH.login} ${TEST_EDIT_AUTH.password}`,
        LAYOUTER_ENABLED: 'false',
      }),
      launchBrowser(),
    ]);
    await fixtures((m, url, body) => central.api(m, url.slice(P.length), body));
    // Another site's page (localhost is not the same site as 127.0.0.1) posting a text/plain form.
    const page = `<!doctype html><form id="f" method="POST" enctype="text/plain"
      action="${central.url}${P}/streams/layouts"><input type="hidden"
      name='{"layouts":[{"name":"s1","ingest":"st1","x":"' value='"}]}'></form>
      <script>document.getElementById('f').submit()</script>`;
    attacker = http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(page),
    );
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    await browser?.close();
    attacker?.close();
    await central?.process.stop();
  });

  test("another site's form POST is refused and nothing changes", async () => {
    // httpCredentials answers Central's Basic challenge once, as a person typing into the browser's
    // login box would; Chromium then keeps them in its auth cache and sends them by itself.
    const context = await browser.newContext({
      httpCredentials: {
        ...{ username: TEST_EDIT_AUTH.login, password: TEST_EDIT_AUTH.password },
        origin: central.url,
      },
    });
    const page = await context.newPage();
    const signedIn = await page.goto(`${central.url}${P}/streams`);
    assert.equal(signedIn?.status(), 200, 'the browser holds working Basic credentials');

    const answer = page.waitForResponse((r) => r.url() === `${central.url}${P}/streams/layouts`);
    await page.goto(`http://localhost:${(attacker.address() as AddressInfo).port}/`, { waitUntil: 'commit' });
    const status = (await answer).status();
    const s1 = await central.api<{ layout?: { ingest?: string | null } }>('GET', '/streams/s1');
    // 415, not 401: the credentials did arrive, and the request was refused for its type.
    assert.equal(status, 415, `answered ${status}; the stream's ingest is now ${s1.body.layout?.ingest}`);
    await page.waitForURL(`${central.url}${P}/streams/layouts`);
    assert.match(await page.locator('body').innerText(), /unsupported_media_type/);
    assert.equal(s1.body.layout?.ingest ?? null, null, 'the stream was not placed');
    await context.close();
  });
});
