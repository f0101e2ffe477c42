import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { testBackends } from '../../test-kit/backends.ts';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';

/** The stream as the client wrote it: `stats` is observed state (waiting while nothing runs it). */
function desired(body: Record<string, unknown>) {
  const { stats, ...rest } = body;
  assert.deepEqual(stats, { status: 'waiting', alive: false, running_on: [] });
  return rest;
}

const P = '/central/api/v3';

for (const backend of await testBackends()) {
  describe(`streams API on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(backend)));
    after(() => t.close());
    beforeEach(() => t.reset());

    test('the getting-started request creates a stream (Basic admin:admin, legacy prefix)', async () => {
      const res = await t.app.inject({
        method: 'PUT',
        url: '/streamer/api/v3/streams/STREAM_NAME',
        headers: { authorization: 'Basic YWRtaW46YWRtaW4=', 'content-type': 'application/json' },
        payload: '{"name": "STREAM_NAME", "inputs": [{"url": "fake://fake"}]}',
      });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(desired(res.json()), {
        name: 'STREAM_NAME',
        inputs: [{ url: 'fake://fake' }],
        updated_at: t.clock.now(),
      });
      const got = await t.call('GET', `${P}/streams/STREAM_NAME`);
      assert.equal(got.json().inputs[0].url, 'fake://fake');
    });

    test('PUT merges: only the fields sent change; null removes a field', async () => {
      await t.call('PUT', `${P}/streams/a`, {
        name: 'a',
        title: 'A',
        inputs: [{ url: 'udp://1' }],
        protocols: { hls: true, dash: true },
      });
      t.clock.advance(1000);
      const res = await t.call('PUT', `${P}/streams/a`, {
        protocols: { dash: false },
        title: null,
        comment: 'c',
      });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(desired(res.json()), {
        name: 'a',
        inputs: [{ url: 'udp://1' }],
        protocols: { hls: true, dash: false },
        comment: 'c',
        updated_at: t.clock.now(),
      });
    });

    test('nulls are never stored, also inside lists, on create and on update', async () => {
      const created = await t.call('PUT', `${P}/streams/n`, {
        inputs: [{ url: 'udp://1', priority: null }],
        dvr: { root: null },
      });
      assert.deepEqual(created.json().inputs, [{ url: 'udp://1' }]);
      assert.deepEqual(created.json().dvr, {});
      const updated = await t.call('PUT', `${P}/streams/n`, { inputs: [{ url: 'udp://2', comment: null }] });
      assert.deepEqual(updated.json().inputs, [{ url: 'udp://2' }]);
    });

    test('"$reset": true replaces the whole config', async () => {
      await t.call('PUT', `${P}/streams/a`, { name: 'a', title: 'A', inputs: [{ url: 'udp://1' }] });
      t.clock.advance(1000);
      const res = await t.call('PUT', `${P}/streams/a`, { $reset: true, inputs: [{ url: 'udp://2' }] });
      assert.deepEqual(desired(res.json()), {
        name: 'a',
        inputs: [{ url: 'udp://2' }],
        updated_at: t.clock.now(),
      });
    });

    test('updated_at is kept by the server: moves on change, stays on no-op, ignores the client', async () => {
      const first = (await t.call('PUT', `${P}/streams/a`, { name: 'a', updated_at: 0, title: 'x' })).json();
      assert.equal(first.updated_at, t.clock.now());
      t.clock.advance(5000);
      const same = (await t.call('PUT', `${P}/streams/a`, { name: 'a', updated_at: 0, title: 'x' })).json();
      assert.equal(same.updated_at, first.updated_at, 'an unchanged stream keeps its updated_at');
      const changed = (await t.call('PUT', `${P}/streams/a`, { title: 'y', updated_at: 123 })).json();
      assert.equal(changed.updated_at, t.clock.now());
      t.clock.t -= 60_000; // a clock going backwards never makes updated_at go backwards
      const later = (await t.call('PUT', `${P}/streams/a`, { title: 'z' })).json();
      assert.ok(later.updated_at > changed.updated_at);
    });

    test('read-only and unknown fields are ignored', async () => {
      const res = await t.call('PUT', `${P}/streams/a`, {
        name: 'a',
        stats: { status: 'running' },
        layout: { ingest: 'x' },
        no_such_field: 1,
        inputs: [{ url: 'udp://1', extra_input_option: 'kept' }],
      });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(desired(res.json()), {
        name: 'a',
        inputs: [{ url: 'udp://1', extra_input_option: 'kept' }],
        updated_at: t.clock.now(),
      });
    });

    test("the Go SDK's empty name means the path name; nested read-only stats are dropped", async () => {
      const res = await t.call('PUT', `${P}/streams/sdk`, {
        name: '',
        updated_at: 0,
        inputs: [{ url: 'udp://1', stats: { bitrate: 1 } }],
        pushes: [{ url: 'rtmp://x/y', stats: 'anything' }],
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(desired(res.json()), {
        name: 'sdk',
        inputs: [{ url: 'udp://1' }],
        pushes: [{ url: 'rtmp://x/y' }],
        updated_at: t.clock.now(),
      });
      assert.equal((await t.call('PUT', `${P}/streams/batch`, [{ name: '' }])).statusCode, 400);
    });

    test('the body name wins over the path name', async () => {
      const res = await t.call('PUT', `${P}/streams/path-name`, { name: 'body-name', title: 't' });
      assert.equal(res.json().name, 'body-name');
      assert.equal((await t.call('GET', `${P}/streams/path-name`)).statusCode, 404);
      assert.equal((await t.call('GET', `${P}/streams/body-name`)).statusCode, 200);
    });

    test('names may contain "/" (raw or percent-encoded), and fixed words do not shadow them', async () => {
      await t.call('PUT', `${P}/streams/mylive/bunny`, { inputs: [{ url: 'udp://1' }] });
      assert.equal((await t.call('GET', `${P}/streams/mylive/bunny`)).json().name, 'mylive/bunny');
      assert.equal((await t.call('GET', `${P}/streams/mylive%2Fbunny`)).json().name, 'mylive/bunny');
      await t.call('PUT', `${P}/streams/caf%C3%A9%20tv`, {});
      assert.equal((await t.call('GET', `${P}/streams/caf%C3%A9%20tv`)).json().name, 'café tv');
      assert.equal((await t.call('DELETE', `${P}/streams/mylive/bunny`)).statusCode, 204);
      assert.equal((await t.call('GET', `${P}/streams/mylive/bunny`)).statusCode, 404);
    });

    test('a known field of the wrong type is a 400 naming it, and nothing is saved', async () => {
      const cases: [unknown, string][] = [
        [{ title: 5 }, '/title'],
        [{ disabled: 'yes' }, '/disabled'],
        [{ inputs: 'udp://1' }, '/inputs'],
        [{ inputs: [{ priority: 1 }] }, '/inputs/0/url'],
        [{ inputs: [{ url: 'udp://1', priority: 1.5 }] }, '/inputs/0/priority'],
        [{ segment_count: 2.5 }, '/segment_count'],
        [{ protocols: { hls: 'on' } }, '/protocols/hls'],
        [{ labels: { zone: 'has space' } }, '/labels/zone'],
        [{ namespace: 'bad/ns' }, '/namespace'],
        [{ dvr: { expiration: '1d' } }, '/dvr/expiration'],
        [{ named_by: 'robot' }, '/named_by'],
        [{ claims: { bitrate: -1 } }, '/claims/bitrate'],
      ];
      for (const [body, pointer] of cases) {
        const res = await t.call('PUT', `${P}/streams/bad`, body);
        assert.equal(res.statusCode, 400, JSON.stringify(body));
        const err = res.json().errors[0];
        assert.equal(err.status, '400');
        assert.equal(err.source.pointer, pointer, JSON.stringify(body));
        assert.match(err.title, new RegExp(pointer.split('/').filter(Boolean)[0]!));
      }
      assert.equal((await t.call('GET', `${P}/streams/bad`)).statusCode, 404);
    });

    test('bad names are rejected', async () => {
      for (const name of [
        '/abs',
        'a//b',
        'trailing/',
        'x'.repeat(300),
        '.',
        '..',
        'a/../b',
        'a/./c',
        'a/..',
        'tab\there',
      ]) {
        const res = await t.call('PUT', `${P}/streams/ok`, { name });
        assert.equal(res.statusCode, 400, name);
      }
      for (const name of ['a.b', '.hidden', 'a/..b', '...', 'v1.2/live']) {
        assert.equal((await t.call('PUT', `${P}/streams/x`, { name })).statusCode, 200, name);
      }
    });

    test('namespace is fixed at creation', async () => {
      await t.call('PUT', `${P}/streams/a`, { name: 'a', namespace: 'tenant1' });
      const res = await t.call('PUT', `${P}/streams/a`, { namespace: 'tenant2' });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errors[0].source.pointer, '/namespace');
      assert.equal(
        (await t.call('PUT', `${P}/streams/a`, { namespace: 'tenant1', title: 'ok' })).statusCode,
        200,
      );
      assert.equal((await t.call('GET', `${P}/streams/a`)).json().namespace, 'tenant1');
    });

    test('GET and DELETE of a missing stream are 404 with the error body', async () => {
      for (const m of ['GET', 'DELETE'] as const) {
        const res = await t.call(m, `${P}/streams/nope`);
        assert.equal(res.statusCode, 404);
        assert.deepEqual(res.json().errors[0], {
          status: '404',
          code: 'not_found',
          title: 'stream nope not found',
        });
      }
    });

    test('PUT /streams/batch is all or nothing', async () => {
      const ok = await t.call('PUT', `${P}/streams/batch`, [
        { name: 'b1', inputs: [{ url: 'udp://1' }] },
        { name: 'b2', title: 'two' },
      ]);
      assert.equal(ok.statusCode, 204);
      const merged = await t.call('PUT', `${P}/streams/batch`, [{ name: 'b1', title: 'one' }]);
      assert.equal(merged.statusCode, 204);
      assert.deepEqual((await t.call('GET', `${P}/streams/b1`)).json().inputs, [{ url: 'udp://1' }]);
      const bad = await t.call('PUT', `${P}/streams/batch`, [{ name: 'b3' }, { name: 'b4', title: 7 }]);
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().errors[0].source.pointer, '/1/title');
      assert.equal(
        (await t.call('GET', `${P}/streams/b3`)).statusCode,
        404,
        'nothing of a failed batch is saved',
      );
      assert.equal((await t.call('PUT', `${P}/streams/batch`, { name: 'x' })).statusCode, 400);
      assert.equal((await t.call('PUT', `${P}/streams/batch`, [{ title: 'no name' }])).statusCode, 400);
    });

    test('the whole stream schema round-trips', async () => {
      const full = {
        name: 'full',
        title: 'Full',
        comment: 'every kind of field',
        inputs: [
          {
            url: 'rtsp://cam/1',
            priority: 1,
            headers: { 'X-A': 'b' },
            source_timeout: 10,
            programs: [1, 2],
            via: 'agent://x',
          },
          { url: 'udp://239.0.0.1:1234', video_timeout: 5, latency: 1.5 },
        ],
        static: true,
        disabled: false,
        labels: { zone: 'eu-1', tier: 'gold' },
        namespace: 'tenant.a',
        streamer_hostname: 'edge-1.example.com',
        claims: { bitrate: 2543 },
        dvr: {
          reference: 'global',
          expiration: 86400,
          storage_limit: 1000000,
          disk_usage_limit: 90,
          schedule: [[800, 1600]],
          remotes: ['http://a'],
        },
        transcoder: {
          video: [{ bitrate: 2000000, codec: 'h264' }],
          audio: { codec: 'aac' },
          global: { hw: 'cpu' },
        },
        pushes: [{ url: 'rtmp://yt/live/key', retry_limit: 3, comment: 'yt' }],
        on_play: { url: 'http://auth/', max_sessions: 10, allowed_countries: ['DE'], extra: { a: 'b' } },
        on_publish: { url: 'http://pub/' },
        protocols: { hls: true, dash: false, cmaf: true, rtmp: true, webrtc: false, whitelist: true },
        segment_duration: 2000,
        segment_count: 5,
        chunk_duration: 500.5,
        url_prefix: 'http://cdn/',
        add_audio_only: true,
        hls_scte35: 'scte35',
        drm: { cas: 'x' },
        thumbnails: { enabled: true },
        backup: { file: 'b.mp4' },
        webrtc_abr: { start_track: 'v1' },
        transport: 'udp',
        srt_publish: { port: 9000 },
        srt_port_resolve: false,
        mpegts_ac3: 'keep',
        playback_headers: [{ playback: 'hls', headers: { a: 'b' } }],
        clients_timeout: false,
        source_timeout: 30,
        video_timeout: 20,
        audio_timeout: 20,
        max_retry_timeout: 30,
        retry_limit: 10,
        prepush: false,
        recheck_secondary_inputs_interval: 120,
        epg_enabled: true,
        dvbocr: 'add',
        vision: { alg: 'faces' },
        jpeg_snapshot_sign_key: 'k',
        position: 3,
        named_by: 'config',
        meta: { k: 'v' },
        autogenerated_episodes_close_timeout: 60,
      };
      const saved = await t.call('PUT', `${P}/streams/full`, full);
      assert.equal(saved.statusCode, 200, saved.body);
      const got = (await t.call('GET', `${P}/streams/full`)).json();
      assert.deepEqual(desired(got), { ...full, updated_at: t.clock.now() });
    });

    test('estimated_count follows creates, updates, deletes and a rolled-back batch exactly', async () => {
      const count = async () => (await t.call('GET', `${P}/streams?limit=1`)).json().estimated_count;
      assert.equal(await count(), 0);
      await Promise.all(Array.from({ length: 30 }, (_, i) => t.call('PUT', `${P}/streams/c${i}`, {})));
      assert.equal(await count(), 30);
      await t.call('PUT', `${P}/streams/c1`, { title: 'an update is not a new row' });
      await t.call('DELETE', `${P}/streams/c2`);
      assert.equal(await count(), 29);
      assert.equal(
        (await t.call('PUT', `${P}/streams/batch`, [{ name: 'new1' }, { name: 'x', title: 1 }])).statusCode,
        400,
      );
      const failing = await t.call('PUT', `${P}/streams/batch`, [
        { name: 'new2' },
        { name: 'c3', namespace: 'late' },
      ]);
      assert.equal(failing.statusCode, 400, 'the namespace change fails inside the transaction');
      assert.equal(await count(), 29, 'the rolled-back insert is not counted');
      await t.db.exec('TRUNCATE streams CASCADE');
      assert.equal(await count(), 0, 'TRUNCATE resets the count');
    });

    test('concurrent partial updates of one stream lose nothing', async () => {
      await t.call('PUT', `${P}/streams/c`, { name: 'c' });
      const fields = Array.from({ length: 20 }, (_, i) => `m${i}`);
      await Promise.all(fields.map((f) => t.call('PUT', `${P}/streams/c`, { meta: { [f]: 'v' } })));
      assert.deepEqual(
        Object.keys((await t.call('GET', `${P}/streams/c`)).json().meta).sort(),
        fields.sort(),
      );
    });
  });
}
