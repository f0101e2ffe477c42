// The media runner with real ffmpeg: a fake stream, a looping file, and input failover (on a
// refused connection and on a silent source). Each test has its own data directory.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { ffmpegAvailable, probeCodecs, streams, waitFor } from '../../test-kit/media.ts';
import { MediaManager } from '../src/media/manager.ts';
import { patient } from '../../test-kit/patience.ts';

const skip = !ffmpegAvailable();
const log = pino({ level: 'silent' });

/** A fresh data directory and manager; cleaned up even when the test fails. */
async function withManager(
  fn: (m: MediaManager, root: string) => Promise<void>,
  stallMs?: number,
): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'media-runner-'));
  const m = new MediaManager({ root, log, ...(stallMs ? { stallMs } : {}) });
  try {
    await fn(m, root);
  } finally {
    await m.stopAll();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** A 3 s H.264 + AAC MPEG-TS clip with a keyframe every second. */
function makeClip(file: string): void {
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=3'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast'],
    ...['-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-y', file],
  ]);
}

/** Sequence number of the newest segment in a stream's playlist, or -1. */
function newestSegment(dir: string): number {
  const text = fs.existsSync(path.join(dir, 'index.m3u8'))
    ? fs.readFileSync(path.join(dir, 'index.m3u8'), 'utf8')
    : '';
  const all = [...text.matchAll(/^seg-(\d+)\.ts$/gm)].map((m) => Number(m[1]));
  return all.length ? Math.max(...all) : -1;
}

/** Codec names of a media file, once each (ffprobe lists MPEG-TS streams per program too). */
function codecs(file: string): string[] {
  return [...new Set(probeCodecs(file))].sort();
}

/** CPU time (utime + stime) of a process in seconds. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
}

test('fake:// gives H.264 + AAC HLS within ~3 s, and running stats', { skip }, async () => {
  await withManager(async (m) => {
    const t0 = Date.now();
    m.apply(streams({ name: 'fake', inputs: [{ url: 'fake://fake' }] }));
    const dir = m.dir('fake')!;
    await waitFor('the first segment', () => newestSegment(dir) >= 0, 4000);
    const firstMs = Date.now() - t0;
    console.log(`fake stream: first segment listed after ${firstMs} ms`);
    assert.ok(firstMs < patient(3000), `first segment after ${firstMs} ms`);
    assert.deepEqual(codecs(path.join(dir, 'seg-0.ts')), ['aac', 'h264']);

    const s = await waitFor(
      'running stats',
      () => {
        const st = m.stats('fake');
        return st?.status === 'running' && st.alive && st.bitrate > 0 && st;
      },
      5000,
    );
    assert.equal(s.retry_count, 0);
    assert.equal(s.input_index, 0);
    assert.equal(s.url, 'fake://fake');
    assert.equal(s.source_error, null);
    assert.ok(s.bytes_in > 0 && Number.isInteger(s.bytes_in));
    assert.ok(s.started_at !== null && s.started_at >= s.opened_at);
    assert.ok(Number.isInteger(s.lifetime) && s.lifetime > 0);

    const pid = m.pid('fake')!;
    const [c0, w0] = [cpuSeconds(pid), Date.now()];
    await new Promise((r) => setTimeout(r, 3000));
    const cpu = ((cpuSeconds(pid) - c0) / ((Date.now() - w0) / 1000)) * 100;
    console.log(`fake stream 640x360@25: ${cpu.toFixed(1)}% of a core, ${m.stats('fake')!.bitrate} kbit/s`);
  });
});

test('file:// plays as a live loop, past the end of the file', { skip }, async () => {
  await withManager(async (m, root) => {
    fs.mkdirSync(path.join(root, 'files'));
    makeClip(path.join(root, 'files', 'clip.ts'));
    // Relative to the media root (MEDIA_ROOT, by default <data dir>/files).
    m.apply(streams({ name: 'file', inputs: [{ url: 'file://clip.ts' }] }));
    const dir = m.dir('file')!;
    await waitFor('the first segment', () => newestSegment(dir) >= 0, 4000);
    // Segments are ~1 s at first: seg-4 ends ~5 s into a 3 s clip.
    await waitFor('segments past the end of the clip', () => newestSegment(dir) >= 4, 10_000);
    const newest = `seg-${newestSegment(dir)}.ts`;
    assert.deepEqual(codecs(path.join(dir, newest)), ['aac', 'h264']);
    const s = m.stats('file')!;
    assert.equal(s.status, 'running');
    assert.equal(s.retry_count, 0);
  });
});

/** A TCP port nobody listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Polls stats until `input_index` is `index` and media flows; returns the errors seen meanwhile. */
async function failoverTo(m: MediaManager, name: string, index: number, ms: number) {
  const errors = new Set<string>();
  const t0 = Date.now();
  await waitFor(
    `input ${index} to run`,
    () => {
      const s = m.stats(name);
      if (s?.source_error) errors.add(s.source_error);
      return s?.input_index === index && s.alive;
    },
    ms,
  );
  return { errors: [...errors], ms: Date.now() - t0 };
}

