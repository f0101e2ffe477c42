// Streamer stats history: the health poller's samples (at most one per streamer per 30 s, in one
// statement per round, pruned after 24 h) and GET /streamers/{hostname}/stats_history.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { testBackends } from '../../test-kit/backends.ts';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';
import { FLEET_DEFAULTS } from '../src/config-fleet.ts';
import { HealthPoller } from '../src/health/poller.ts';
import type { StreamerClient } from '../src/lib/streamer-client.ts';

const P = '/central/api/v3';
const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** A streamer client whose every streamer answers these stats (cpu_usage counts the polls). */
function fakeClient() {
  let polls = 0;
  const client = {
    async getStats(t: { hostname: string }) {
      polls++;
      return {
        hostname: t.hostname,
        cpu_usage: polls % 100,
        memory_usage: 40,
        bandwidth_usage: 3,
        input_kbit: 12_000,
        output_kbit: 48_000,
        total_streams: 7,
        online_streams: 6,
      };
    },
    async listAllStreams() {
      return [];
    },
  } as unknown as StreamerClient;
  return { client, polls: () => polls };
}

function poller(t: TestApp, client: StreamerClient) {
  return new HealthPoller({
    db: t.db,
    clock: t.clock,
    fleet: FLEET_DEFAULTS,
    client,
    since: t.clock.now(),
    provisionError: () => null,
    onStateChange: () => {},
    log: () => {},
  });
}

/** Ticks every `stepMs` for `totalMs`, letting the polls started by each tick finish. */
async function run(t: TestApp, p: HealthPoller, totalMs: number, stepMs = 5000) {
  for (let elapsed = 0; elapsed <= totalMs; elapsed += stepMs) {
    await p.tick();
    await new Promise((r) => setTimeout(r, 5));
    t.clock.advance(stepMs);
  }
  await p.tick();
}

const samples = async (t: TestApp, hostname: string) =>
  (
    await t.db.query<{ at: number; cpu_usage: number }>(
      'SELECT at, cpu_usage FROM streamer_stats_history WHERE hostname = $1 ORDER BY at',
      [hostname],
    )
  ).rows;

async function insertSamples(t: TestApp, hostname: string, ats: number[]) {
  await t.db.query(
    `INSERT INTO streamer_stats_history (hostname, at, cpu_usage, memory_usage, bandwidth_usage, input_kbit,
       output_kbit, total_streams, online_streams)
     SELECT $1, a, 1, 2, 3, 4, 5, 6, 7 FROM unnest($2::bigint[]) AS a`,
    [hostname, ats],
  );
}

for (const backend of await testBackends()) {
  describe(`streamer stats history on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(backend)));
    after(() => t.close());
    beforeEach(async () => {
      await t.reset();
      for (const h of ['a', 'b']) await t.call('PUT', `${P}/streamers/${h}`, { api_url: `http://${h}:80` });
    });

    test('the poller keeps at most one sample per streamer per 30 s, across leaders too', async () => {
      const fake = fakeClient();
      const p = poller(t, fake.client);
      await run(t, p, 120_000);
      assert.ok(fake.polls() >= 40, `polled every 5 s (${fake.polls()} polls)`);
      for (const h of ['a', 'b']) {
        const rows = await samples(t, h);
        assert.ok(rows.length >= 4 && rows.length <= 5, `${h}: ${rows.length} samples in 2 minutes`);
        for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.at - rows[i - 1]!.at >= 30_000);
      }
      p.stop();
      // A new leader starts with no memory of the last sample: the database still keeps the spacing.
      const before = (await samples(t, 'a')).length;
      const next = poller(t, fakeClient().client);
      t.clock.advance(1000);
      await run(t, next, 10_000);
      const rows = await samples(t, 'a');
      assert.ok(rows.length <= before + 1);
      for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.at - rows[i - 1]!.at >= 30_000);
    });

    test('samples older than 24 h are pruned, at most once a minute', async () => {
      const now = t.clock.now();
      await insertSamples(t, 'a', [now - DAY - 5000, now - DAY + 30_000, now - HOUR]);
      const p = poller(t, fakeClient().client);
      await p.tick();
      assert.deepEqual(
        (await samples(t, 'a')).map((r) => r.at),
        [now - DAY + 30_000, now - HOUR],
      );
      // The polls these ticks start add fresh samples; only the old ones are looked at.
      const old = async (h: string) => (await samples(t, h)).filter((r) => r.at < now).map((r) => r.at);
      t.clock.advance(59_000);
      await insertSamples(t, 'b', [now - DAY - 1]);
      await p.tick();
      assert.deepEqual(await old('b'), [now - DAY - 1], 'not again within a minute');
      t.clock.advance(1000);
      await p.tick();
      assert.deepEqual(await old('b'), []);
      assert.deepEqual(await old('a'), [now - HOUR], 'the sample that turned 24 h old meanwhile');
    });

    test('GET /streamers/{hostname}/stats_history: the last hour by default, ascending integers', async () => {
      const now = t.clock.now();
      await insertSamples(t, 'a', [now - 2 * HOUR, now - HOUR - 1, now - HOUR, now - 60_000, now - 30_000]);
      await insertSamples(t, 'b', [now - 1000]);
      const res = await t.call('GET', `${P}/streamers/a/stats_history`);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.hostname, 'a');
      assert.deepEqual(
        body.points.map((p: { at: number }) => p.at),
        [now - HOUR, now - 60_000, now - 30_000],
      );
      assert.deepEqual(body.points[0], {
        at: now - HOUR,
        cpu_usage: 1,
        memory_usage: 2,
        bandwidth_usage: 3,
        input_kbit: 4,
        output_kbit: 5,
        total_streams: 6,
        online_streams: 7,
      });
      const since = await t.call('GET', `/streamer/api/v3/streamers/a/stats_history?since=${now - 2 * HOUR}`);
      assert.equal(since.json().points.length, 5);
    });

    test('stats_history: since is validated, unknown streamers are 404, at most 2880 (newest) points', async () => {
      for (const bad of ['abc', '-1', '1.5', '1e12', '99999999999999999999']) {
        const res = await t.call('GET', `${P}/streamers/a/stats_history?since=${bad}`);
        assert.equal(res.statusCode, 400, bad);
        assert.equal(res.json().errors[0].source.parameter, 'since');
      }
      assert.equal((await t.call('GET', `${P}/streamers/nope/stats_history`)).statusCode, 404);
      const now = t.clock.now();
      await insertSamples(
        t,
        'a',
        Array.from({ length: 3000 }, (_, i) => now - i * 20_000),
      );
      const points = (await t.call('GET', `${P}/streamers/a/stats_history?since=0`)).json().points;
      assert.equal(points.length, 2880);
      assert.equal(points.at(-1).at, now);
      assert.equal(points[0].at, now - 2879 * 20_000);
      for (let i = 1; i < points.length; i++) assert.ok(points[i].at > points[i - 1].at);
    });

    test('deleting a streamer deletes its history; the wire streamer is unchanged', async () => {
      await insertSamples(t, 'a', [t.clock.now()]);
      assert.equal((await t.call('GET', `${P}/streamers/a`)).json().hostname, 'a');
      assert.equal((await t.call('DELETE', `${P}/streamers/a`)).statusCode, 204);
      assert.equal((await samples(t, 'a')).length, 0);
      await t.call('PUT', `${P}/streamers/a`, {});
      assert.deepEqual((await t.call('GET', `${P}/streamers/a/stats_history?since=0`)).json().points, []);
    });
  });
}
