// The built web UI at `/`: files with their types and caching, the SPA fallback for deep links, the
// security headers, path traversal, the API's own 404s, and the page shown while the UI is not built.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pgliteBackend, tempDir } from '../../test-kit/backends.ts';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';
import { loadConfig } from '../src/config.ts';
import { CSP, defaultWebDir } from '../src/ui/static.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const INDEX =
  '<!doctype html><title>Central</title><script type="module" src="/assets/index-abc123.js"></script>';

function buildDir(): string {
  const dir = tempDir('central-web-');
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), INDEX);
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.css'), 'body{}');
  fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

/** A raw request, so that the path reaches the server exactly as written (no URL normalising). */
async function rawGet(t: TestApp, rawPath: string) {
  if (!t.app.server.listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (t.app.server.address() as AddressInfo).port;
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: rawPath, headers: HTML }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('serving the web UI', () => {
  let t: TestApp;
  let dir: string;
  before(async () => {
    dir = buildDir();
    t = await startTestApp(pgliteBackend, { webDir: dir });
  });
  after(() => t.close());
  const get = (url: string, headers: Record<string, string> = HTML) =>
    t.app.inject({ method: 'GET', url, headers });

  test('index.html at / with no-cache and the security headers', async () => {
    const res = await get('/');
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, INDEX);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['content-security-policy'], CSP);
    assert.match(CSP, /frame-ancestors 'none'/);
    assert.match(CSP, /media-src 'self' blob: http: https:/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'same-origin');
    const again = await get('/', { ...HTML, 'if-none-match': String(res.headers.etag) });
    assert.equal(again.statusCode, 304);
    const head = await t.app.inject({ method: 'HEAD', url: '/' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
  });

  test('deep links get index.html (SPA fallback) when the browser asks for a page', async () => {
    for (const url of ['/media/streams/x', '/media/streams/cam%2F1?tab=inputs', '/streamers']) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.body, INDEX);
      assert.equal(res.headers['content-security-policy'], CSP);
    }
    assert.equal((await get('/media/streams/x', { accept: 'application/json' })).statusCode, 404);
    assert.equal((await get('/assets/missing.js')).statusCode, 404, 'a missing asset is never the page');
  });

  test('hashed assets are immutable; files have their content types', async () => {
    const js = await get('/assets/index-abc123.js', { accept: '*/*' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.body, 'console.log("app")');
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    const css = await get('/assets/index-abc123.css', { accept: 'text/css' });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    const svg = await get('/favicon.svg', { accept: 'image/*' });
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.equal(svg.headers['cache-control'], 'no-cache');
  });

  test('path traversal is refused', async () => {
    fs.writeFileSync(path.join(path.dirname(dir), 'secret.txt'), 'TOP-SECRET-CONTENT');
    for (const p of [
      '/..%2f..%2fetc/passwd',
      '/assets/../../package.json',
      '/assets/..%2F..%2Fpackage.json',
      '/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/a%00.js',
    ]) {
      const res = await rawGet(t, p);
      assert.equal(res.status, 404, p);
      assert.doesNotMatch(res.body, /root:|"workspaces"|TOP-SECRET|<title>/, p);
    }
    const viaInject = await get('/assets/../../package.json');
    assert.doesNotMatch(viaInject.body, /"workspaces"/);
  });

  test('the API keeps its JSON 404s and its authentication', async () => {
    for (const url of [
      '/central/api/v3/nothing-here',
      '/streamer/api/v3/nothing',
      '/ui/api/nothing',
      '/central/api/v3',
    ]) {
      const res = await get(url);
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().errors[0].code, 'not_found');
    }
    assert.equal((await get('/central/api/v3/streams')).statusCode, 401);
  });
});

describe('web UI not built', () => {
  let t: TestApp;
  before(async () => (t = await startTestApp(pgliteBackend, { webDir: tempDir('central-empty-web-') })));
  after(() => t.close());

  test('GET / is a 503 page that says how to build it; the API still works', async () => {
    for (const url of ['/', '/media/streams/x']) {
      const res = await t.app.inject({ method: 'GET', url, headers: HTML });
      assert.equal(res.statusCode, 503);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.body, /npm run build:web/);
      assert.equal(res.headers['content-security-policy'], CSP);
    }
    assert.equal((await t.call('GET', '/central/api/v3/streams')).statusCode, 200);
  });

  test('a build made while Central runs is served without a restart', async () => {
    const dir = tempDir('central-late-web-');
    const late = await startTestApp(pgliteBackend, { webDir: path.join(dir, 'dist') });
    assert.equal((await late.app.inject({ method: 'GET', url: '/' })).statusCode, 503);
    fs.mkdirSync(path.join(dir, 'dist'));
    fs.writeFileSync(path.join(dir, 'dist', 'index.html'), INDEX);
    assert.equal((await late.app.inject({ method: 'GET', url: '/' })).body, INDEX);
    await late.close();
  });
});

describe('where the UI is found', () => {
  test('by default <repo>/web/dist; WEB_DIR (file or environment) overrides it, relative to the cwd', () => {
    const repo = path.resolve(import.meta.dirname, '../..');
    assert.equal(defaultWebDir(), path.join(repo, 'web', 'dist'));
    assert.equal(defaultWebDir(path.join(repo, 'dist')), path.join(repo, 'web', 'dist'), 'from the bundle');
    const env = (e: Record<string, string>) =>
      loadConfig({ env: e, argv: ['--config', '/dev/null'], cwd: '/srv' });
    assert.equal(env({}).config.webDir, null);
    assert.equal(env({ WEB_DIR: 'ui' }).config.webDir, '/srv/ui');
    assert.equal(env({ CENTRAL_WEB_DIR: '/opt/ui' }).config.webDir, '/opt/ui');
    const conf = path.join(tempDir(), 'central.conf');
    fs.writeFileSync(conf, 'WEB_DIR=/var/lib/central/web\n');
    assert.equal(loadConfig({ env: {}, argv: ['--config', conf] }).config.webDir, '/var/lib/central/web');
  });
});
