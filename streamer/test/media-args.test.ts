// Pure parts of the media runner: the ffmpeg command line, input order, units, redaction, paths,
// progress parsing and the restart key. No ffmpeg needed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { TRANSCODER_LIMITS } from '@central/protocol';
import pino from 'pino';
import { ffmpegAvailable } from '../../test-kit/media.ts';
import { buildArgs, hlsWindow, scaleFilter } from '../src/media/ffmpeg-args.ts';
import { MediaManager, mediaKey, type StreamConfig } from '../src/media/manager.ts';
import { mediaDir } from '../src/media/paths.ts';
import { MediaProgress, playlistSegments } from '../src/media/progress.ts';
import { redactText, redactUrl, urlSecrets } from '../src/media/redact.ts';
import { orderInputs, type InputSpec } from '../src/media/sources.ts';
import { parseBitrate } from '../src/media/units.ts';

const PROXY = 'http://u:t@127.0.0.1:9';
const opts = { playlist: '/data/media/s/index.m3u8', append: false, proxy: PROXY };

/** `file`: the real path input-guard found for a file:// input. */
function args(cfg: Record<string, unknown>, o = opts, file?: string): string[] {
  const input = orderInputs(cfg)[0];
  assert.ok(input, 'the config has an input');
  const built = buildArgs(cfg, file ? { ...input, file } : input, o);
  assert.ok('args' in built, `expected args, got ${JSON.stringify(built)}`);
  return built.args;
}

/** The value following `flag` (its first occurrence). */
function after(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
}

test('a network input is copied, first video and audio mapped, with a 10 s I/O timeout', () => {
  const a = args({ inputs: [{ url: 'http://example.com/live/index.m3u8' }] });
  assert.equal(after(a, '-c:v'), 'copy');
  assert.equal(after(a, '-c:a'), 'copy');
  assert.deepEqual(a.slice(a.indexOf('-map'), a.indexOf('-map') + 4), ['-map', '0:v:0?', '-map', '0:a:0?']);
  assert.equal(after(a, '-rw_timeout'), '10000000');
  assert.equal(after(a, '-i'), 'http://example.com/live/index.m3u8');
  assert.deepEqual(after(a, '-protocol_whitelist')!.split(',').sort(), [
    ...['crypto', 'http', 'httpproxy', 'https', 'tcp', 'tls'],
  ]);
  assert.equal(after(a, '-http_proxy'), PROXY);
  assert.ok(!after(a, '-format_whitelist')!.split(',').includes('tty'));
  for (const f of ['-nostdin', '-nostats']) assert.ok(a.includes(f));
  assert.equal(after(a, '-progress'), 'pipe:1');
  assert.equal(after(a, '-stats_period'), '1');
  assert.ok(!a.includes('libx264'));
});

test('HLS output: window, segment names, flags; init time only for a fresh playlist', () => {
  const cfg = { inputs: [{ url: 'udp://239.0.0.1:1234' }], segment_duration: 4000, segment_count: 5 };
  const fresh = args(cfg);
  assert.equal(after(fresh, '-f'), 'hls');
  assert.equal(after(fresh, '-hls_time'), '4');
  assert.equal(after(fresh, '-hls_list_size'), '5');
  assert.equal(after(fresh, '-hls_init_time'), '1');
  assert.equal(after(fresh, '-hls_segment_filename'), 'seg-%d.ts');
  assert.equal(fresh.at(-1), opts.playlist);
  const flags = after(fresh, '-hls_flags')!.split('+');
  for (const f of ['delete_segments', 'omit_endlist', 'discont_start', 'temp_file', 'independent_segments'])
    assert.ok(flags.includes(f), f);
  assert.ok(!flags.includes('append_list'));
  const cont = args(cfg, { ...opts, append: true });
  assert.ok(after(cont, '-hls_flags')!.split('+').includes('append_list'));
  assert.equal(after(cont, '-hls_init_time'), undefined);
  assert.deepEqual(hlsWindow({}), { segmentMs: 2000, count: 6 });
  assert.deepEqual(hlsWindow({ segment_duration: 3 }), { segmentMs: 3000, count: 6 });
});

