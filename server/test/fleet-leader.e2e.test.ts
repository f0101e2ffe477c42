// Two Central processes on one PostgreSQL: both serve the API, one leads the fleet loops. kill -9 of
// the leader hands the loops to the other within 15 s, and no stream ends up on two streamers.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { tempDir, testPostgres } from '../../test-kit/backends.ts';
import { freePort, startCentral, waitUntil, type RunningCentral } from '../../test-kit/fleet.ts';
import { TestStreamer } from '../../test-kit/test-streamer.ts';

const LEADS = /this process leads the fleet loops/;

test('kill -9 of the leading Central: the other takes over within 15 s; nothing placed twice', async (t) => {
  const server = await testPostgres();
  if (!server) return t.skip('PostgreSQL is not installed here');
  const url = await server.createDatabase('leader');
  const streamers: TestStreamer[] = [];
  for (const i of [1, 2, 3]) {
    const s = new TestStreamer({ hostname: `s${i}`, clusterKey: `ck-${i}`, pollIntervalMs: 200 });
    await s.start();
    streamers.push(s);
  }
  // Streamers reach "Central" at one address (in production a load balancer): here, process B.
  const portB = await freePort();
  const apiUrl = `http://127.0.0.1:${portB}`;
  const a = await startCentral({ CENTRAL_DIR: tempDir(), DATABASE_URL: url, API_URL: apiUrl });
  await waitUntil(() => LEADS.test(a.process.output()), 10_000, 'A leads');
  const b: RunningCentral = await startCentral(
    { CENTRAL_DIR: tempDir(), DATABASE_URL: url, API_URL: apiUrl },
    portB,
  );
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  after(async () => {
    for (const s of streamers) await s.stop();
    await a.process.stop('SIGKILL');
    await b.process.stop();
    await client.end();
  });

  for (const [i, s] of streamers.entries())
    assert.equal(
      (await b.api('PUT', `/streamers/${s.hostname}`, { api_url: s.apiUrl, cluster_key: `ck-${i + 1}` }))
        .status,
      200,
    );
  const streams = Array.from({ length: 24 }, (_, i) => ({
    name: `c${i}`,
    inputs: [{ url: `fake://c${i}` }],
  }));
  assert.equal((await b.api('PUT', '/streams/batch', streams)).status, 204);
  const total = () => streamers.reduce((n, s) => n + (s.running ? s.streams.size : 0), 0);
  await waitUntil(() => total() === 24, 10_000, 'all streams pulled');
  assert.ok(!LEADS.test(b.process.output()), 'B does not lead while A is alive');

  const killedAt = Date.now();
  await a.process.stop('SIGKILL');
  await waitUntil(() => LEADS.test(b.process.output()), 15_000, 'B takes over');
  const takeover = Date.now() - killedAt;
  t.diagnostic(`leader killed → the other leads after ${takeover} ms`);
  assert.ok(takeover < 15_000);
  const epochs = await client.query<{ epoch: string }>(
    `SELECT epoch FROM central_leases WHERE name = 'leader'`,
  );
  assert.equal(Number(epochs.rows[0]!.epoch), 2, 'the new leader writes with a new epoch');

  // The new leader's loops work: a streamer dies and its streams move.
  const s1 = streamers[0]!;
  const onS1 = [...s1.streams.keys()];
  await s1.stop();
  await waitUntil(
    () => onS1.every((n) => streamers[1]!.streams.has(n) || streamers[2]!.streams.has(n)),
    15_000,
    "s1's streams on the others",
  );
  await waitUntil(
    () => streamers[1]!.streams.size + streamers[2]!.streams.size === 24,
    5000,
    'every stream on exactly one live streamer',
  );
  const placed = await client.query<{ name: string; ingest: string }>(
    'SELECT name, ingest FROM stream_layouts',
  );
  assert.equal(placed.rowCount, 24);
  for (const r of placed.rows) assert.ok(streamers.find((s) => s.hostname === r.ingest)?.streams.has(r.name));
  const both = [...streamers[1]!.streams.keys()].filter((n) => streamers[2]!.streams.has(n));
  assert.deepEqual(both, [], 'no stream on two streamers');
});
