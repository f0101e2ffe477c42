// End to end: a real Central process, real test streamers over HTTP (provisioning, config_external
// pulls, stats polls), failover, hold-down, preferred streamer, channel_limit and health errors.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { processBackends } from '../../test-kit/backends.ts';
import { startCentral, waitUntil, type RunningCentral } from '../../test-kit/fleet.ts';
import { TestStreamer } from '../../test-kit/test-streamer.ts';

type Stream = {
  name: string;
  layout?: { ingest?: string; failover_from?: string; change_reason?: string };
  stats?: { status?: string; running_on?: string[] };
};

async function streamsOf(c: RunningCentral): Promise<Stream[]> {
  return (await c.api<{ streams: Stream[] }>('GET', '/streams?limit=1000')).body.streams;
}

/**
 * Which test streamer runs each stream. While a stream moves, the new streamer may pull it before the
 * old one drops it (make before break), so only a settled fleet is checked with `strict`.
 */
function placement(streamers: TestStreamer[], strict = false): Map<string, string> {
  const where = new Map<string, string>();
  for (const s of streamers) {
    if (!s.running) continue;
    for (const name of s.streams.keys()) {
      if (strict) assert.ok(!where.has(name), `${name} runs on ${where.get(name)} and ${s.hostname}`);
      where.set(name, s.hostname);
    }
  }
  return where;
}

const backends = processBackends('fleet');