test('a transcoder encodes libx264 + aac with bitrate, size, fps, gop, preset', () => {
  const a = args({
    inputs: [{ url: 'rtmp://example.com/app/key' }],
    transcoder: {
      video: [
        {
          bitrate: '2M',
          codec: 'h264',
          size: { width: 1280, height: 720 },
          fps: 30,
          gop: 60,
          preset: 'fast',
        },
      ],
      audio: { codec: 'aac', bitrate: 96, sample_rate: 44100, channels: 2 },
    },
  });
  assert.equal(after(a, '-c:v'), 'libx264');
  assert.equal(after(a, '-b:v'), '2000000');
  assert.equal(after(a, '-r'), '30');
  assert.equal(after(a, '-g'), '60');
  assert.equal(after(a, '-preset'), 'fast');
  assert.match(after(a, '-vf')!, /^scale=1280:720/);
  assert.equal(after(a, '-c:a'), 'aac');
  assert.equal(after(a, '-b:a'), '96000');
  assert.equal(after(a, '-ar'), '44100');
  assert.equal(after(a, '-ac'), '2');
  // No gop: a keyframe every second keeps segments cut on time.
  const b = args({ inputs: [{ url: 'rtmp://h/a' }], transcoder: { video: [{ bitrate: 1000000 }] } });
  assert.equal(after(b, '-force_key_frames'), 'expr:gte(t,n_forced*1)');
  assert.equal(after(b, '-c:a'), 'copy');
  const c = args({ inputs: [{ url: 'rtmp://h/a' }], transcoder: { video: [], audio: { bitrate: 64000 } } });
  assert.equal(after(c, '-c:v'), 'copy');
  assert.equal(after(c, '-c:a'), 'aac');
  // One side given: the other follows the source's shape, within the pixel limit whatever that shape.
  assert.equal(
    scaleFilter({ width: 640 }),
    'scale=640:7680:force_original_aspect_ratio=decrease:force_divisible_by=2',
  );
  assert.equal(
    scaleFilter({ height: 7680 }),
    'scale=4320:7680:force_original_aspect_ratio=decrease:force_divisible_by=2',
  );
  // The streamer reads sizes exactly as the limits do: what they cannot read gets no scale at all.
  assert.equal(scaleFilter('0000000000000640x360'), scaleFilter({ width: 640, height: 360 }));
  assert.equal(scaleFilter('640 x 360 x 2'), undefined);
  assert.equal(scaleFilter('1920x1080'), scaleFilter({ width: 1920, height: 1080 }));
  assert.equal(scaleFilter({}), undefined);
});

test('fake:// is synthetic, realtime, always encoded, keyframe every second', () => {
  const a = args({ inputs: [{ url: 'fake://fake' }] });
  assert.ok(a.includes('testsrc2=size=640x360:rate=25'));
  assert.ok(a.some((x) => x.startsWith('sine=')));
  assert.ok(a.includes('-re'));
  assert.equal(after(a, '-c:v'), 'libx264');
  assert.equal(after(a, '-preset'), 'ultrafast');
  assert.equal(after(a, '-tune'), 'zerolatency');
  assert.equal(after(a, '-g'), '25');
  assert.equal(after(a, '-keyint_min'), '25');
  assert.equal(after(a, '-sc_threshold'), '0');
  assert.equal(after(a, '-pix_fmt'), 'yuv420p');
  assert.equal(after(a, '-c:a'), 'aac');
  const b = args({ inputs: [{ url: 'fake://x?width=1280&height=720&fps=30&bitrate=1500k' }] });
  assert.ok(b.includes('testsrc2=size=1280x720:rate=30'));
  assert.equal(after(b, '-g'), '30');
  assert.equal(after(b, '-b:v'), '1500000');
});

test('file:// loops in real time, on the path input-guard checked, opening files only', () => {
  const a = args({ inputs: [{ url: 'file://videos/clip.mp4' }] }, opts, '/srv/files/videos/clip.mp4');
  assert.equal(after(a, '-stream_loop'), '-1');
  assert.ok(a.indexOf('-re') < a.indexOf('-i'));
  assert.equal(after(a, '-i'), 'file:/srv/files/videos/clip.mp4');
  assert.equal(after(a, '-protocol_whitelist'), 'file');
  const unchecked = buildArgs({}, orderInputs({ inputs: [{ url: 'file:///etc/passwd' }] })[0]!, opts);
  assert.ok('error' in unchecked, 'an unchecked file input never reaches ffmpeg');
});

test('each scheme opens exactly what it needs; hls:// and tshttp:// are http', () => {
  const wl = (url: string) => after(args({ inputs: [{ url }] }), '-protocol_whitelist');
  assert.equal(wl('rtsp://cam/x'), 'tcp');
  assert.equal(wl('rtsps://cam/x'), 'tls,tcp');
  assert.equal(wl('rtmp://h/app/key'), 'rtmp,tcp');
  assert.equal(wl('rtmps://h/app/key'), 'rtmps,tls,tcp');
  assert.equal(wl('srt://h:9000'), 'srt');
  assert.equal(wl('udp://239.0.0.1:1234'), 'udp');
  assert.equal(wl('rtp://239.0.0.1:1234'), 'rtp,udp');
  assert.equal(after(args({ inputs: [{ url: 'hls://h/live.m3u8' }] }), '-i'), 'http://h/live.m3u8');
  assert.equal(after(args({ inputs: [{ url: 'tshttps://h/live.ts' }] }), '-i'), 'https://h/live.ts');
  const fake = args({ inputs: [{ url: 'fake://x' }] });
  assert.ok(!fake.some((a) => /^(file|https?|tcp):/.test(a)), 'fake opens only lavfi');
});