test('failover: a refused input moves on to the next one at once', { skip }, async () => {
  await withManager(async (m, root) => {
    fs.mkdirSync(path.join(root, 'files'));
    const clip = path.join(root, 'files', 'clip.ts');
    makeClip(clip);
    const port = await closedPort();
    const dead = `http://user:hunter22@127.0.0.1:${port}/x.ts`;
    m.apply(streams({ name: 'fo', inputs: [{ url: dead }, { url: `file://${clip}` }] }));
    const { errors, ms } = await failoverTo(m, 'fo', 1, 5000);
    console.log(`failover from a refused input: media from input 1 after ${ms} ms`);
    assert.ok(
      errors.some((e) => e.includes(`127.0.0.1:${port}`)),
      `errors seen: ${errors.join(' | ')}`,
    );
    assert.ok(!errors.some((e) => e.includes('hunter22')), 'the password never shows');
    const s = m.stats('fo')!;
    assert.equal(s.retry_count, 1);
    assert.equal(s.url, `file://${clip}`);
    assert.equal(s.source_error, null); // media flows again
  });
});

test('failover: a silent input stalls out after stallMs', { skip }, async () => {
  // Accepts connections and never answers: only stall detection can tell it is dead.
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    await withManager(async (m) => {
      const inputs = [{ url: `http://127.0.0.1:${port}/live.ts` }, { url: 'fake://fake' }];
      m.apply(streams({ name: 'stall', inputs }));
      const { errors, ms } = await failoverTo(m, 'stall', 1, 8000);
      console.log(`failover from a silent input (stallMs 1500): media from input 1 after ${ms} ms`);
      assert.ok(
        errors.some((e) => /no media for \d+ s/.test(e)),
        `errors seen: ${errors.join(' | ')}`,
      );
    }, 1500);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('every input failing: error status and growing back-off', { skip }, async () => {
  await withManager(async (m) => {
    const [a, b] = [await closedPort(), await closedPort()];
    const inputs = [{ url: `http://127.0.0.1:${a}/a.ts` }, { url: `rtmp://127.0.0.1:${b}/app/b` }];
    m.apply(streams({ name: 'down', inputs }));
    // Both inputs fail within a moment, then the first back-off (1 s) starts.
    const s = await waitFor(
      'the back-off',
      () => m.stats('down')?.status === 'error' && m.stats('down'),
      3000,
    );
    assert.equal(s.retry_count, 2);
    assert.equal(s.input_index, 0);
    assert.equal(s.alive, false);
    assert.ok(s.source_error);
    // After 1 s both are tried again, then it waits 2 s: four failures by ~1.5 s, not more by 2.5 s.
    await waitFor('the second round', () => m.stats('down')!.retry_count === 4, 3000);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(m.stats('down')!.retry_count, 4);
    assert.equal(m.stats('down')!.status, 'error');
  });
});

test('http:// HLS input (another stream, served over HTTP) is copied', { skip }, async () => {
  await withManager(async (m) => {
    m.apply(streams({ name: 'origin', inputs: [{ url: 'fake://fake?width=320&height=180' }] }));
    const origin = m.dir('origin')!;
    // Serves the origin's directory; file names are fixed, so no path tricks to guard against.
    const server = http.createServer((req, res) => {
      const file = path.join(origin, path.basename(req.url ?? ''));
      fs.readFile(file, (err, body) => {
        res.writeHead(err ? 404 : 200).end(err ? undefined : body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await waitFor('the origin to have segments', () => newestSegment(origin) >= 1, 5000);
      const port = (server.address() as net.AddressInfo).port;
      m.apply(
        streams(
          { name: 'origin', inputs: [{ url: 'fake://fake?width=320&height=180' }] },
          { name: 'relay', inputs: [{ url: `http://127.0.0.1:${port}/index.m3u8` }] },
        ),
      );
      const relay = m.dir('relay')!;
      await waitFor('relayed segments', () => newestSegment(relay) >= 1, 8000);
      assert.deepEqual(codecs(path.join(relay, `seg-${newestSegment(relay)}.ts`)), ['aac', 'h264']);
      assert.equal(m.stats('relay')!.status, 'running');
      assert.equal(m.stats('relay')!.retry_count, 0);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

test(
  'transcoder settings above the limits never run; a running stream that grows past them stops',
  { skip },
  async () => {
    await withManager(async (m) => {
      const huge = { video: [{ size: '8192x8192', fps: 1000 }] };
      m.apply(
        streams(
          { name: 'huge', inputs: [{ url: 'fake://fake' }], transcoder: huge },
          { name: 'grow', inputs: [{ url: 'fake://fake?width=160&height=90' }] },
        ),
      );
      const pid = await waitFor('grow: ffmpeg running', () => m.pid('grow'), 5000);
      const s = m.stats('huge')!;
      assert.equal(s.status, 'error');
      assert.match(s.source_error ?? '', /transcoder\.video\[0\]\.size: width 8192 is above 7680/);
      assert.equal(m.pid('huge'), null, 'no ffmpeg for the huge stream');

      m.apply(
        streams(
          { name: 'huge', inputs: [{ url: 'fake://fake' }], transcoder: huge },
          {
            name: 'grow',
            inputs: [{ url: 'fake://fake?width=160&height=90' }],
            transcoder: { video: [{ size: '1280x720', fps: 1000 }] },
          },
        ),
      );
      const error = await waitFor(
        'grow: stopped with the reason',
        () => m.pid('grow') === null && m.stats('grow')?.source_error,
        5000,
      );
      assert.match(error, /transcoder\.video\[0\]\.fps: 1000 is above 120/);
      assert.equal(m.stats('grow')!.status, 'error');
      assert.throws(() => process.kill(pid, 0), 'the old ffmpeg is gone');
      assert.equal(m.pid('huge'), null);
    });
  },
);
