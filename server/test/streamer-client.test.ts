import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { checkAddress, parseCidrList, type NetPolicy } from '../src/lib/net-guard.ts';
import {
  clusterAuthHeader,
  createStreamerClient,
  StreamerError,
  streamerBaseUrl,
  verifyClusterAuthHeader,
  type StreamerErrorCode,
} from '../src/lib/streamer-client.ts';
import { sanitizePeerStats, sanitizeStreamStats } from '../src/lib/streamer-sanitize.ts';
import { patient } from '../../test-kit/patience.ts';

const KEY = 'sEcReT-cluster-key-42';
const OPEN: NetPolicy = { allow: [], deny: [] };

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

/** A real HTTP server on 127.0.0.1 that records the paths it was asked for. */
async function streamer(handler: Handler) {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port, paths, target: { hostname: 's1', api_url: `http://127.0.0.1:${port}/`, cluster_key: KEY } };
}

function json(res: http.ServerResponse, status: number, value: unknown) {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
}

const clients: { close(): void }[] = [];
after(() => clients.forEach((c) => c.close()));
function client(policy = OPEN, extra: { timeoutMs?: number; maxBytes?: number } = {}) {
  const c = createStreamerClient({ timeoutMs: 2000, policy, ...extra });
  clients.push(c);
  return c;
}

