// The streamer's own config_external URL follows the outbound address rules (protocol/net-rules): an
// admin (or anyone holding Central's cluster key) cannot make the streamer pull from a cloud metadata
// service or another always-denied address. Refused when set (400 naming config_external, nothing
// changed), at start-up (CONFIG_EXTERNAL), and at pull time: IP literals, every DNS answer, and
// redirects (never followed). Loopback and private Centrals stay allowed.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { clusterAuthHeader } from '@central/protocol/cluster-auth';
import type { NetPolicy } from '@central/protocol/net-rules';
import { pino } from 'pino';
import { tempDir } from '../../test-kit/backends.ts';
import { waitUntil } from '../../test-kit/fleet.ts';
import { createStreamer, type Streamer } from '../src/app.ts';
import { loadStreamerConfig, StreamerConfigError, type StreamerConfig } from '../src/config.ts';
import {
  ConfigExternalPoller,
  createAgents,
  destroyAgents,
  type PullResult,
} from '../src/config-external/poller.ts';
import { configExternalProblem } from '../src/config-external/target.ts';

const ADMIN = { login: 'admin', password: 'cfg-ext-rules-pass' };
const BASIC = `Basic ${Buffer.from(`${ADMIN.login}:${ADMIN.password}`).toString('base64')}`;
const KEY = 'CENTRAL-KEY-abcdef0123456789';
const METADATA = [
  'http://169.254.169.254/latest/',
  `http://${KEY}@169.254.169.254/latest/meta-data/`,
  'http://2852039166/latest/',
  'http://[::ffff:169.254.169.254]/',
  'http://[fd00:ec2::254]/',
  'https://100.100.100.200/latest/meta-data/',
  'http://168.63.129.16/machine',
  'http://[fe80::1]:8080/',
  'http://0.0.0.0:8080/',
  'http://224.0.0.1/',
];
const NO_LOOPBACK: NetPolicy = { allow: [], deny: ['127.0.0.0/8', '::1/128'] };

const running: { close(): Promise<unknown> }[] = [];
after(async () => {
  for (const r of running) await r.close();
});

/** An HTTP server counting connections; answers with `handler` (default: an empty stream list). */
async function countingServer(handler?: http.RequestListener) {
  let connections = 0;
  const server = http.createServer(
    handler ??
      ((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ streams: [{ name: 'pulled', inputs: [{ url: 'fake://fake' }] }] }));
      }),
  );
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const s = {
    port,
    connections: () => connections,
    close: () => (server.closeAllConnections(), new Promise<void>((r) => server.close(() => r()))),
  };
  running.push(s);
  return s;
}

