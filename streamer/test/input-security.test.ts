// Stream inputs are untrusted (issue 12, item 2): each attack from the issue, run through the real media
// manager and real ffmpeg. A refused input shows as the stream's source_error, ffmpeg never starts, no
// media (and so no preview) is written, and the target server never sees a connection.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { ffmpegAvailable, streams, waitFor } from '../../test-kit/media.ts';
import { MediaManager, type ManagerOptions } from '../src/media/manager.ts';

const skip = !ffmpegAvailable();
const log = pino({ level: 'silent' });
const SECRET = 'TOP-SECRET-LINE root:x:0:0';

interface Env {
  m: MediaManager;
  root: string;
  /** The media root file:// inputs may read (the default, <root>/files). */
  files: string;
  /** A directory outside the media root, holding secret.txt. */
  outside: string;
}

async function withManager(fn: (e: Env) => Promise<void>, o: Partial<ManagerOptions> = {}): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'input-security-'));
  const files = path.join(root, 'files');
  const outside = path.join(root, 'outside');
  fs.mkdirSync(files);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.txt'), `${SECRET}\n`.repeat(40));
  const m = new MediaManager({ root, log, ...o });
  try {
    await fn({ m, root, files, outside });
  } finally {
    await m.stopAll();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** An HTTP server that counts every TCP connection it accepts. */
async function countingServer(host = '127.0.0.1', handler?: http.RequestListener) {
  let connections = 0;
  const server = http.createServer(handler ?? ((_req, res) => res.end(`${SECRET}\n`.repeat(40))));
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    base: `http://${host}:${port}`,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

/** Waits for the stream's source_error to match, then checks nothing ran and nothing was written. */
async function refused(e: Env, name: string, inputs: unknown[], pattern: RegExp): Promise<string> {
  e.m.apply(streams({ name, inputs }));
  let pid: number | null = null;
  const error = await waitFor(
    `${name}: source_error matching ${pattern}`,
    () => {
      pid ??= e.m.pid(name);
      const err = e.m.stats(name)?.source_error;
      return err && pattern.test(err) ? err : null;
    },
    8000,
  );
  assert.equal(pid, null, `${name}: ffmpeg never started`);
  const dir = e.m.dir(name)!;
  const written = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  assert.deepEqual(written, [], `${name}: no media written`);
  assert.ok(!error.includes(SECRET));
  return error;
}

test(
  'file:// outside the media root is refused, with one message whether or not the path exists',
  { skip },
  async () => {
    await withManager(async (e) => {
      const outside = /outside the media root/;
      const a = await refused(e, 'passwd', [{ url: 'file:///etc/passwd' }], outside);
      const b = await refused(e, 'secret', [{ url: `file://${e.outside}/secret.txt` }], outside);
      const c = await refused(e, 'missing', [{ url: `file://${e.outside}/no-such-file.txt` }], outside);
      const d = await refused(e, 'missing-dir', [{ url: 'file:///no/such/dir/x.ts' }], outside);
      // Only the URL differs: the message says nothing about the file.
      const strip = (s: string) => s.replace(/file:\/\/\S+/g, 'URL');
      assert.equal(strip(a), strip(b));
      assert.equal(strip(b), strip(c));
      assert.equal(strip(c), strip(d));
    });
  },
);

test('file://../x and symlinks out of the media root are refused', { skip }, async () => {
  await withManager(async (e) => {
    await refused(e, 'dotdot', [{ url: 'file://../outside/secret.txt' }], /"\.\."/);
    await refused(e, 'dotdot-enc', [{ url: 'file://%2e%2e/outside/secret.txt' }], /"\.\."/);
    fs.symlinkSync('/etc', path.join(e.files, 'etc'));
    fs.symlinkSync(e.outside, path.join(e.files, 'out'));
    fs.symlinkSync(path.join(e.outside, 'secret.txt'), path.join(e.files, 'secret.txt'));
    await refused(e, 'link-etc', [{ url: 'file://etc/passwd' }], /outside the media root/);
    await refused(e, 'link-dir', [{ url: `file://${e.files}/out/secret.txt` }], /outside the media root/);
    await refused(e, 'link-file', [{ url: 'file://secret.txt' }], /outside the media root/);
  });
});

test('a network address the rules deny is never contacted (loopback denied here)', { skip }, async () => {
  const target = await countingServer();
  try {
    await withManager(
      async (e) => {
        await refused(e, 'loop', [{ url: `${target.base}/secret?x=.txt` }], /127\.0\.0\.1.*denied/);
        await refused(e, 'byname', [{ url: `http://localhost:${target.port}/x.ts` }], /denied/);
        await refused(e, 'rtmp', [{ url: `rtmp://127.0.0.1:${target.port}/app/key` }], /denied/);
        assert.equal(target.connections(), 0);
      },
      { policy: { allow: [], deny: ['127.0.0.0/8', '::1/128'] } },
    );
  } finally {
    await target.close();
  }
});

test('metadata and link-local addresses are refused whatever the rules allow', { skip }, async () => {
  await withManager(async (e) => {
    for (const [name, url] of [
      ['aws', 'http://169.254.169.254/latest/meta-data/'],
      ['decimal', 'http://2852039166/latest/meta-data/'],
      ['mapped', 'http://[::ffff:169.254.169.254]/'],
      ['alibaba', 'http://100.100.100.200/latest/meta-data/'],
      ['azure', 'http://168.63.129.16/machine'],
      ['rtsp', 'rtsp://169.254.169.254/x'],
    ])
      await refused(e, name!, [{ url: url! }], /reserved address/);
  });
});

test('headers: metadata and hop-by-hop headers, CR/LF in headers or user_agent', { skip }, async () => {
  const target = await countingServer();
  try {
    await withManager(async (e) => {
      const url = `${target.base}/live.ts`;
      await refused(e, 'flavor', [{ url, headers: { 'Metadata-Flavor': 'Google' } }], /Metadata-Flavor/);
      await refused(e, 'ua', [{ url, user_agent: 'x\r\nMetadata-Flavor: Google' }], /user_agent/);
      await refused(e, 'crlf', [{ url, headers: { 'X-A': 'b\r\nHost: evil' } }], /X-A/);
      await refused(e, 'hop', [{ url, headers: { 'Transfer-Encoding': 'chunked' } }], /Transfer-Encoding/);
      assert.equal(target.connections(), 0);
    });
  } finally {
    await target.close();
  }
});

/** A port nobody listens on now. */
async function freeTcpPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

test('inputs that would listen or bind a chosen local port are refused', { skip }, async () => {
  await withManager(async (e) => {
    const p = await freeTcpPort();
    await refused(e, 'tcp', [{ url: `tcp://127.0.0.1:${p}?listen=1` }], /not a supported input scheme/);
    await refused(e, 'udp', [{ url: `udp://239.0.0.1:1234?localport=${p}` }], /localport/);
    await refused(e, 'udpaddr', [{ url: 'udp://239.0.0.1:1234?localaddr=127.0.0.1' }], /localaddr/);
    await refused(e, 'srt', [{ url: `srt://127.0.0.1:${p}?mode=listener` }], /mode=listener/);
    await refused(e, 'rtp', [{ url: `rtp://127.0.0.1:${p}?localrtpport=${p}` }], /localrtpport/);
    assert.equal(await listening(p), false);
  });
});

test('ffmpeg pseudo-protocols and chains are not input schemes', { skip }, async () => {
  await withManager(async (e) => {
    const chains = [
      'concat:/etc/passwd|/etc/hosts',
      'subfile,,start,0,end,0,,:/etc/passwd',
      'data:text/plain;base64,cm9vdDp4OjA6MA==',
      'pipe:0',
      'crypto+file:///etc/passwd',
      'cache:file:///etc/passwd',
    ];
    for (const [i, url] of chains.entries())
      await refused(e, `chain${i}`, [{ url }], /not a supported input scheme/);
  });
});

test('ffmpeg runs with a minimal environment: no cluster key, no admin login', { skip }, async () => {
  const saved = { ...process.env };
  process.env.STREAMER_CLUSTER_KEY = 'env-cluster-key-9f3a';
  process.env.STREAMER_EDIT_AUTH = 'admin:env-admin-pass-7c1d';
  try {
    await withManager(async (e) => {
      e.m.apply(streams({ name: 'env', inputs: [{ url: 'fake://fake?width=160&height=90' }] }));
      const pid = await waitFor('ffmpeg', () => e.m.pid('env'), 5000);
      const environ = await waitFor(
        'ffmpeg to have exec()ed',
        () => {
          const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          return (
            cmd.includes('ffmpeg') &&
            !cmd.startsWith('/usr/bin/setpriv') &&
            fs.readFileSync(`/proc/${pid}/environ`, 'utf8')
          );
        },
        5000,
      );
      assert.ok(!environ.includes('env-cluster-key-9f3a'));
      assert.ok(!environ.includes('env-admin-pass-7c1d'));
      assert.ok(!environ.includes('STREAMER_'));
      assert.match(environ, /(^|\0)PATH=/);
    });
  } finally {
    process.env = saved;
  }
});

test('a file under the media root still plays, relative or absolute', { skip }, async () => {
  await withManager(async (e) => {
    const clip = path.join(e.files, 'clip.ts');
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=2'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-y', clip],
    ]);
    e.m.apply(
      streams(
        { name: 'rel', inputs: [{ url: 'file://clip.ts' }] },
        { name: 'abs', inputs: [{ url: `file://${clip}` }] },
      ),
    );
    for (const name of ['rel', 'abs']) await waitFor(`${name} running`, () => e.m.stats(name)?.alive, 8000);
  });
});

