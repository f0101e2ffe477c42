// End to end with real processes and real ffmpeg: Central (on PGlite and on PostgreSQL) and two open
// streamers. A stream created with the getting-started curl plays as HLS from its ingest streamer;
// killing that streamer moves it, and it plays from the other within the fleet's failover target;
// deleting it stops its ffmpeg; with Central gone the streamers keep playing and report the error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { processBackends, tempDir } from '../../test-kit/backends.ts';
import { startCentral, waitUntil, type RunningCentral } from '../../test-kit/fleet.ts';
import { ffmpegAvailable, probeCodecs, processesMatching } from '../../test-kit/media.ts';
import { fetchNewestSegment, startStreamer, type RunningStreamer } from '../../test-kit/streamers.ts';
import { patient } from '../../test-kit/patience.ts';

const CLUSTER_KEY = 'e2e-cluster-key';
const EDIT_AUTH = { login: 'admin', password: 'central-e2e-pass' };
/** The fleet issue's failover target with default intervals; the test runs with faster ones. */
const FAILOVER_TARGET_MS = 20_000;

interface StreamBody {
  layout?: { ingest?: string };
  stats?: { status?: string };
}

/** The getting-started guide's request, word for word (Basic auth, the legacy /streamer prefix). */
function gettingStartedCurl(central: RunningCentral, name: string, url: string) {
  const basic = Buffer.from(`${EDIT_AUTH.login}:${EDIT_AUTH.password}`).toString('base64');
  return fetch(`${central.url}/streamer/api/v3/streams/${name}`, {
    method: 'PUT',
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, inputs: [{ url }] }),
  });
}

async function ingestOf(central: RunningCentral, name: string): Promise<string | undefined> {
  const r = await central.api<StreamBody>('GET', `/streams/${name}`);
  return r.body?.layout?.ingest;
}

/** Waits for an H.264 + AAC segment of `name` on `s`; returns how long it took. */
async function waitForPlayback(s: RunningStreamer, name: string, timeoutMs: number): Promise<number> {
  const dir = tempDir('segments-');
  let codecs: string[] = [];
  const took = await waitUntil(
    async () => {
      const file = await fetchNewestSegment(`${s.url}/${name}/index.m3u8`, dir);
      codecs = file ? probeCodecs(file) : [];
      return codecs.includes('h264') && codecs.includes('aac');
    },
    timeoutMs,
    `${name} to play from ${s.hostname}`,
    200,
  );
  assert.deepEqual([...codecs].sort(), ['aac', 'h264']);
  return took;
}

const backends = processBackends('media_e2e');

const media = ffmpegAvailable();
for (const backend of backends) {
  const env = media ? await backend.env() : null;
  describe(`Central + two open streamers on ${backend.name}`, { skip: !env }, () => {
    let central: RunningCentral;
    let streamers: RunningStreamer[] = [];
    const byName = (h: string | undefined) => streamers.find((s) => s.hostname === h)!;

    before(async () => {
      central = await startCentral({ ...env, EDIT_AUTH: `${EDIT_AUTH.login} ${EDIT_AUTH.password}` });
      streamers = await Promise.all(['ingest-a', 'ingest-b'].map((h) => startStreamer(h, CLUSTER_KEY)));
      for (const s of streamers) {
        const r = await central.api('PUT', `/streamers/${s.hostname}`, {
          api_url: s.url,
          cluster_key: CLUSTER_KEY,
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
    });

    after(async () => {
      await Promise.all(streamers.map((s) => s.process.stop('SIGKILL')));
      await central?.process.stop();
    });

    test('Central provisions both streamers and they pull from it', async () => {
      for (const s of streamers) {
        await waitUntil(
          async () =>
            (await s.api<{ config_external?: string }>('GET', '/config')).body.config_external !== undefined,
          10_000,
          `${s.hostname} provisioned`,
        );
        const stats = await s.api<Record<string, unknown>>('GET', '/config/stats');
        assert.deepEqual(stats.body.config_external_status, { status: 'loaded' });
      }
    });

    test('a stream made with the getting-started curl plays, then fails over to the other streamer', async (t) => {
      const res = await gettingStartedCurl(central, 'demo', 'fake://fake');
      assert.equal(res.status, 200, await res.text());
      await waitUntil(async () => (await ingestOf(central, 'demo')) !== undefined, 10_000, 'a layout');
      const first = byName(await ingestOf(central, 'demo'));
      const tookMs = await waitForPlayback(first, 'demo', 15_000);
      assert.ok(tookMs < patient(10_000), `first segment after ${tookMs} ms`);
      await waitUntil(
        async () => (await central.api<StreamBody>('GET', '/streams/demo')).body.stats?.status === 'running',
        10_000,
        'Central to see the stream running',
      );

      const killedAt = Date.now();
      await first.process.stop('SIGKILL');
      // Its ffmpeg dies with it (parent-death signal): nothing keeps writing into its data directory.
      await waitUntil(() => processesMatching(first.dir).length === 0, 3000, 'no orphan ffmpeg');
      const other = streamers.find((s) => s !== first)!;
      await waitForPlayback(other, 'demo', FAILOVER_TARGET_MS);
      const failoverMs = Date.now() - killedAt;
      assert.equal(await ingestOf(central, 'demo'), other.hostname);
      assert.ok(
        failoverMs < FAILOVER_TARGET_MS,
        `plays from ${other.hostname} ${failoverMs} ms after the kill`,
      );
      t.diagnostic(
        `first HLS segment ${tookMs} ms after the layout; failover ${failoverMs} ms after kill -9`,
      );
      await first.restart();
    });

    test('deleting the stream in Central stops its ffmpeg', async () => {
      const on = byName(await ingestOf(central, 'demo'));
      const view = await on.api<{ stats?: { status?: string } }>('GET', '/streams/demo');
      assert.equal(view.status, 200);
      assert.ok(processesMatching(`${on.dir}/media/demo`).length > 0, 'ffmpeg runs before the delete');
      assert.equal((await central.api('DELETE', '/streams/demo')).status, 204);
      await waitUntil(() => processesMatching(`${on.dir}/media/demo`).length === 0, 5000, 'ffmpeg to stop');
      assert.equal((await on.api('GET', '/streams/demo')).status, 404);
    });

    test('with Central gone, streamers keep their streams and report the error', async () => {
      const res = await gettingStartedCurl(central, 'keep', 'fake://fake');
      assert.equal(res.status, 200);
      await waitUntil(async () => (await ingestOf(central, 'keep')) !== undefined, 10_000, 'a layout');
      const on = byName(await ingestOf(central, 'keep'));
      await waitForPlayback(on, 'keep', 15_000);
      await central.process.stop();
      await waitUntil(
        async () => {
          const s = await on.api<{ config_external_status?: { status?: string } }>('GET', '/config/stats');
          return s.body.config_external_status?.status === 'error';
        },
        15_000,
        'config_external_status error',
      );
      const stats = await on.api<Record<string, unknown>>('GET', '/config/stats');
      assert.equal(stats.body.streamer_status, 'config_external_error');
      await waitForPlayback(on, 'keep', 5000);
      // SIGTERM ends every ffmpeg before the streamer exits.
      assert.ok(processesMatching(on.dir).length > 0);
      assert.equal(await on.process.stop('SIGTERM'), 0);
      assert.deepEqual(processesMatching(on.dir), []);
    });
  });
}
