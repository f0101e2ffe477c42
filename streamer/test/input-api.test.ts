// A whole streamer (real HTTP, real ffmpeg) against untrusted inputs: the local PUT /streams API answers
// 400 naming the input and saves nothing; streams pulled from a config server (which the streamer does
// not trust either) are refused at run time: source_error says why, preview.jpg has nothing to show,
// and the target server is never contacted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { tempDir } from '../../test-kit/backends.ts';
import { waitUntil } from '../../test-kit/fleet.ts';
import { ffmpegAvailable } from '../../test-kit/media.ts';
import { createStreamer, type Streamer } from '../src/app.ts';
import type { StreamerConfig } from '../src/config.ts';

const ADMIN = 'Basic ' + Buffer.from('admin:input-api-pass').toString('base64');
const SECRET = 'TOP-SECRET-LINE root:x:0:0';

async function start(over: Partial<StreamerConfig> = {}) {
  const dir = tempDir('streamer-input-');
  const config: StreamerConfig = {
    ...{ configFile: null, hostname: 'edge-in', httpPort: 0, clusterKey: 'ck', dir, configExternal: null },
    ...{ editAuth: { login: 'admin', password: 'input-api-pass' }, pollIntervalMs: 200, longPoll: true },
    ...{ ffmpeg: 'ffmpeg', logLevel: 'silent', ...over },
  };
  const s = await createStreamer(config, pino({ level: 'silent' }));
  const base = `http://127.0.0.1:${await s.listen('127.0.0.1')}`;
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${base}/streamer/api/v3${p}`, {
      method,
      headers: { authorization: ADMIN, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: res.status,
      body: (await res.json()) as {
        errors: { title: string; source: { pointer: string } }[];
        stats?: { source_error?: string };
      },
    };
  };
  return { s, dir, base, call };
}

/** Answers every request with the secret, counting connections. */
async function secretServer() {
  let connections = 0;
  const srv = http.createServer((_req, res) => res.end(`${SECRET}\n`.repeat(40)));
  srv.on('connection', () => connections++);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  return { port, connections: () => connections, close: () => new Promise((r) => srv.close(r)) };
}

describe('untrusted inputs through the streamer API', { skip: !ffmpegAvailable() }, () => {
  const running: Streamer[] = [];
  after(async () => {
    for (const s of running) await s.close();
  });

  test('local PUT /streams: 400 naming the input, nothing saved', async () => {
    const { s, call } = await start();
    running.push(s);
    const cases: [unknown, string][] = [
      [{ url: 'file://../../etc/passwd' }, '/inputs/0/url'],
      [{ url: 'tcp://0.0.0.0:9000?listen=1' }, '/inputs/0/url'],
      [{ url: 'srt://127.0.0.1:19163/x?#&mode=listener' }, '/inputs/0/url'],
      [{ url: 'udp://127.0.0.1:19161?#&localaddr=127.0.0.3&localport=19162' }, '/inputs/0/url'],
      [{ url: 'http://h/x', headers: { 'Metadata-Flavor': 'Google' } }, '/inputs/0/headers/Metadata-Flavor'],
      [{ url: 'http://h/x', user_agent: 'a\r\nb: c' }, '/inputs/0/user_agent'],
      ['concat:/etc/passwd', '/inputs/0'],
    ];
    for (const [input, pointer] of cases) {
      const res = await call('PUT', '/streams/bad', { inputs: [input] });
      assert.equal(res.status, 400, JSON.stringify(input));
      assert.equal(res.body.errors[0]!.source.pointer, pointer);
      assert.match(res.body.errors[0]!.title, /^inputs\[0\]/);
      assert.equal((await call('GET', '/streams/bad')).status, 404, 'nothing saved');
    }
    assert.equal((await call('PUT', '/streams/good', { inputs: [{ url: 'fake://fake' }] })).status, 200);
  });

  test('local PUT /streams: transcoder settings above the limits are a 400 naming the field', async () => {
    const { s, call } = await start();
    running.push(s);
    const res = await call('PUT', '/streams/huge', {
      inputs: [{ url: 'fake://fake' }],
      transcoder: { video: [{ size: '8192x8192', fps: 1000 }] },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0]!.source.pointer, '/transcoder/video/0/size');
    assert.match(res.body.errors[0]!.title, /^transcoder\.video\[0\]\.size: width 8192 is above 7680/);
    assert.equal((await call('GET', '/streams/huge')).status, 404, 'nothing saved');
    const ok = { inputs: [{ url: 'fake://fake' }], transcoder: { video: [{ size: '640x360', fps: 25 }] } };
    assert.equal((await call('PUT', '/streams/ok', ok)).status, 200);
  });

  test('streams pulled from a config server are checked again at run time', async () => {
    const target = await secretServer();
    const outside = tempDir('streamer-outside-');
    fs.writeFileSync(path.join(outside, 'secret.txt'), `${SECRET}\n`.repeat(40));
    const attacks = [
      { name: 'file', inputs: [{ url: `file://${outside}/secret.txt` }] },
      { name: 'loopback', inputs: [{ url: `http://127.0.0.1:${target.port}/secret?x=.txt` }] },
      {
        name: 'flavor',
        inputs: [{ url: `http://localhost:${target.port}/x`, headers: { 'Metadata-Flavor': 'Google' } }],
      },
      { name: 'udp', inputs: [{ url: `udp://239.0.0.1:1234?localport=${target.port}` }] },
      {
        name: 'huge',
        inputs: [{ url: 'fake://fake' }],
        transcoder: { video: [{ size: '8192x8192', fps: 1000 }] },
      },
    ];
    const central = http.createServer((_req, res) =>
      res.end(JSON.stringify({ streams: attacks, updated_at: Date.now() })),
    );
    await new Promise<void>((r) => central.listen(0, '127.0.0.1', r));
    const ext = `http://key@127.0.0.1:${(central.address() as AddressInfo).port}/central/api/v3/streamers/edge-in`;
    try {
      const { s, base, call } = await start({
        configExternal: ext,
        inputDenyCidrs: ['127.0.0.0/8', '::1/128'],
      });
      running.push(s);
      const errors = new Map<string, string>();
      await waitUntil(
        async () => {
          for (const { name } of attacks) {
            const err = (await call('GET', `/streams/${name}`)).body.stats?.source_error;
            if (err) errors.set(name, err);
          }
          return errors.size === attacks.length;
        },
        10_000,
        'every attack refused',
      );
      assert.match(errors.get('file')!, /outside the media root/);
      assert.match(errors.get('loopback')!, /denied networks/);
      assert.match(errors.get('flavor')!, /Metadata-Flavor/);
      assert.match(errors.get('udp')!, /localport/);
      assert.match(errors.get('huge')!, /transcoder\.video\[0\]\.size/);
      for (const { name } of attacks) {
        const preview = await fetch(`${base}/${name}/preview.jpg`);
        const body = Buffer.from(await preview.arrayBuffer());
        assert.notEqual(preview.status, 200, `${name}: no preview`);
        assert.ok(!body.toString().includes(SECRET));
      }
      assert.equal(target.connections(), 0, 'the target was never contacted');
    } finally {
      await target.close();
      await new Promise((r) => central.close(r));
    }
  });
});
