// End to end (issue 12): a real Central process and real test streamers. Streamers still holding the
// API-key URL of an older version move to their own pull keys without a refused pull or a stopped
// stream; no streamer ever receives the API key; one streamer's key pulling for a dead one neither
// works nor keeps it alive; rotation re-provisions the streamer and cuts the old key off.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { TEST_API_KEY } from '../../test-kit/app.ts';
import { processBackends } from '../../test-kit/backends.ts';
import { freePort, startCentral, waitUntil, type RunningCentral } from '../../test-kit/fleet.ts';
import { clusterHeader, TestStreamer } from '../../test-kit/test-streamer.ts';

type PullKey = { pull_key: string; config_external: string };
const keyIn = (url: string | null) => decodeURIComponent(new URL(url ?? 'http://x').username);

/**
 * A GET from another loopback address than the streamers' own: the refusals it earns count against
 * that address (failed credentials lock an address out), not against the streamers.
 */
function getFrom(localAddress: string, url: string, authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress, headers: { authorization } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

/** Which test streamer runs each stream (the last one listed wins while a stream moves). */
function placement(streamers: TestStreamer[]): Map<string, string> {
  const where = new Map<string, string>();
  for (const s of streamers) if (s.running) for (const name of s.streams.keys()) where.set(name, s.hostname);
  return where;
}

for (const backend of processBackends('pullkeys')) {
  describe(`pull keys end to end on ${backend.name}`, () => {
    let central: RunningCentral | undefined;
    let env: Record<string, string> | null = null;
    const streamers: TestStreamer[] = [];
    /** Streams that left a streamer while it was alive (they must never). */
    const dropped: string[] = [];

    before(async () => {
      env = await backend.env();
      if (!env) return;
      for (const i of [1, 2]) {
        const s = new TestStreamer({ hostname: `s${i}`, clusterKey: `ck-${i}`, pollIntervalMs: 200 });
        let running = new Set<string>();
        s.onChange = () => {
          if (s.running) dropped.push(...[...running].filter((n) => !s.streams.has(n)));
          running = new Set(s.streams.keys());
        };
        await s.start();
        streamers.push(s);
      }
    });
    after(async () => {
      for (const s of streamers) await s.stop();
      await central?.process.stop();
    });

    test('upgrade: streamers pulling with the API-key URL move to their own keys, no pull refused, no stream stopped', async (t) => {
      if (!env) return t.skip('PostgreSQL is not installed here');
      const port = await freePort();
      // Before: what an older Central provisioned (here written by hand, provisioning off).
      const old = await startCentral({ ...env, CLUSTER_NODE_CONFIG_PROVISION_ENABLED: 'false' }, port);
      central = old;
      for (const [i, s] of streamers.entries()) {
        assert.equal(
          (
            await old.api('PUT', `/streamers/${s.hostname}`, {
              api_url: s.apiUrl,
              cluster_key: `ck-${i + 1}`,
            })
          ).status,
          200,
        );
        s.configExternal = `${old.url.replace('//', `//${TEST_API_KEY}@`)}/central/api/v3/streamers/${s.hostname}`;
      }
      const batch = Array.from({ length: 6 }, (_, i) => ({
        name: `u${i}`,
        inputs: [{ url: `fake://u${i}` }],
        streamer_hostname: `s${(i % 2) + 1}`,
      }));
      assert.equal((await old.api('PUT', '/streams/batch', batch)).status, 204);
      // Only there: a stream placed before its preferred streamer was seen online moves to it, and the
      // streamer it leaves drops it a poll later; that is no drop, but it must be over before counting.
      await waitUntil(
        () =>
          batch.every((b) =>
            streamers.every((s) => s.streams.has(b.name) === (s.hostname === b.streamer_hostname)),
          ),
        10_000,
        'every stream running on its streamer only, pulled with the API key',
      );
      dropped.length = 0;
      await old.process.stop();

      // After: the new version starts on the same database and address.
      central = await startCentral(env, port);
      const c = central;
      const keys = new Map<string, PullKey>();
      for (const s of streamers)
        keys.set(s.hostname, (await c.api<PullKey>('GET', `/streamers/${s.hostname}/pull_key`)).body);
      await waitUntil(
        () => streamers.every((s) => s.configExternal === keys.get(s.hostname)!.config_external),
        10_000,
        'each streamer re-provisioned with its own key',
      );
      const answered = (s: TestStreamer) => s.stats.pulls + s.stats.notModified;
      const pulls = streamers.map(answered);
      await waitUntil(
        () => streamers.every((s, i) => answered(s) > pulls[i]! && s.stats.lastError === null),
        5000,
        'a pull answered with the new key',
      );
      for (const s of streamers) assert.equal(s.stats.refusedPulls, 0, `${s.hostname}: no pull refused`);
      assert.deepEqual(dropped, [], 'no stream stopped on the way');
      assert.equal(placement(streamers).size, batch.length);
    });

    test('no streamer ever receives the API key; each carries its own key', async (t) => {
      if (!central) return t.skip('PostgreSQL is not installed here');
      const seen = new Set<string>();
      for (const [i, s] of streamers.entries()) {
        const ext = s.configExternal!;
        assert.ok(!ext.includes(TEST_API_KEY), `${s.hostname} holds the API key: ${ext}`);
        const key = keyIn(ext);
        assert.match(key, /^[\w-]{43}$/);
        seen.add(key);
        // What the streamer itself shows to its admins and its cluster peers.
        const res = await fetch(`${s.apiUrl}/streamer/api/v3/config`, {
          headers: { authorization: clusterHeader(`ck-${i + 1}`, Date.now()) },
        });
        const shown = await res.text();
        assert.equal(res.status, 200);
        assert.ok(!shown.includes(TEST_API_KEY) && shown.includes(key));
      }
      assert.equal(seen.size, streamers.length, 'keys differ');
      const listed = JSON.stringify((await central.api('GET', '/streamers')).body);
      for (const key of seen) assert.ok(!listed.includes(key), 'no pull key in GET /streamers');
    });

    test("s1's key pulling for a dead s2 is refused and does not keep it alive: s2's streams move", async (t) => {
      if (!central) return t.skip('PostgreSQL is not installed here');
      const c = central;
      const [s1, s2] = streamers as [TestStreamer, TestStreamer];
      const stolen = keyIn(s1.configExternal);
      const onS2 = [...placement(streamers)].filter(([, h]) => h === 's2').map(([n]) => n);
      assert.ok(onS2.length > 0);
      await s2.stop();
      const statuses: number[] = [];
      let attacking = true;
      const attack = (async () => {
        for (let i = 0; attacking; i++) {
          const authorization =
            i % 2 ? `Bearer ${stolen}` : `Basic ${Buffer.from(`${stolen}:`).toString('base64')}`;
          statuses.push(
            await getFrom('127.0.0.2', `${c.url}/central/api/v3/streamers/s2/streams?host=s2`, authorization),
          );
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      try {
        await waitUntil(
          () => onS2.every((n) => placement([s1]).get(n) === 's1'),
          3000 + 6000,
          "s2's streams running on s1 (dead timeout 3 s)",
        );
      } finally {
        attacking = false;
        await attack;
      }
      assert.ok(statuses.length > 5);
      // Refused (403), and after a few refusals the address is locked out (429) as well.
      assert.equal(statuses[0], 403);
      assert.ok(
        statuses.every((x) => x === 403 || x === 429),
        `every pull with the wrong key refused: ${statuses.join()}`,
      );
      const dead = await c.api<{ status: { state: string } }>('GET', '/streamers/s2');
      assert.equal(dead.body.status.state, 'offline');
    });

    test('rotation re-provisions the streamer within moments; the old key stops working', async (t) => {
      if (!central) return t.skip('PostgreSQL is not installed here');
      const c = central;
      const s1 = streamers[0]!;
      const oldKey = keyIn(s1.configExternal);
      const running = [...s1.streams.keys()];
      const rotated = await c.api<PullKey>('POST', '/streamers/s1/rotate_pull_key');
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.body.pull_key, oldKey);
      const took = await waitUntil(
        () => s1.configExternal === rotated.body.config_external,
        5000,
        's1 re-provisioned with the new key',
      );
      t.diagnostic(`rotation → new URL in the streamer: ${took} ms`);
      const refused = await getFrom(
        '127.0.0.3',
        `${c.url}/central/api/v3/streamers/s1/streams`,
        `Bearer ${oldKey}`,
      );
      assert.equal(refused, 403);
      const answered = s1.stats.pulls + s1.stats.notModified;
      await waitUntil(
        () => s1.stats.pulls + s1.stats.notModified > answered && s1.stats.lastError === null,
        5000,
        'a pull answered with the new key',
      );
      assert.deepEqual([...s1.streams.keys()].sort(), running.sort(), 's1 kept its streams');
      assert.deepEqual(dropped, []);
    });
  });
}