/** True when something holds UDP `port` on `host` (we cannot bind it ourselves). */
function udpBound(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => (s.close(), resolve(true)));
    s.bind(port, host, () => s.close(() => resolve(false)));
  });
}

/** A UDP port nobody holds now. */
async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(r));
  return port;
}

test(
  '"#" cannot hide listen options from the rules (ffmpeg reads options to the end)',
  { skip },
  async () => {
    await withManager(async (e) => {
      const [a, b, c] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
      const hash = /"#"/;
      await refused(e, 'srt-hash', [{ url: `srt://127.0.0.1:${a}/x?#&mode=listener` }], hash);
      await refused(
        e,
        'udp-hash',
        [{ url: `udp://127.0.0.1:${b}?#&localaddr=127.0.0.3&localport=${c}` }],
        hash,
      );
      await refused(e, 'udp-hash-first', [{ url: `udp://127.0.0.1:${b}#?localport=${c}` }], hash);
      // ffmpeg reads the first of a repeated option: a later mode=caller cannot hide mode=listener.
      await refused(e, 'srt-twice', [{ url: `srt://127.0.0.1:${a}?mode=listener&mode=caller` }], /listener/);
      for (const [port, host] of [
        [a, '127.0.0.1'],
        [b, '127.0.0.1'],
        [c, '127.0.0.3'],
      ] as const)
        assert.equal(await udpBound(port, host), false, `nothing listens on ${host}:${port}`);
    });
  },
);

