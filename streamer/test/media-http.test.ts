// Media HTTP against a real live HLS written by a real ffmpeg, through a real listening Fastify.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { pickNext } from '../src/http/media-mpegts.ts';
import { parsePlaylist } from '../src/http/media-playlist.ts';
import { parseMediaPath, registerMediaRoutes } from '../src/http/media-routes.ts';
import { patient } from '../../test-kit/patience.ts';

const haveFfmpeg = spawnSync('ffmpeg', ['-version']).error === undefined;
if (!haveFfmpeg && process.env.CI === 'true')
  throw new Error('ffmpeg is required on CI for media HTTP tests');
if (!haveFfmpeg) console.log('# notice: ffmpeg is not installed; media HTTP tests skipped');

const CAM = 'live/cam 1';
const EVIL = `x/<script>alert("x")</script>'`;
const enc = (name: string) => name.split('/').map(encodeURIComponent).join('/');

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  ms: number;
}

/** A request with the path sent exactly as written (fetch would normalise dot segments). */
function raw(base: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Res> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    const req = http.request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          body: Buffer.concat(chunks),
          ms: performance.now() - t0,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

interface Live {
  bytes: () => number;
  chunks: Buffer[];
  ttfbMs: Promise<number>;
  ended: Promise<void>;
  res: Promise<http.IncomingMessage>;
  stop: () => void;
}

/** Opens a live /mpegts response and keeps reading it until stop() or the server ends it. */
function openLive(url: string): Live {
  const t0 = performance.now();
  const chunks: Buffer[] = [];
  let ttfb: (ms: number) => void = () => {};
  let ended: () => void = () => {};
  const ttfbMs = new Promise<number>((r) => (ttfb = r));
  const endedP = new Promise<void>((r) => (ended = r));
  let req: http.ClientRequest | undefined;
  const res = new Promise<http.IncomingMessage>((resolve, reject) => {
    req = http.get(url, (res) => {
      resolve(res);
      res.on('data', (b: Buffer) => {
        if (chunks.length === 0) ttfb(performance.now() - t0);
        chunks.push(b);
      });
      res.on('close', ended);
    });
    req.on('error', reject);
  });
  const bytes = () => chunks.reduce((n, c) => n + c.length, 0);
  return { bytes, chunks, ttfbMs, ended: endedP, res, stop: () => req?.destroy() };
}

function ffprobe(file: string): { codecs: string[]; duration: number } {
  const args = ['-v', 'error', '-show_entries', 'stream=codec_name:format=duration', '-of', 'json', file];
  const out = spawnSync('ffprobe', args, { encoding: 'utf8' });
  const info = JSON.parse(out.stdout) as {
    streams?: { codec_name: string }[];
    format?: { duration?: string };
  };
  return { codecs: (info.streams ?? []).map((s) => s.codec_name), duration: Number(info.format?.duration) };
}

async function waitFor(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('media paths and playlists are parsed strictly', () => {
  assert.deepEqual(parseMediaPath('/live/cam%201/index.m3u8?x=1'), {
    name: 'live/cam 1',
    resource: 'index.m3u8',
    depth: 2,
  });
  assert.equal(parseMediaPath('/streamer/api/v3/x'), null);
  assert.equal(parseMediaPath('/favicon.ico'), null);
  for (const bad of ['/a/../b/index.m3u8', '/a%2F..%2Fb/mpegts', '//index.m3u8', '/a/seg-1.ts%00'])
    assert.equal(parseMediaPath(bad), 'bad', bad);
  const pl = parsePlaylist(
    '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:1,\nseg-7.ts\n#EXTINF:1,\n../x.ts\nseg-9.ts\n',
  );
  assert.deepEqual(pl.segments, [
    { seq: 7, file: 'seg-7.ts' },
    { seq: 9, file: 'seg-9.ts' },
  ]);
  assert.equal(pickNext(pl, null)?.seq, 9, 'starts live');
  assert.equal(pickNext(pl, 7)?.seq, 7);
  assert.equal(pickNext(pl, 8)?.seq, 9, 'a skipped URI is not waited for');
  assert.equal(pickNext(pl, 10), null, 'nothing new yet');
  assert.equal(pickNext(pl, 3)?.seq, 9, 'fell out of the window: rejoin live');
  assert.equal(pickNext(pl, 50)?.seq, 9, 'writer restarted: rejoin live');
});

describe('media HTTP', { skip: !haveFfmpeg && 'ffmpeg is not installed' }, () => {
  let tmp = '';
  let camDir = '';
  let ffmpeg: ChildProcess | undefined;
  const apps: FastifyInstance[] = [];
  let base = '';
  let toggleOn = true;

  async function serve(extra: { maxMpegtsClients?: number } = {}): Promise<string> {
    const names = new Map([
      [CAM, camDir],
      [EVIL, camDir],
      ['waiting/one', join(tmp, 'empty')],
    ]);
    const app = Fastify();
    app.get('/streamer/api/v3/whatever', async () => ({ api: true }));
    registerMediaRoutes(app, {
      resolve: (n) => (n === 'live/toggle' ? (toggleOn ? camDir : null) : (names.get(n) ?? null)),
      ...extra,
    });
    apps.push(app);
    return app.listen({ host: '127.0.0.1', port: 0 });
  }

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'media-http-'));
    camDir = join(tmp, 'cam');
    await mkdir(camDir);
    await mkdir(join(tmp, 'empty'));
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re'];
    args.push('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-f', 'lavfi', '-i', 'sine');
    args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac');
    args.push('-f', 'hls', '-hls_time', '1', '-hls_list_size', '5');
    args.push('-hls_flags', 'delete_segments+temp_file', '-hls_segment_filename', join(camDir, 'seg-%d.ts'));
    ffmpeg = spawn('ffmpeg', [...args, join(camDir, 'index.m3u8')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    base = await serve();
    await waitFor('two HLS segments', async () => {
      const text = await readFile(join(camDir, 'index.m3u8'), 'utf8').catch(() => '');
      return (text.match(/^seg-\d+\.ts$/gm) ?? []).length >= 2;
    });
  });

  after(async () => {
    if (ffmpeg && ffmpeg.exitCode === null) {
      ffmpeg.kill('SIGKILL');
      await once(ffmpeg, 'exit');
    }
    await Promise.all(apps.map((a) => a.close()));
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('serves the playlist and its segments with CORS', async () => {
    const pl = await raw(base, `/${enc(CAM)}/index.m3u8`);
    assert.equal(pl.status, 200);
    assert.equal(pl.headers['content-type'], 'application/vnd.apple.mpegurl');
    assert.equal(pl.headers['cache-control'], 'no-cache');
    assert.equal(pl.headers['access-control-allow-origin'], '*');
    const text = pl.body.toString();
    assert.match(text, /^#EXTM3U/);
    const seg = text.match(/^seg-\d+\.ts$/m)?.[0];
    assert.ok(seg, text);

    const s = await raw(base, `/${enc(CAM)}/${seg}`);
    assert.equal(s.status, 200);
    assert.equal(s.headers['content-type'], 'video/mp2t');
    assert.equal(s.headers['access-control-allow-origin'], '*');
    assert.equal(Number(s.headers['content-length']), s.body.length);
    assert.equal(s.body[0], 0x47, 'MPEG-TS sync byte');

    const head = await raw(base, `/${enc(CAM)}/${seg}`, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(s.body.length));
    assert.equal((await raw(base, `/${enc(CAM)}/index.m3u8`, 'HEAD')).status, 200);
    assert.equal((await raw(base, `/${enc(CAM)}/seg-999999.ts`)).status, 404);

    const pre = await raw(base, `/${enc(CAM)}/index.m3u8`, 'OPTIONS', {
      Origin: 'http://admin.example',
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'range',
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.match(String(pre.headers['access-control-allow-methods']), /GET/);
  });

  test('/mpegts streams live H.264 + AAC across segments', async () => {
    const live = openLive(`${base}/${enc(CAM)}/mpegts`);
    const res = await live.res;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'video/mp2t');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    const ttfb = await live.ttfbMs;
    console.log(`# mpegts time to first byte: ${ttfb.toFixed(1)} ms`);
    await new Promise((r) => setTimeout(r, 500));
    const early = live.bytes();
    await new Promise((r) => setTimeout(r, 2700));
    live.stop();
    const all = Buffer.concat(live.chunks);
    assert.ok(all.length > early + 30_000, `body grew after the first segment: ${early} -> ${all.length}`);
    const file = join(tmp, 'live.ts');
    await writeFile(file, all);
    const probe = ffprobe(file);
    assert.ok(probe.codecs.includes('h264'), `codecs: ${probe.codecs.join()}`);
    assert.ok(probe.codecs.includes('aac'), `codecs: ${probe.codecs.join()}`);
    assert.ok(probe.duration >= 2, `duration ${probe.duration} s covers at least two segments`);
  });

  test('/mpegts ends when the stream stops running here', async () => {
    toggleOn = true;
    const live = openLive(`${base}/live/toggle/mpegts`);
    await live.ttfbMs;
    const t0 = performance.now();
    toggleOn = false;
    await live.ended;
    assert.ok(performance.now() - t0 < patient(3000), 'ended soon after resolve() turned null');
  });

  test('/mpegts clients are capped and released on disconnect', async () => {
    const capped = await serve({ maxMpegtsClients: 1 });
    const first = openLive(`${capped}/${enc(CAM)}/mpegts`);
    await first.ttfbMs;
    const second = await raw(capped, `/${enc(CAM)}/mpegts`);
    assert.equal(second.status, 503);
    assert.ok(second.headers['retry-after']);
    first.stop();
    await waitFor('the slot to be released', async () => {
      const third = openLive(`${capped}/${enc(CAM)}/mpegts`);
      const ok = (await third.res).statusCode === 200;
      third.stop();
      return ok;
    });
  });

  test('closing the server ends live /mpegts responses', async () => {
    const live = openLive(`${await serve()}/${enc(CAM)}/mpegts`);
    await live.ttfbMs;
    const closing = apps.pop()!;
    const t0 = performance.now();
    await Promise.all([closing.close(), live.ended]);
    assert.ok(performance.now() - t0 < patient(2000), `close took ${performance.now() - t0} ms`);
  });

  test('preview.jpg is a JPEG, cached for a few seconds', async () => {
    const [a, b] = await Promise.all([
      raw(base, `/${enc(CAM)}/preview.jpg`),
      raw(base, `/${enc(CAM)}/preview.jpg`),
    ]);
    console.log(`# preview extraction: ${a.ms.toFixed(1)} ms`);
    for (const r of [a, b]) {
      assert.equal(r.status, 200, r.body.toString());
      assert.equal(r.headers['content-type'], 'image/jpeg');
      assert.equal(r.headers['access-control-allow-origin'], '*');
      assert.deepEqual([...r.body.subarray(0, 2)], [0xff, 0xd8]);
    }
    assert.ok(a.body.equals(b.body), 'concurrent requests share one extraction');
    const again = await raw(base, `/${enc(CAM)}/preview.jpg`);
    console.log(`# preview from cache: ${again.ms.toFixed(1)} ms`);
    assert.ok(again.body.equals(a.body), 'served from the cache');
    assert.ok(again.ms < 100, `cached preview took ${again.ms} ms`);
  });

  test('embed.html escapes the name and loads only local assets', async () => {
    const page = await raw(base, `/${enc(EVIL)}/embed.html`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /media-src 'self' blob:/);
    const html = page.body.toString();
    assert.ok(!html.includes('<script>alert'), 'no raw script injection');
    assert.ok(!html.includes('alert("x")'), 'quotes are escaped');
    assert.ok(html.includes('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#39;'), html);
    assert.match(html, /<video[^>]* controls autoplay muted playsinline/);
    assert.ok(
      !/(https?:)?\/\/[a-z]/i.test(html.replace(/<!doctype html>/i, '')),
      'nothing from the internet',
    );
    const srcs = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    assert.equal(srcs.length, 2);
    for (const src of srcs) {
      const url = new URL(src, `${base}/${enc(EVIL)}/embed.html`);
      const js = await raw(base, url.pathname + url.search);
      assert.equal(js.status, 200, url.pathname);
      assert.match(String(js.headers['content-type']), /javascript/);
      assert.match(String(js.headers['cache-control']), /immutable/);
    }
  });

  test('path traversal and odd paths give 404', async () => {
    const paths = [
      '/x/..%2F..%2Fetc%2Fpasswd',
      '/live%2Fcam%201/seg-1.ts/../../x',
      `/${enc(CAM)}/seg-1.ts%00`,
      `/${enc(CAM)}/%2E%2E/%2E%2E/index.m3u8`,
      `/${enc(CAM)}/..%2Findex.m3u8`,
      `/${enc(CAM)}/seg-1.ts%2F..%2F..%2Fx`,
      `/${enc(CAM)}/whatever.txt`,
      '/nope/index.m3u8',
    ];
    for (const p of paths) {
      const r = await raw(base, p);
      assert.equal(r.status, 404, `${p}: ${r.body.toString()}`);
      const body = JSON.parse(r.body.toString()) as { errors?: { status: string; code: string }[] };
      const e = body.errors?.[0];
      assert.deepEqual([e?.status, e?.code], ['404', 'not_found'], `${p}: ${r.body.toString()}`);
    }
    // Fastify itself refuses broken escapes before routing.
    assert.equal((await raw(base, `/${enc(CAM)}/%E0%A4%A`)).status, 400);
  });

  test('a stream that runs but has no playlist yet is 503 with Retry-After', async () => {
    for (const res of ['index.m3u8', 'mpegts', 'preview.jpg']) {
      const r = await raw(base, `/waiting/one/${res}`);
      assert.equal(r.status, 503, res);
      assert.equal(r.headers['retry-after'], '1', res);
    }
  });

  test('API routes and the root are left to others', async () => {
    const api = await raw(base, '/streamer/api/v3/whatever');
    assert.deepEqual(JSON.parse(api.body.toString()), { api: true });
    for (const p of ['/streamer/api/v3/nope', '/flussonic/api/v3/streams/x', '/']) {
      const r = await raw(base, p);
      assert.equal(r.status, 404, `${p}: ${r.body.toString()}`);
      assert.match(r.body.toString(), /Route GET:.* not found/, `${p} reached the app's own 404 handler`);
    }
  });
});