test('rtsp uses TCP and the socket timeout; source_timeout (s) sets the I/O timeout', () => {
  const a = args({ inputs: [{ url: 'rtsp://cam/stream', source_timeout: 5 }] });
  assert.equal(after(a, '-rtsp_transport'), 'tcp');
  assert.equal(after(a, '-timeout'), '5000000');
  const b = args({ source_timeout: 3, inputs: [{ url: 'srt://h:9000' }] });
  assert.equal(after(b, '-rw_timeout'), '3000000');
});

test('inputs are tried by priority (lower first), stable, keeping their inputs[] index', () => {
  const order = orderInputs({
    inputs: [
      { url: 'http://a', priority: 2 },
      { url: 'http://b' },
      { url: 'http://c', priority: 1 },
      { url: '' },
      { url: 'http://d', priority: 1 },
    ],
  });
  assert.deepEqual(
    order.map((i: InputSpec) => [i.url, i.index]),
    [
      ['http://b', 1],
      ['http://c', 2],
      ['http://d', 4],
      ['http://a', 0],
    ],
  );
  assert.deepEqual(orderInputs({}), []);
});

test('an unknown scheme is an error, not a command line', () => {
  const input = orderInputs({ inputs: [{ url: 'gopher2://x' }] })[0]!;
  const built = buildArgs({}, input, opts);
  assert.ok('error' in built && /"gopher2" is not a supported input scheme/.test(built.error));
  const pub = buildArgs({}, orderInputs({ inputs: [{ url: 'publish://' }] })[0]!, opts);
  assert.ok('error' in pub && /publish/.test(pub.error));
});

test('no command line for transcoder settings above the limits', () => {
  const cfg = { inputs: [{ url: 'fake://fake' }], transcoder: { video: [{ size: '8192x8192', fps: 1000 }] } };
  const built = buildArgs(cfg, orderInputs(cfg)[0]!, opts);
  assert.ok('error' in built, 'refused');
  assert.match(built.error, /^transcoder\.video\[0\]\.size: /);
  const ok = { ...cfg, transcoder: { video: [{ size: '7680x4320', fps: 120 }] } };
  assert.ok('args' in buildArgs(ok, orderInputs(ok)[0]!, opts), 'at the limits');
});

