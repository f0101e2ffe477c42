// Transcoder settings are bounded (protocol TRANSCODER_LIMITS): `{"size":"8192x8192","fps":1000}` made
// one ffmpeg take 858 MB and a whole core. Central refuses such a stream at save time with a 400 naming
// the field, single and batch, and stores nothing; settings within the limits (8K, 120 fps) are kept.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { TRANSCODER_LIMITS, transcoderProblem } from '@central/protocol';
import { testBackends } from '../../test-kit/backends.ts';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';

const P = '/central/api/v3';
const fake = [{ url: 'fake://fake' }];

describe('transcoder limits (pure)', () => {
  test('each bound, and the field it names', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ video: [{ size: '8192x8192', fps: 1000 }] }, '/transcoder/video/0/size', /width 8192 is above 7680/],
      [{ video: [{ size: { width: 7680, height: 7680 } }] }, '/transcoder/video/0/size', /more pixels/],
      [{ video: [{ size: { width: 640, height: 10_000 } }] }, '/transcoder/video/0/size', /height/],
      [{ video: [{}, { fps: 1000 }] }, '/transcoder/video/1/fps', /1000 is above 120/],
      [{ video: [{ fps: '240' }] }, '/transcoder/video/0/fps', /above 120/],
      [{ video: [{ bitrate: '1000M' }] }, '/transcoder/video/0/bitrate', /above 200000000/],
      [{ video: [{ bitrate: 1e12 }] }, '/transcoder/video/0/bitrate', /above/],
      [{ audio: { bitrate: '20M' } }, '/transcoder/audio/bitrate', /above 2000000/],
      [{ audio: { sample_rate: 10_000_000 } }, '/transcoder/audio/sample_rate', /above 192000/],
      [{ audio: { channels: 1000 } }, '/transcoder/audio/channels', /above 16/],
      [{ tracks: [{ content: 'video', size: { width: 16384 } }] }, '/transcoder/tracks/0/size', /width/],
      [{ tracks: [{ content: 'audio', bitrate: 5_000_000 }] }, '/transcoder/tracks/0/bitrate', /above/],
      [{ global: { fps: 500 } }, '/transcoder/global/fps', /above 120/],
      // Spellings the streamer reads must not slip past the check (found by an attack on real ffmpeg).
      [{ video: [{ size: '0000000000008000x16' }] }, '/transcoder/video/0/size', /width 8000/],
      [{ video: [{ fps: `${'0'.repeat(34)}1000` }] }, '/transcoder/video/0/fps', /1000 is above/],
      [
        { video: [{ size: { width: `${'0'.repeat(40)}8000`, height: 16 } }] },
        '/transcoder/video/0/size',
        /8000/,
      ],
      [{ audio: { channels: `${'0'.repeat(40)}64` } }, '/transcoder/audio/channels', /64 is above/],
    ];
    for (const [tc, pointer, reason] of cases) {
      const p = transcoderProblem(tc);
      assert.equal(p?.pointer, pointer, JSON.stringify(tc));
      assert.match(p!.title, reason, JSON.stringify(tc));
      assert.match(p!.title, /^transcoder[.[]/);
    }
    assert.equal(
      transcoderProblem({ video: [{ size: '8192x8192' }] })?.title.split(':')[0],
      'transcoder.video[0].size',
    );
    // At the limits, Flussonic's special values, "copy", and shapes the limits do not read: accepted.
    for (const tc of [
      null,
      {},
      { video: [{ size: { width: 7680, height: 4320 }, fps: 120, bitrate: 200_000_000 }] },
      { video: [{ size: '3840x2160', fps: 'auto', bitrate: 'copy' }], audio: { bitrate: 'copy' } },
      { video: [{ size: { width: 1280, height: -1, strategy: 'fit' }, fps: '30000/1001' }] },
      { audio: { codec: 'aac', bitrate: 128_000, sample_rate: 48_000, channels: 2 } },
      { video: [{ bitrate: 2000000, codec: 'h264', track: 1 }], global: { hw: 'cpu' } },
      {
        tracks: [
          { content: 'audio', bitrate: 128 },
          { content: 'video', bitrate: 2543 },
        ],
      },
    ])
      assert.equal(transcoderProblem(tc), null, JSON.stringify(tc));
    assert.equal(TRANSCODER_LIMITS.maxPixels, 7680 * 4320);
  });
});

for (const backend of await testBackends()) {
  describe(`transcoder limits at save time on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(backend)));
    after(() => t.close());
    beforeEach(() => t.reset());

    test('PUT /streams/{name}: 400 naming the field, nothing stored', async () => {
      const res = await t.call('PUT', `${P}/streams/huge`, {
        inputs: fake,
        transcoder: { video: [{ size: '8192x8192', fps: 1000 }] },
      });
      assert.equal(res.statusCode, 400, res.body);
      const [err] = res.json().errors;
      assert.equal(err.code, 'invalid_field');
      assert.equal(err.source.pointer, '/transcoder/video/0/size');
      assert.match(err.title, /^transcoder\.video\[0\]\.size: /);
      assert.equal((await t.call('GET', `${P}/streams/huge`)).statusCode, 404, 'nothing stored');

      const fps = await t.call('PUT', `${P}/streams/fast`, {
        inputs: fake,
        transcoder: { video: [{ size: { width: 1280, height: 720 }, fps: 1000 }] },
      });
      assert.equal(fps.statusCode, 400);
      assert.equal(fps.json().errors[0].source.pointer, '/transcoder/video/0/fps');
    });

    test('an existing stream keeps its transcoder when a patch goes above the limits', async () => {
      const transcoder = { video: [{ size: { width: 1920, height: 1080 }, fps: 30, bitrate: 4_000_000 }] };
      assert.equal((await t.call('PUT', `${P}/streams/keep`, { inputs: fake, transcoder })).statusCode, 200);
      const res = await t.call('PUT', `${P}/streams/keep`, { transcoder: { audio: { bitrate: '50M' } } });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errors[0].source.pointer, '/transcoder/audio/bitrate');
      const kept = (await t.call('GET', `${P}/streams/keep`)).json();
      assert.deepEqual(kept.transcoder, transcoder);
    });

    test('PUT /streams/batch: the item is named and nothing of the batch is stored', async () => {
      const res = await t.call('PUT', `${P}/streams/batch`, [
        { name: 'b-ok', inputs: fake, transcoder: { video: [{ size: '1280x720' }] } },
        { name: 'b-big', inputs: fake, transcoder: { video: [{ bitrate: 2_000_000, size: '15360x8640' }] } },
      ]);
      assert.equal(res.statusCode, 400);
      const [err] = res.json().errors;
      assert.equal(err.source.pointer, '/1/transcoder/video/0/size');
      assert.match(err.title, /^\[1\]\.transcoder\.video\[0\]\.size: /);
      for (const name of ['b-ok', 'b-big'])
        assert.equal((await t.call('GET', `${P}/streams/${name}`)).statusCode, 404, name);
    });

    test('8K at 120 fps and Flussonic-shaped settings are accepted', async () => {
      const transcoder = {
        video: [
          { track: 1, size: { width: 7680, height: 4320, strategy: 'fit' }, fps: 120, bitrate: 100_000_000 },
          { track: 2, size: { width: 1280, height: -1 }, fps: 'auto', bitrate: 'copy', codec: 'hevc' },
        ],
        audio: { codec: 'aac', bitrate: 128_000, sample_rate: 48_000, channels: 2 },
        global: { hw: 'cpu' },
      };
      const res = await t.call('PUT', `${P}/streams/ok`, { inputs: fake, transcoder });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().transcoder, transcoder);
    });
  });
}
