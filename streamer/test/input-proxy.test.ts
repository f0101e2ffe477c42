// http(s) inputs go through the streamer's guard proxy: redirects and HLS playlists cannot lead ffmpeg
// to an address the rules deny, a text answer is never rendered into a picture, and real HLS over
// http and https (with the headers the input sets) still plays. Real ffmpeg, real servers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { ffmpegAvailable, probeCodecs, streams, waitFor } from '../../test-kit/media.ts';
import { selfSignedCert } from '../../test-kit/tls.ts';
import { MediaManager, type ManagerOptions } from '../src/media/manager.ts';

const skip = !ffmpegAvailable();
const log = pino({ level: 'silent' });
const SECRET = 'TOP-SECRET-LINE root:x:0:0';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'input-proxy-'));
const vod = path.join(work, 'vod');

before(() => {
  if (skip) return;
  fs.mkdirSync(vod);
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=4'],
    ...['-f', 'lavfi', '-i', 'sine=duration=4', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25'],
    ...['-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '0'],
    ...['-hls_playlist_type', 'vod', path.join(vod, 'index.m3u8')],
  ]);
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Serves `handler` (default: the VOD files and a secret text), counting connections and requests. */
async function server(host: string, handler?: Handler, tls = false) {
  const seen: http.IncomingMessage[] = [];
  let connections = 0;
  const files: Handler = (req, res) => {
    const name = path.basename((req.url ?? '').split('?')[0]!);
    if (name === 'secret') return res.end(`${SECRET}\n`.repeat(40));
    fs.readFile(path.join(vod, name), (err, body) => res.writeHead(err ? 404 : 200).end(err ? '' : body));
  };
  const h: Handler = (req, res) => (seen.push(req), (handler ?? files)(req, res));
  const srv = tls
    ? https.createServer(
        (({ cert, key }) => ({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }))(
          selfSignedCert(work, 'tls'),
        ),
        h,
      )
    : http.createServer(h);
  srv.on('connection', () => connections++);
  await new Promise<void>((r) => srv.listen(0, host, r));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    base: `${tls ? 'https' : 'http'}://${host}:${port}`,
    seen,
    connections: () => connections,
    close: () => (srv.closeAllConnections(), new Promise((r) => srv.close(r))),
  };
}

async function withManager(fn: (m: MediaManager) => Promise<void>, o: Partial<ManagerOptions> = {}) {
  const root = fs.mkdtempSync(path.join(work, 'streamer-'));
  const m = new MediaManager({ root, log, ...o });
  try {
    await fn(m);
  } finally {
    await m.stopAll();
  }
}

const segments = (m: MediaManager, name: string) =>
  fs.existsSync(m.dir(name)!) ? fs.readdirSync(m.dir(name)!).filter((f) => /^seg-\d+\.ts$/.test(f)) : [];

/** Waits until the stream failed at least once with an error matching `pattern`; no media written. */
async function failedWithout(m: MediaManager, name: string, pattern: RegExp) {
  const error = await waitFor(
    `${name} to fail with ${pattern}`,
    () => {
      const s = m.stats(name);
      return s && s.retry_count >= 1 && s.source_error && pattern.test(s.source_error) && s.source_error;
    },
    10_000,
  );
  assert.deepEqual(segments(m, name), [], `${name}: no media was written`);
  assert.ok(!error.includes(SECRET));
  return error;
}

const DENY_127_0_0_2 = { policy: { allow: [], deny: ['127.0.0.2/32'] } };

test('an internal page under the default rules is fetched but never becomes media', { skip }, async () => {
  const internal = await server('127.0.0.1');
  try {
    await withManager(async (m) => {
      m.apply(streams({ name: 'page', inputs: [{ url: `${internal.base}/secret?x=.txt` }] }));
      await failedWithout(m, 'page', /./);
      assert.ok(internal.seen.length >= 1, 'the default rules allow loopback, as Central does');
    });
  } finally {
    await internal.close();
  }
});

test('a redirect to a denied address is not followed', { skip }, async () => {
  const hidden = await server('127.0.0.2');
  const redirector = await server('127.0.0.1', (_req, res) =>
    res.writeHead(302, { location: `${hidden.base}/secret.ts` }).end(),
  );
  try {
    await withManager(async (m) => {
      m.apply(streams({ name: 'redirect', inputs: [{ url: `${redirector.base}/live.ts` }] }));
      const error = await failedWithout(m, 'redirect', /127\.0\.0\.2.*denied/);
      assert.match(error, /input address rules/);
      assert.ok(redirector.seen.length >= 1);
      assert.equal(hidden.connections(), 0, 'the denied server never saw a connection');
    }, DENY_127_0_0_2);
  } finally {
    await Promise.all([hidden.close(), redirector.close()]);
  }
});

test('HLS segments and https tunnels to a denied address are refused', { skip }, async () => {
  const hidden = await server('127.0.0.2');
  const hiddenTls = await server('127.0.0.2', undefined, true);
  const playlist = (base: string) =>
    `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\n${base}/index0.ts\n#EXT-X-ENDLIST\n`;
  const origin = await server('127.0.0.1', (req, res) =>
    res.end(playlist(req.url?.includes('tls') ? hiddenTls.base : hidden.base)),
  );
  try {
    await withManager(async (m) => {
      m.apply(
        streams(
          { name: 'seg', inputs: [{ url: `${origin.base}/index.m3u8` }] },
          { name: 'segtls', inputs: [{ url: `${origin.base}/tls/index.m3u8` }] },
        ),
      );
      await failedWithout(m, 'seg', /127\.0\.0\.2.*denied/);
      await failedWithout(m, 'segtls', /127\.0\.0\.2.*denied/);
      assert.equal(hidden.connections() + hiddenTls.connections(), 0);
    }, DENY_127_0_0_2);
  } finally {
    await Promise.all([hidden.close(), hiddenTls.close(), origin.close()]);
  }
});

test('HLS over http and https plays through the proxy, with the input headers', { skip }, async () => {
  const plain = await server('127.0.0.1');
  const tls = await server('127.0.0.1', undefined, true);
  try {
    await withManager(async (m) => {
      const opts = { headers: { 'X-Token': 'abc' }, user_agent: 'central-test/1' };
      m.apply(
        streams(
          { name: 'plain', inputs: [{ url: `${plain.base}/index.m3u8`, ...opts }] },
          { name: 'tls', inputs: [{ url: `${tls.base}/index.m3u8`, ...opts }] },
          { name: 'alias', inputs: [{ url: `${plain.base.replace('http', 'hls')}/index.m3u8`, ...opts }] },
        ),
      );
      for (const name of ['plain', 'tls', 'alias']) {
        await waitFor(`${name}: relayed segments`, () => segments(m, name).length >= 2, 10_000);
        assert.deepEqual(probeCodecs(path.join(m.dir(name)!, segments(m, name)[0]!)).sort(), ['aac', 'h264']);
      }
      for (const srv of [plain, tls]) {
        const segs = srv.seen.filter((r) => /index\d+\.ts/.test(r.url ?? ''));
        assert.ok(segs.length >= 1, 'segments were fetched');
        for (const r of segs) {
          assert.equal(r.headers['x-token'], 'abc');
          assert.equal(r.headers['user-agent'], 'central-test/1');
          assert.equal(r.headers['proxy-authorization'], undefined, 'proxy credentials stay in the proxy');
        }
      }
    });
  } finally {
    await Promise.all([plain.close(), tls.close()]);
  }
});

test(
  'stats (source_error, url) redact credential-like query parameters as the logs do',
  { skip },
  async () => {
    const forbidden = await server('127.0.0.1', (_req, res) => res.writeHead(403).end('no'));
    try {
      await withManager(async (m) => {
        const url = `${forbidden.base}/live.ts?sig=SIGSECRET&signature=SIGNSECRET&auth=AUTHSECRET&x=1`;
        m.apply(streams({ name: 'sig', inputs: [{ url }] }));
        const error = await failedWithout(m, 'sig', /403/);
        const s = m.stats('sig')!;
        assert.ok(
          forbidden.seen.some((r) => r.url?.includes('sig=SIGSECRET')),
          'the server got the URL as set',
        );
        for (const text of [error, s.url ?? ''])
          assert.ok(!/SIGSECRET|SIGNSECRET|AUTHSECRET/.test(text), `no secret in ${text}`);
        assert.match(s.url ?? '', /sig=\*\*\*/);
      });
    } finally {
      await forbidden.close();
    }
  },
);