for (const backend of backends) {
  describe(`fleet end to end on ${backend.name}`, () => {
    let central: RunningCentral;
    const streamers: TestStreamer[] = [];
    let skipped = false;

    before(async () => {
      const env = await backend.env();
      if (!env) {
        skipped = true;
        return;
      }
      for (const i of [1, 2, 3]) {
        const s = new TestStreamer({ hostname: `s${i}`, clusterKey: `ck-${i}`, pollIntervalMs: 200 });
        await s.start();
        streamers.push(s);
      }
      central = await startCentral(env);
    });
    after(async () => {
      for (const s of streamers) await s.stop();
      await central?.process.stop();
    });

    test('registered streamers receive config_external; streams are placed, pulled and running', async (t) => {
      if (skipped) return t.skip('PostgreSQL is not installed here');
      for (const [i, s] of streamers.entries()) {
        const res = await central.api('PUT', `/streamers/${s.hostname}`, {
          api_url: s.apiUrl,
          cluster_key: `ck-${i + 1}`,
          ...(i === 2 ? { channel_limit: 12 } : {}),
        });
        assert.equal(res.status, 200);
      }
      await waitUntil(() => streamers.every((s) => s.configExternal !== null), 5000, 'provisioning');
      // Each carries its own pull key (never the API key): the URL GET /streamers/{h}/pull_key shows.
      for (const s of streamers) {
        const key = await central.api<{ pull_key: string }>('GET', `/streamers/${s.hostname}/pull_key`);
        assert.equal(
          s.configExternal,
          `${central.url.replace('//', `//${key.body.pull_key}@`)}/central/api/v3/streamers/${s.hostname}`,
        );
      }
      await waitUntil(
        async () =>
          (
            await central.api<{ streamers: { status: { state: string } }[] }>('GET', '/streamers')
          ).body.streamers.every((x) => x.status.state === 'online'),
        5000,
        'all streamers online',
      );
      const batch = Array.from({ length: 30 }, (_, i) => ({
        name: `ch${String(i).padStart(2, '0')}`,
        inputs: [{ url: `fake://ch${i}` }],
      }));
      batch.push({ name: 'pref', inputs: [{ url: 'fake://pref' }], streamer_hostname: 's1' } as never);
      assert.equal((await central.api('PUT', '/streams/batch', batch)).status, 204);
      const pulled = await waitUntil(
        () => placement(streamers).size === 31,
        5000,
        'every stream in one pull',
      );
      t.diagnostic(`created → in a streamer's pull: ${pulled} ms`);
      const where = placement(streamers, true);
      assert.equal(where.get('pref'), 's1', 'the preferred streamer is honoured');
      assert.ok(
        [...where.values()].filter((h) => h === 's3').length <= 12,
        'channel_limit is never exceeded',
      );
      await waitUntil(
        async () =>
          (await streamsOf(central)).every(
            (s) => s.stats?.status === 'running' && s.stats.running_on?.join() === s.layout?.ingest,
          ),
        5000,
        'stats.status running with running_on',
      );
      const one = await central.api<Stream & { stats: { streaming_endpoint: string } }>(
        'GET',
        '/streams/pref',
      );
      assert.equal(one.body.stats.streaming_endpoint, `${streamers[0]!.apiUrl}/pref`);
      const urls = await central.api<{ urls: { hls: string } }>('GET', '/streams/pref/playback');
      assert.equal(urls.body.urls.hls, `${streamers[0]!.apiUrl}/pref/index.m3u8`);
      const history = await central.api<{ layouts: { ingest: string; originator: string }[] }>(
        'GET',
        '/streams/pref/layouts',
      );
      assert.deepEqual(
        history.body.layouts.map((l) => [l.ingest, l.originator]),
        [['s1', 'layouter']],
      );
    });

    test('a dead streamer: its streams move with node_become_offline; back after the hold-down only', async (t) => {
      if (skipped) return t.skip('PostgreSQL is not installed here');
      const s1 = streamers[0]!;
      const before = placement(streamers);
      const onS1 = [...before].filter(([, h]) => h === 's1').map(([n]) => n);
      assert.ok(onS1.length > 0);
      const stoppedAt = Date.now();
      await s1.stop();
      const moved = await waitUntil(
        () => {
          const now = placement(streamers);
          return onS1.every((n) => now.get(n) && now.get(n) !== 's1');
        },
        3000 + 4000,
        "s1's streams in the other streamers' pulls",
      );
      t.diagnostic(`streamer death → streams in other pulls: ${moved} ms (dead timeout 3000 ms)`);
      assert.ok(Date.now() - stoppedAt >= 2500, 'not before the dead timeout');
      const after = await streamsOf(central);
      for (const s of after.filter((x) => onS1.includes(x.name))) {
        assert.equal(s.layout?.change_reason, 'node_become_offline');
        assert.equal(s.layout?.failover_from, 's1');
      }
      assert.ok([...placement(streamers).values()].filter((h) => h === 's3').length <= 12, 'channel_limit');
      const dead = await central.api<{ stats: unknown; status: { state: string } }>('GET', '/streamers/s1');
      assert.equal(dead.body.stats, null);
      assert.equal(dead.body.status.state, 'offline');

      await s1.start();
      await waitUntil(
        async () =>
          (await central.api<{ status: { state: string } }>('GET', '/streamers/s1')).body.status.state ===
          'online',
        5000,
        's1 online again',
      );
      const onlineAt = Date.now();
      await waitUntil(() => s1.streams.size === 0, 2000, 's1 pulled its (empty) list');
      const snapshot = JSON.stringify([...placement(streamers)].sort());
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(
        JSON.stringify([...placement(streamers)].sort()),
        snapshot,
        'nothing moves during the hold-down',
      );
      await waitUntil(
        () => placement(streamers).get('pref') === 's1',
        6000,
        'pref back on s1 after the hold-down',
      );
      assert.ok(Date.now() - onlineAt >= 4500, 'not before the 5 s hold-down');
      const back = await central.api<Stream & { layout: { ingest_history: { ingest: string }[] } }>(
        'GET',
        '/streams/pref?include_ingest_history=true',
      );
      assert.equal(back.body.layout?.ingest, 's1');
      const ingests = back.body.layout.ingest_history.map((h) => h.ingest);
      assert.equal(ingests.length, 3, 'placed, failed over, returned');
      assert.equal(ingests[0], 's1');
      assert.equal(ingests[2], 's1');
      await waitUntil(
        () => !streamers[1]!.streams.has('pref') && !streamers[2]!.streams.has('pref'),
        2000,
        'old copy gone',
      );
      placement(streamers, true);
    });

    test('a wrong cluster key and blocked addresses show as errors in the streamer status', async (t) => {
      if (skipped) return t.skip('PostgreSQL is not installed here');
      const s4 = new TestStreamer({ hostname: 's4', clusterKey: 'right-key', pollIntervalMs: 200 });
      await s4.start();
      const redirect = http.createServer((_req, res) =>
        res.writeHead(302, { location: 'http://169.254.169.254/' }).end(),
      );
      await new Promise<void>((r) => redirect.listen(0, '127.0.0.1', r));
      try {
        await central.api('PUT', '/streamers/s4', { api_url: s4.apiUrl, cluster_key: 'wrong-key' });
        await central.api('PUT', '/streamers/meta', { api_url: 'http://169.254.169.254/' });
        const port = (redirect.address() as { port: number }).port;
        await central.api('PUT', '/streamers/redir', { api_url: `http://127.0.0.1:${port}` });
        type S = { status: { provisioning: { status: string; error?: string } } };
        const provisioning = async (h: string) =>
          (await central.api<S>('GET', `/streamers/${h}`)).body.status.provisioning;
        await waitUntil(
          async () => (await provisioning('s4')).status === 'error',
          5000,
          's4 provisioning error',
        );
        assert.match((await provisioning('s4')).error!, /401|unauthori[sz]ed|refused/i);
        await waitUntil(async () => (await provisioning('meta')).status === 'error', 5000, 'meta blocked');
        assert.match((await provisioning('meta')).error!, /reserved|block|not allowed/i);
        await waitUntil(
          async () => (await provisioning('redir')).status === 'error',
          5000,
          'redirect refused',
        );
        assert.match((await provisioning('redir')).error!, /redirect/i);
        // The streamer pulls on its own (configured by hand with its pull key): in contact, but the
        // cluster key is wrong.
        s4.configExternal = (
          await central.api<{ config_external: string }>('GET', '/streamers/s4/pull_key')
        ).body.config_external;
        type H = {
          stats: { healthcheck_status: { status: string; checks: { valid_cluster_key: boolean } } } | null;
        };
        await waitUntil(
          async () =>
            (await central.api<H>('GET', '/streamers/s4')).body.stats?.healthcheck_status.checks
              .valid_cluster_key === false,
          5000,
          's4 reported with an invalid cluster key',
        );
        const s = (await central.api<H>('GET', '/streamers/s4')).body.stats!;
        assert.equal(s.healthcheck_status.status, 'error');
        const checked = await central.api('PUT', '/streamers/meta2?checks_enable=true', {
          api_url: 'http://169.254.169.254/',
        });
        assert.equal(checked.status, 400, 'checks_enable refuses an unreachable streamer');
        assert.equal((await central.api('GET', '/streamers/meta2')).status, 404, 'and does not save it');
      } finally {
        await s4.stop();
        redirect.close();
      }
    });
  });
}