test('a playlist in the media root cannot make a file input read a file outside it', { skip }, async () => {
  await withManager(async (e) => {
    // Real media outside the root: had ffmpeg read it, the stream would run and write segments.
    const outsideClip = path.join(e.outside, 'secret.ts');
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=4'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-y', outsideClip],
    ]);
    const playlist = (entry: string) =>
      ['#EXTM3U', '#EXT-X-TARGETDURATION:4', '#EXTINF:4,', entry, '#EXT-X-ENDLIST', ''].join('\n');
    fs.writeFileSync(path.join(e.files, 'pl.m3u8'), playlist(outsideClip));
    fs.writeFileSync(path.join(e.files, 'rel.m3u8'), playlist('../outside/secret.ts'));
    fs.writeFileSync(path.join(e.files, 'list.txt'), `ffconcat version 1.0\nfile '${outsideClip}'\n`);
    const names = ['pl', 'rel', 'concat'];
    e.m.apply(
      streams(
        { name: 'pl', inputs: [{ url: 'file://pl.m3u8' }] },
        { name: 'rel', inputs: [{ url: `file://${e.files}/rel.m3u8` }] },
        { name: 'concat', inputs: [{ url: 'file://list.txt' }] },
      ),
    );
    const everAlive = new Set<string>();
    // Each input passes the root check and ffmpeg starts, then refuses the playlist: the stream fails
    // twice (a retry after the back-off too), and never had media. Media flowing ends the wait too.
    await waitFor(
      'every playlist stream to fail twice (or one to play)',
      () => {
        for (const n of names) if (e.m.stats(n)?.alive) everAlive.add(n);
        return everAlive.size > 0 || names.every((n) => (e.m.stats(n)?.retry_count ?? 0) >= 2);
      },
      15_000,
    );
    assert.deepEqual([...everAlive], [], 'no playlist stream played the outside file');
    for (const n of names) {
      assert.ok(e.m.stats(n)?.source_error, `${n}: has a source_error`);
      const dir = e.m.dir(n)!;
      const segs = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ts')) : [];
      assert.deepEqual(segs, [], `${n}: no media written`);
    }
  });
});

test('media files in the root still play: MPEG-TS, MP4, Matroska', { skip }, async () => {
  await withManager(async (e) => {
    for (const ext of ['ts', 'mp4', 'mkv'])
      execFileSync('ffmpeg', [
        ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=2'],
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p'],
        ...['-y', path.join(e.files, `clip.${ext}`)],
      ]);
    e.m.apply(
      streams(
        { name: 'ts', inputs: [{ url: 'file://clip.ts' }] },
        { name: 'mp4', inputs: [{ url: 'file://clip.mp4' }] },
        { name: 'mkv', inputs: [{ url: 'file://clip.mkv' }] },
      ),
    );
    for (const name of ['ts', 'mp4', 'mkv'])
      await waitFor(`${name} running`, () => e.m.stats(name)?.alive, 10_000);
  });
});
