// GET /metrics of a real Central process (main.ts wiring: one Metrics for the apps and the fleet
// loops) with a real test streamer: the lease holder, layout rounds and moves, pulls (200 and 304)
// and the fleet gauges move as the work happens. METRICS_AUTH is left at its default (api_key).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TEST_API_KEY } from '../../test-kit/app.ts';
import { processBackends } from '../../test-kit/backends.ts';
import { startCentral, waitUntil, type RunningCentral } from '../../test-kit/fleet.ts';
import { Scrape } from '../../test-kit/metrics.ts';
import { TestStreamer } from '../../test-kit/test-streamer.ts';

const backends = processBackends('metrics');

for (const backend of backends) {
  describe(`metrics end to end on ${backend.name}`, () => {
    let central: RunningCentral | undefined;
    const streamer = new TestStreamer({ hostname: 'm1', clusterKey: 'ck-m1', pollIntervalMs: 200 });

    before(async () => {
      const env = await backend.env();
      if (!env) return;
      await streamer.start();
      central = await startCentral(env);
    });
    after(async () => {
      await streamer.stop();
      await central?.process.stop();
    });

    const scrape = async (authorization = `Bearer ${TEST_API_KEY}`) => {
      const res = await fetch(`${central!.url}/metrics`, { headers: { authorization } });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      return new Scrape(text);
    };
    const until = async (what: string, check: (s: Scrape) => boolean, ms = 15_000) => {
      let last: Scrape | null = null;
      await waitUntil(async () => check((last = await scrape())), ms, what, 200);
      return last!;
    };

    test('lease, layout, pulls and gauges follow the fleet loops', async (t) => {
      if (!central) return t.skip('PostgreSQL is not installed here');
      const c = central;
      assert.equal((await fetch(`${c.url}/metrics`)).status, 401, 'METRICS_AUTH defaults to api_key');
      const led = await until('this process leads', (s) => s.value('central_lease_holder') === 1);
      assert.ok(led.value('central_lease_epoch') >= 1);
      assert.ok(led.value('central_process_resident_memory_bytes') > 0, 'process metrics');
      const moves = (s: Scrape) => s.value('central_layout_moves_total', { reason: 'not_distributed' });
      const placed = moves(led);

      const reg = await c.api('PUT', '/streamers/m1', { api_url: streamer.apiUrl, cluster_key: 'ck-m1' });
      assert.equal(reg.status, 200);
      for (const name of ['a', 'b', 'c'])
        assert.equal(
          (await c.api('PUT', `/streams/${name}`, { inputs: [{ url: `udp://239.0.0.1/${name}` }] })).status,
          200,
        );
      await c.api('PUT', '/streams/c', { disabled: true });
      await streamer.waitFor((s) => s.streams.has('a') && s.streams.has('b'), 15_000);

      const s = await until('two placements counted', (x) => moves(x) - placed >= 2);
      assert.equal(moves(s) - placed, 2, 'one move per stream placed, with the history reason');
      assert.ok(s.count('central_layout_round_duration_seconds') >= 1);
      assert.ok(s.value('central_config_pulls_total', { result: '200' }) >= 1);
      await streamer.waitFor((x) => x.stats.notModified >= 2, 10_000);
      const notModified = streamer.stats.notModified;
      const later = await until(
        'the streamer is online',
        (x) => x.value('central_streamers', { state: 'online' }) === 1,
      );
      assert.ok(
        later.value('central_config_pulls_total', { result: '304' }) >= notModified,
        'every 304 the streamer received is counted as 304',
      );
      assert.ok(later.count('central_config_pull_duration_seconds') >= notModified + 1);
      const streams = ['running', 'waiting', 'error'].map((status) =>
        later.value('central_streams', { status }),
      );
      assert.equal(
        streams.reduce((a, b) => a + b, 0),
        2,
        'two enabled streams',
      );
      assert.equal(later.value('central_streams', { status: 'disabled' }), 1);
    });
  });
}