async function start(over: Partial<StreamerConfig> = {}) {
  const config: StreamerConfig = {
    ...{ configFile: null, hostname: 'rules-test', httpPort: 0, clusterKey: 'cluster-1' },
    ...{ editAuth: ADMIN, dir: tempDir('streamer-cfg-ext-'), configExternal: null, pollIntervalMs: 200 },
    ...{ longPoll: false, ffmpeg: 'ffmpeg', logLevel: 'silent', ...over },
  };
  const s: Streamer = await createStreamer(config, pino({ level: 'silent' }));
  running.unshift(s);
  const port = await s.listen('127.0.0.1');
  const call = async (method: string, p: string, body?: unknown, auth = BASIC) => {
    const res = await fetch(`http://127.0.0.1:${port}/streamer/api/v3${p}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return { s, call };
}

/** One pull with `url`, as the follower makes it; resolves with its outcome. */
async function pullOnce(url: string, policy?: NetPolicy): Promise<PullResult> {
  const agents = createAgents();
  try {
    return await new Promise<PullResult>((resolve) => {
      const poller = new ConfigExternalPoller({
        url,
        hostname: 'rules-test',
        intervalMs: 60_000,
        longPoll: false,
        agents,
        ...(policy ? { policy } : {}),
        onResult: (r) => (poller.stop(), resolve(r)),
      });
      poller.start();
    });
  } finally {
    destroyAgents(agents);
  }
}

describe('config_external address rules', () => {
  test('PUT /config: a reserved address is a 400 naming config_external, and nothing changes', async () => {
    const { call } = await start();
    for (const url of METADATA) {
      const res = await call('PUT', '/config', { config_external: url, cluster_key: 'cluster-2' });
      assert.equal(res.status, 400, url);
      assert.deepEqual(res.body.path, ['config_external'], url);
      assert.match(res.body.error, /^config_external: refused by the address rules: .*reserved/, url);
      assert.ok(!JSON.stringify(res.body).includes(KEY), 'the key in the URL is not echoed');
    }
    const cfg = await call('GET', '/config');
    assert.equal(cfg.body.config_external ?? null, null, 'config_external unchanged');
    const signed = await call('GET', '/config', undefined, clusterAuthHeader('cluster-1', Date.now()));
    assert.equal(signed.status, 200, 'the cluster key of a refused PUT was not applied');
  });

  test('PUT /config: loopback and private Centrals are accepted and pulled from', async () => {
    const central = await countingServer();
    const { s, call } = await start();
    const url = `http://${KEY}@127.0.0.1:${central.port}/central/api/v3/streamers/rules-test`;
    const res = await call('PUT', '/config', { config_external: url });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await waitUntil(() => s.manager.names().includes('pulled'), 5000, 'the pulled stream');
    assert.equal(await configExternalProblem('http://10.0.0.5:8080/central/api/v3/streamers/x'), null);
    assert.equal(await configExternalProblem('https://[fd12::5]/central/api/v3/streamers/x'), null);
    assert.equal(await configExternalProblem('http://localhost:8080/'), null);
  });

  test('a name is checked by what it resolves to', async () => {
    assert.match((await configExternalProblem('http://localhost:1/', NO_LOOPBACK)) ?? '', /address rules/);
    assert.equal(await configExternalProblem('http://no-such-host.invalid/', NO_LOOPBACK), null);
  });

  test('pulls: reserved literals are never contacted, the reason is in the status', async () => {
    for (const url of METADATA.slice(0, 4)) {
      const r = await pullOnce(url);
      assert.equal(r.kind, 'error', url);
      if (r.kind !== 'error') continue;
      assert.equal(r.status.status === 'error' && r.status.reason, 'network_error');
      assert.match(r.message, /refused by the address rules: .*reserved/, url);
      assert.ok(!r.message.includes(KEY));
    }
  });

  test('pulls: every DNS answer is checked (a name of a denied address is never contacted)', async () => {
    const central = await countingServer();
    const byName = await pullOnce(`http://localhost:${central.port}/central/api/v3/streamers/x`, NO_LOOPBACK);
    assert.equal(byName.kind, 'error');
    assert.match(byName.kind === 'error' ? byName.message : '', /refused by the address rules/);
    const literal = await pullOnce(`http://127.0.0.1:${central.port}/x`, NO_LOOPBACK);
    assert.match(literal.kind === 'error' ? literal.message : '', /refused by the address rules/);
    assert.equal(central.connections(), 0);
    // The same name under the default rules: pulled.
    assert.equal((await pullOnce(`http://localhost:${central.port}/x`)).kind, 'full');
  });

  test('pulls: a redirect is a failed pull, never followed', async () => {
    const target = await countingServer();
    const redirector = await countingServer((_req, res) =>
      res.writeHead(302, { location: `http://127.0.0.1:${target.port}/streams` }).end(),
    );
    const r = await pullOnce(`http://127.0.0.1:${redirector.port}/x`);
    assert.equal(r.kind, 'error');
    assert.equal(r.kind === 'error' ? r.httpStatus : null, 302);
    assert.equal(target.connections(), 0);
  });

  test('a streamer started with a reserved config_external never pulls it and says why', async () => {
    const { call } = await start({ configExternal: `http://${KEY}@169.254.169.254/latest/` });
    let status: Record<string, unknown> | undefined;
    await waitUntil(
      async () => {
        status = (await call('GET', '/config/stats')).body.config_external_status;
        return status?.status === 'error';
      },
      5000,
      'the refused pull in the stats',
    );
    assert.equal(status!.reason, 'network_error');
    assert.match(String(status!.error), /refused by the address rules/);
    assert.ok(!JSON.stringify(status).includes(KEY));
  });

  test('CONFIG_EXTERNAL at a reserved address is a configuration problem', () => {
    const problems = (value: string) => {
      try {
        loadStreamerConfig({ env: { STREAMER_CONFIG: '/dev/null', STREAMER_CONFIG_EXTERNAL: value } });
        return [];
      } catch (e) {
        if (e instanceof StreamerConfigError) return e.problems;
        throw e;
      }
    };
    assert.match(problems('http://169.254.169.254/latest/').join('\n'), /^CONFIG_EXTERNAL: refused/m);
    assert.match(problems(`http://${KEY}@[::ffff:a9fe:a9fe]/`).join('\n'), /^CONFIG_EXTERNAL: refused/m);
    assert.ok(!problems(`http://${KEY}@169.254.169.254/`).join('\n').includes(KEY));
    assert.deepEqual(problems('http://10.1.2.3:8080/central/api/v3/streamers/x'), []);
  });
});