test('the manager reports a stream with no usable input as an error and spawns nothing', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'media-args-'));
  const m = new MediaManager({ root, log: pino({ level: 'silent' }) });
  try {
    m.apply(
      new Map<string, StreamConfig>([
        ['bad', { name: 'bad', inputs: [{ url: 'foo://u:pw@h/x' }] }],
        ['none', { name: 'none' }],
      ]),
    );
    await new Promise((r) => setTimeout(r, 200));
    const s = m.stats('bad')!;
    assert.equal(s.status, 'error');
    assert.match(s.source_error!, /"foo" is not a supported input scheme/);
    assert.equal(s.url, 'foo://***@h/x');
    assert.equal(m.pid('bad'), null);
    assert.equal(m.stats('none')!.source_error, 'no inputs configured');
    assert.deepEqual(m.names().sort(), ['bad', 'none']);
    assert.equal(m.dir('bad'), mediaDir(root, 'bad'));
    assert.equal(m.dir('other'), null);
  } finally {
    await m.stopAll();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('units, redaction and media directories', () => {
  assert.equal(parseBitrate(1_000_000), 1_000_000);
  assert.equal(parseBitrate('2M'), 2_000_000);
  assert.equal(parseBitrate('64k'), 64_000);
  assert.equal(parseBitrate(96), 96_000);
  assert.equal(parseBitrate('copy'), undefined);
  // The redaction of the logs (protocol/redact): the whole userinfo, every secret-named parameter.
  assert.equal(redactUrl('rtsp://admin:s3cr3t@cam:554/x'), 'rtsp://***@cam:554/x');
  assert.equal(redactUrl('srt://h:1?passphrase=abcdefghij&latency=1'), 'srt://h:1?passphrase=***&latency=1');
  assert.equal(redactText('  a\n b: s3cr3t  ', ['s3cr3t']), 'a b: ***');
  assert.equal(redactUrl('http://h/x.ts?sig=SIGSECRET&a=1'), 'http://h/x.ts?sig=***&a=1');
  const line = redactText(
    'http://h/x.ts?sig=SIGSECRET&signature=S2SECRET&auth=A3SECRET: Server returned 403',
  );
  assert.ok(!/SECRET/.test(line), line);
  assert.match(line, /^http:\/\/h\/x\.ts\?sig=\*\*\*&signature=\*\*\*&auth=\*\*\*/);
  // Quoted without their URL (decoded, too), secrets are still scrubbed.
  const url = 'http://TOKENUSER@h/x?sig=SIG%2FSECRET&secret=plain-secret&name=keep';
  const secrets = urlSecrets(url);
  const text = redactText(`opening SIG/SECRET and plain-secret, TOKENUSER ${url}`, secrets);
  for (const s of ['SIG', 'plain-secret', 'TOKENUSER']) assert.ok(!text.includes(s), text);
  assert.match(text, /name=keep/);
  assert.equal(mediaDir('/d', 'live/cam 1'), '/d/media/live%2Fcam%201');
  assert.equal(mediaDir('/d', '..'), '/d/media/%2E.');
  assert.equal(mediaDir('/d', '.hidden'), '/d/media/%2Ehidden');
});

test('progress: media time drives alive; segments drive bytes and bitrate', () => {
  const p = new MediaProgress();
  assert.equal(p.feed('frame=1\nout_time_us=N/A\nprogress=continue\n', 1000), false);
  assert.equal(p.feed('out_time_us=1000000\nprogr', 2000), true);
  assert.equal(p.feed('ess=continue\nout_time_us=1000000\n', 3000), false);
  assert.equal(p.feed('out_time_us=2000000\n', 4000), true);
  assert.ok(p.alive(8000));
  assert.ok(!p.alive(9001));
  assert.equal(p.flowedMs(), 2000);
  const text =
    '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:3\n#EXTINF:2.000000,\nseg-3.ts\n#EXTINF:1.5,\nseg-4.ts\n#EXTINF:1,\nother.ts\n';
  assert.deepEqual(playlistSegments(text), [
    { seq: 3, file: 'seg-3.ts', durationS: 2 },
    { seq: 4, file: 'seg-4.ts', durationS: 1.5 },
  ]);
});

test('restart key: media fields matter, title/labels/stats do not', () => {
  const base = { name: 's', inputs: [{ url: 'fake://a' }], title: 'A' };
  const k = mediaKey(base);
  assert.equal(
    mediaKey({ ...base, title: 'B', labels: { x: '1' }, comment: 'c', position: 2, static: true }),
    k,
  );
  assert.equal(mediaKey({ ...base, inputs: [{ url: 'fake://a', stats: { bitrate: 1 } }] }), k);
  assert.notEqual(mediaKey({ ...base, inputs: [{ url: 'fake://b' }] }), k);
  assert.notEqual(mediaKey({ ...base, segment_duration: 4000 }), k);
  assert.equal(mediaKey({ b: 1, a: { y: 1, x: 2 } }), mediaKey({ a: { x: 2, y: 1 }, b: 1 }));
});

test(
  'one-sided sizes stay within the pixel limit whatever the source shape (real ffmpeg)',
  {
    skip: !ffmpegAvailable(),
  },
  () => {
    // A wide source asked for 7680 lines would otherwise scale to 15360x7680 (118 Mpx, 1.35 GB RSS).
    for (const [source, size] of [
      ['3840x1920', { height: 7680 }],
      ['100x3000', { width: 7680 }],
      ['1920x1080', { width: 1280 }],
    ] as const) {
      const out = spawnSync(
        'ffprobe',
        [
          '-v',
          'error',
          '-f',
          'lavfi',
          '-show_entries',
          'stream=width,height',
          '-of',
          'csv=p=0',
          `testsrc=size=${source}:rate=1,${scaleFilter(size)}`,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      const [w, h] = out.stdout.trim().split(',').map(Number);
      assert.ok(w && h, `${source} ${JSON.stringify(size)}: ${out.stderr}`);
      assert.ok(w! * h! <= TRANSCODER_LIMITS.maxPixels, `${source} -> ${w}x${h}`);
      assert.ok(w! <= TRANSCODER_LIMITS.maxSide && h! <= TRANSCODER_LIMITS.maxSide, `${source} -> ${w}x${h}`);
      if (source === '1920x1080') assert.deepEqual([w, h], [1280, 720], 'an ordinary source keeps its shape');
    }
  },
);
