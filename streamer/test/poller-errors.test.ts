// A failing config_external answer is reported by its status code and a generic reason: none of its
// body (an error page from a proxy may carry anything, tokens included) reaches the streamer's stats,
// which Central reads and shows, nor its log.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { tempDir } from '../../test-kit/backends.ts';
import { waitUntil } from '../../test-kit/fleet.ts';
import { createStreamer, type Streamer } from '../src/app.ts';

const ADMIN = { login: 'admin', password: 'poller-test-pass' };
const BODY = '<html>upstream said: SECRET-PAGE-TEXT session=tok-123456</html>';

const running: { close(): Promise<void> }[] = [];
after(async () => {
  for (const r of running) await r.close();
});

test('a failing answer is reported by status and reason, never by its body', async () => {
  let status = 502;
  const server = http.createServer((_req, res) => {
    if (status !== 200) return void res.writeHead(status, { 'content-type': 'text/html' }).end(BODY);
    // Pages that point at themselves: the cursor is the server's text, not ours to repeat either.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ streams: [], next: 'SECRET-CURSOR-TEXT' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  running.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
  const port = (server.address() as AddressInfo).port;

  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const s: Streamer = await createStreamer(
    {
      configFile: null,
      hostname: 'poller-test',
      httpPort: 0,
      clusterKey: 'poller-test-cluster-key',
      editAuth: ADMIN,
      dir: tempDir('streamer-poller-'),
      configExternal: `http://central-key-0123456789@127.0.0.1:${port}/central/api/v3/streamers/poller-test`,
      pollIntervalMs: 100,
      longPoll: false,
      ffmpeg: 'ffmpeg',
      logLevel: 'info',
    },
    pino({ level: 'info' }, sink),
  );
  running.unshift(s);
  const api = await s.listen('127.0.0.1');
  const stats = async () => {
    const res = await fetch(`http://127.0.0.1:${api}/streamer/api/v3/config/stats`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${ADMIN.login}:${ADMIN.password}`).toString('base64')}`,
      },
    });
    return (await res.json()) as { config_external_status?: Record<string, unknown> };
  };

  for (const code of [502, 404, 200]) {
    status = code;
    let seen: Record<string, unknown> | undefined;
    await waitUntil(
      async () => {
        seen = (await stats()).config_external_status;
        return (
          seen?.status === 'error' && (code === 200 ? seen.reason === 'malformed_json' : seen.code === code)
        );
      },
      10_000,
      `the ${code} answer in the stats`,
    );
    const text = JSON.stringify(seen);
    assert.doesNotMatch(text, /SECRET|tok-123456|upstream|html/i, text);
    if (code !== 200) assert.match(String(seen!.error), new RegExp(`^HTTP ${code}`));
  }
  const all = logs.join('');
  assert.ok(all.includes('config_external'), 'the failures were logged');
  assert.doesNotMatch(all, /SECRET|tok-123456|upstream/);
});