/** Asserts a StreamerError with `code` whose text never reveals the cluster key. */
async function rejectsWith(p: Promise<unknown>, code: StreamerErrorCode, status?: number) {
  const err = await p.then(
    () => assert.fail(`expected a ${code} error`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StreamerError, String(err));
  assert.equal(err.code, code, err.message);
  if (status !== undefined) assert.equal(err.status, status);
  for (const text of [err.message, String(err), JSON.stringify(err)]) assert.ok(!text.includes(KEY), text);
  return err;
}

describe('cluster authorization header', () => {
  test('matches the documented format and verifies', () => {
    const now = 1_700_000_000_500;
    const expected = createHash('sha1').update('1700000000:key').digest('hex');
    assert.equal(clusterAuthHeader('key', now), `Cluster 1700000000:${expected}`);
    assert.match(expected, /^[0-9a-f]{40}$/);
    const header = clusterAuthHeader(KEY, now);
    assert.ok(verifyClusterAuthHeader(header, KEY, now));
    assert.ok(verifyClusterAuthHeader(header, KEY, now + 59_000));
    assert.ok(verifyClusterAuthHeader(header, KEY, now - 59_000));
    assert.ok(!verifyClusterAuthHeader(header, KEY, now + 61_000), 'too old');
    assert.ok(!verifyClusterAuthHeader(header, KEY, now - 61_000), 'too far ahead');
    assert.ok(!verifyClusterAuthHeader(header, 'other', now));
    assert.ok(!verifyClusterAuthHeader(header, '', now));
    assert.ok(!verifyClusterAuthHeader(undefined, KEY, now));
    assert.ok(!verifyClusterAuthHeader(`Bearer ${KEY}`, KEY, now));
    assert.ok(!verifyClusterAuthHeader(header.slice(0, -1), KEY, now));
  });
});

describe('network policy', () => {
  test('parseCidrList accepts commas and spaces and names the key on errors', () => {
    assert.deepEqual(parseCidrList(' 10.0.0.0/8, 192.168.5.0/24  fd00::/8 ', 'K'), [
      '10.0.0.0/8',
      '192.168.5.0/24',
      'fd00::/8',
    ]);
    assert.deepEqual(parseCidrList('', 'K'), []);
    for (const bad of ['10.0.0.0/33', 'foo', '10.0.0/8', '::/129', '1.2.3.4/']) {
      assert.throws(() => parseCidrList(bad, 'STREAMER_ALLOW'), /STREAMER_ALLOW/);
    }
  });

  test('reserved addresses are always denied, even when allowed', () => {
    const allowAll: NetPolicy = { allow: ['0.0.0.0/0', '::/0'], deny: [] };
    const denied = [
      '169.254.169.254',
      '::ffff:169.254.169.254',
      'fe80::1',
      'fe80::1%eth0',
      'fd00:ec2::254',
      '0.0.0.0',
      '224.0.0.1',
      '239.255.255.250',
      '255.255.255.255',
      'ff02::1',
      '::',
    ];
    for (const ip of denied) assert.ok(checkAddress(ip, allowAll), ip);
    for (const ip of ['127.0.0.1', '::1', '10.1.2.3', '192.168.1.1', 'fd12::1', '8.8.8.8']) {
      assert.equal(checkAddress(ip, OPEN), null, ip);
    }
    assert.ok(checkAddress('not-an-ip', OPEN));
  });

  test('allow narrows and deny removes', () => {
    const policy: NetPolicy = { allow: ['10.0.0.0/8'], deny: ['10.9.0.0/16'] };
    assert.equal(checkAddress('10.1.2.3', policy), null);
    assert.equal(checkAddress('::ffff:10.1.2.3', policy), null);
    assert.match(checkAddress('10.9.1.1', policy) ?? '', /denied/);
    assert.match(checkAddress('192.168.1.1', policy) ?? '', /not in the allowed/);
  });
});

describe('streamerBaseUrl', () => {
  test('strips the API prefix, slashes and credentials; falls back to the hostname', () => {
    const base = (api_url?: string | null) => streamerBaseUrl({ hostname: 'fl1', api_url });
    assert.equal(base(null), 'http://fl1');
    assert.equal(base(''), 'http://fl1');
    assert.equal(base('http://10.0.0.5:81/'), 'http://10.0.0.5:81');
    assert.equal(base('https://u:p@fl.example/streamer/api/v3/'), 'https://fl.example');
    assert.equal(base('http://fl:81/flussonic/api/v3'), 'http://fl:81');
    assert.equal(base('http://fl/proxy/?x=1#y'), 'http://fl/proxy');
    for (const bad of ['ftp://fl/', 'file:///etc/passwd', 'http://', 'not a url']) {
      assert.throws(
        () => base(bad),
        (e: unknown) => e instanceof StreamerError && e.code === 'bad_url',
      );
    }
    assert.throws(() => streamerBaseUrl({ hostname: 'a/b' }), StreamerError);
  });
});

describe('streamer client over HTTP', () => {
  test('GET and PUT config with the Cluster header and Accept: application/json', async () => {
    const s = await streamer((req, res, body) => {
      if (!verifyClusterAuthHeader(req.headers.authorization, KEY, Date.now())) return json(res, 401, {});
      assert.equal(req.headers.accept, 'application/json');
      if (req.method === 'PUT') return json(res, 200, { ...JSON.parse(body), server_id: 'x' });
      json(res, 200, { cluster_key: KEY, streams: [] });
    });
    const c = client();
    assert.deepEqual(await c.getConfig(s.target), { cluster_key: KEY, streams: [] });
    assert.deepEqual(await c.putConfig(s.target, { event_sinks: [] }), { event_sinks: [], server_id: 'x' });
    await rejectsWith(c.getConfig({ ...s.target, cluster_key: 'wrong' }), 'unauthorized', 401);
  });

  test('metadata and denied addresses are blocked before any connection', async () => {
    const s = await streamer((_req, res) => json(res, 200, {}));
    const c = client({ allow: ['169.254.0.0/16', '127.0.0.0/8'], deny: [] });
    for (const api_url of [
      'http://169.254.169.254/',
      'http://[::ffff:169.254.169.254]/',
      'http://0xa9fea9fe/',
      'http://[fd00:ec2::254]/',
    ]) {
      await rejectsWith(c.getStats({ hostname: 'm', api_url, cluster_key: KEY }), 'blocked');
    }
    const local = `http://localhost:${s.port}`;
    const deny = client({ allow: [], deny: ['127.0.0.0/8', '::1/128'] });
    await rejectsWith(deny.getConfig({ ...s.target, api_url: local }), 'blocked');
    await rejectsWith(deny.getConfig(s.target), 'blocked');
    const narrow = client({ allow: ['10.0.0.0/8'], deny: [] });
    await rejectsWith(narrow.getConfig({ ...s.target, api_url: local }), 'blocked');
    assert.deepEqual(s.paths, [], 'no request reached the server');
    assert.deepEqual(await client({ allow: ['127.0.0.0/8'], deny: [] }).getConfig(s.target), {});
    assert.deepEqual(await client().getConfig({ ...s.target, api_url: local }), {});
  });

  test('redirects are never followed', async () => {
    const s = await streamer((req, res) => {
      if (req.url === '/elsewhere') return json(res, 200, {});
      res.writeHead(302, { Location: '/elsewhere' }).end();
    });
    await rejectsWith(client().getConfig(s.target), 'redirect', 302);
    assert.deepEqual(s.paths, ['/streamer/api/v3/config']);
  });

  test('one deadline covers a server that never answers or answers too slowly', async () => {
    const s = await streamer((req, res) => {
      if (req.url?.includes('stats')) return; // never answers
      res.writeHead(200, { 'Content-Type': 'application/json' }).write('{"a":');
      setTimeout(() => res.end('1}'), 2000).unref();
    });
    const c = client(OPEN, { timeoutMs: 200 });
    for (const call of [() => c.getStats(s.target), () => c.getConfig(s.target)]) {
      const started = Date.now();
      await rejectsWith(call(), 'timeout');
      assert.ok(Date.now() - started < patient(1500), `took ${Date.now() - started} ms`);
    }
  });

  test('bodies over the cap are cut off, declared or streamed', async () => {
    const s = await streamer((req, res) => {
      const big = `{"x":"${'a'.repeat(64 * 1024)}"}`;
      if (req.url?.includes('stats')) return res.writeHead(200).end(big); // with Content-Length
      res.writeHead(200);
      for (let i = 0; i < 8; i++) res.write('a'.repeat(8 * 1024)); // chunked
      res.end();
    });
    const c = client(OPEN, { maxBytes: 16 * 1024 });
    await rejectsWith(c.getStats(s.target), 'too_large');
    await rejectsWith(c.getConfig(s.target), 'too_large');
  });

  test('errors never carry the key or the raw body', async () => {
    const s = await streamer((req, res) => {
      const leak = `${req.headers.authorization} ${KEY}`;
      if (req.url?.endsWith('/config/stats')) return res.writeHead(500).end(leak);
      if (req.url?.includes('streams')) return json(res, 200, { streams: 'nope', leak });
      res.writeHead(200).end(`not json ${leak}`);
    });
    const c = client();
    const e1 = await rejectsWith(c.getStats(s.target), 'http_status', 500);
    const e2 = await rejectsWith(c.getConfig(s.target), 'invalid_response');
    const e3 = await rejectsWith(c.listStreams(s.target), 'invalid_response');
    for (const e of [e1, e2, e3]) assert.doesNotMatch(e.message, /Cluster|not json|leak/);
    const userinfo = { ...s.target, api_url: `http://admin:${KEY}@127.0.0.1:${s.port}/` };
    await rejectsWith(c.getStats(userinfo), 'http_status', 500);
    await rejectsWith(c.getStats({ ...s.target, api_url: 'http://127.0.0.1:1/' }), 'network');
    await rejectsWith(c.getStats({ ...s.target, api_url: `gopher://x:${KEY}@h/` }), 'bad_url');
  });

  test('stats come back sanitized', async () => {
    const s = await streamer((_req, res) =>
      json(res, 200, { cpu_usage: 48.6, memory_usage: 250, total_clients: -4, evil: 1, hostname: 7 }),
    );
    assert.deepEqual(await client().getStats(s.target), {
      cpu_usage: 49,
      memory_usage: 100,
      total_clients: 0,
    });
  });

  test('text PostgreSQL cannot store (NUL, lone surrogates) comes back storable, keys included', async () => {
    // Written by hand: JSON.stringify would escape the surrogate the same way, but not every streamer is Node.
    const raw =
      '{"error":"a\\u0000b","license_txt":"\\ud800x","k\\u0000":{"\\udc00":"\\u0000"},"__proto__":{"p":1}}';
    const s = await streamer((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(raw),
    );
    const got = await client().getConfig(s.target);
    assert.deepEqual(got, { error: 'a\uFFFDb', license_txt: '\uFFFDx', 'k\uFFFD': { '\uFFFD': '\uFFFD' } });
    assert.equal(({} as Record<string, unknown>).p, undefined);
    const stats = await client().getStats(s.target);
    assert.equal(stats.error, 'a\uFFFDb');
  });

  test('listAllStreams follows next and stops on a repeated cursor', async () => {
    const pages: Record<string, unknown> = {
      '': {
        streams: [{ name: 'a', stats: { status: 'running', bitrate: 1.7 } }, { name: 5 }, 'x'],
        next: 'c1',
      },
      c1: { streams: [{ name: 'b' }, { name: 'c', stats: { status: 'weird', alive: 'yes' } }], next: 'c2' },
      c2: { streams: [{ name: 'd', stats: null }], next: 'c2' },
    };
    const s = await streamer((req, res) => {
      const q = new URL(req.url ?? '', 'http://x').searchParams;
      assert.equal(q.get('select'), 'name,stats');
      json(res, 200, pages[q.get('cursor') ?? '']);
    });
    const all = await client().listAllStreams(s.target);
    assert.deepEqual(all, [
      { name: 'a', stats: { status: 'running', bitrate: 2 } },
      { name: 'b', stats: null },
      { name: 'c', stats: {} },
      { name: 'd', stats: null },
    ]);
    assert.equal(s.paths.length, 3);
  });

  test('listAllStreams stops after maxPages', async () => {
    let n = 0;
    const s = await streamer((_req, res) =>
      json(res, 200, { streams: [{ name: `s${n}` }], next: `c${++n}` }),
    );
    assert.equal((await client().listAllStreams(s.target, 3)).length, 3);
    assert.equal(s.paths.length, 3);
  });
});

describe('sanitizers', () => {
  test('peer stats: integers where the model says integer, clamped; unknown and mistyped fields dropped', () => {
    const out = sanitizePeerStats({
      cpu_usage: 48.5,
      memory_usage: -3,
      scheduler_load: 1e9,
      total_streams: 1e30,
      now: 1_700_000_000_123.7,
      uptime: Infinity,
      input_kbit: '100',
      hostname: 'x'.repeat(5000),
      streamer_status: 'hacked',
      rproxy: 'true',
      transcoder: true,
      __proto__: { polluted: true },
      partitions: [{ path: '/d', usage: 101.2, total_mb: 5.5, extra: 1 }, 'bad', null],
      config_external_status: { status: 'error', code: 502.4, reason: 'network_error', detail: {} },
      config_error: 'broken',
      text_alerts: { disk: 'full', n: 3 },
      config_version: [1_700_000_000, 2.2],
      healthcheck_status: { status: 'ok' },
    });
    assert.deepEqual(out, {
      cpu_usage: 49,
      memory_usage: 0,
      scheduler_load: 100,
      total_streams: 2 ** 31 - 1,
      now: 1_700_000_000_124,
      hostname: 'x'.repeat(1024),
      transcoder: true,
      partitions: [{ path: '/d', usage: 100, total_mb: 6 }],
      config_external_status: { status: 'error', code: 502, reason: 'network_error' },
      text_alerts: { disk: 'full' },
      config_version: [1_700_000_000, 2],
    });
    assert.deepEqual(sanitizePeerStats(null), {});
    assert.deepEqual(sanitizePeerStats([1, 2]), {});
  });

  test('stream stats: status enum, booleans, non-negative integers', () => {
    assert.deepEqual(
      sanitizeStreamStats({
        status: 'running',
        alive: true,
        bitrate: 2500.4,
        bytes_out: -1,
        ts_delay: 12.9,
        lifetime: 1e300,
        media_info: { tracks: [] },
        running_on: ['evil'],
      }),
      {
        status: 'running',
        alive: true,
        bitrate: 2500,
        bytes_out: 0,
        ts_delay: 13,
        lifetime: Number.MAX_SAFE_INTEGER,
      },
    );
    assert.deepEqual(sanitizeStreamStats({ status: 'paused', alive: 1 }), {});
  });
});
