// Start-up as a real process, the embedded half: the guide's first start, restarts, kill -9, and the
// data folder's lock (the configuration half is startup-config.test.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { guideRequest, spawnCentral, spawnStreamer } from '../../test-kit/central-process.ts';
import { embeddedDir, tempDir } from '../../test-kit/backends.ts';

describe('start-up as a real process', () => {
  test('embedded database: the guide request works; the key is generated once and kept', async () => {
    const dir = tempDir();
    const env = { CENTRAL_DIR: dir, HTTP_PORT: '0', EDIT_AUTH: 'admin admin' };
    const first = spawnCentral(env);
    const { http } = await first.ready;
    const created = await guideRequest(http);
    assert.equal(created.status, 200);
    assert.deepEqual(created.body.inputs, [{ url: 'fake://fake' }]);
    const key = fs.readFileSync(path.join(dir, 'api_key'), 'utf8').trim();
    assert.ok(key.length >= 24);
    assert.equal((fs.statSync(path.join(dir, 'api_key')).mode & 0o777).toString(8), '600');
    // The database files hold cluster keys and input credentials: nobody else may reach them.
    assert.equal((fs.statSync(path.join(dir, 'pglite')).mode & 0o777).toString(8), '700');
    assert.match(first.output(), /generated one and saved it in .*api_key/, 'start-up says where the key is');
    assert.ok(!first.output().includes(key), 'not on a terminal: the key stays out of the output (logs)');
    assert.equal(await first.stop(), 0, 'SIGTERM stops it cleanly');
    assert.ok(!fs.existsSync(path.join(dir, 'central.pid')), 'the lock is released');

    const second = spawnCentral(env);
    const again = await second.ready;
    assert.ok(!second.output().includes(key), 'the key is printed only once');
    const res = await fetch(`http://127.0.0.1:${again.http}/central/api/v3/streams/STREAM_NAME`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    assert.equal(res.status, 200, 'data and key survive a restart');
    await second.stop();
  });

  test('SIGTERM stops Central and the streamer even when the reader of their output is gone', async () => {
    const procs = [
      spawnCentral({
        CENTRAL_DIR: await embeddedDir(),
        HTTP_PORT: '0',
        API_KEY: 'closed-pipe-key-0123456789',
      }),
      spawnStreamer({ STREAMER_DIR: tempDir(), STREAMER_HTTP: '0', STREAMER_FFMPEG: '/bin/true' }),
    ];
    for (const p of procs) {
      await p.ready;
      // As when `central | tee log` loses its tee: further log lines meet a closed pipe (EPIPE).
      p.proc.stdout!.destroy();
      p.proc.stderr!.destroy();
      const started = Date.now();
      p.proc.kill('SIGTERM');
      const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('hung'), 10_000))]);
      if (code === 'hung') p.proc.kill('SIGKILL');
      assert.equal(code, 0, `exit after SIGTERM with a closed stdout (${Date.now() - started} ms)`);
    }
  });

  test('kill -9 right after acknowledged writes loses none of them (embedded database)', async () => {
    const dir = await embeddedDir();
    const env = { CENTRAL_DIR: dir, HTTP_PORT: '0', API_KEY: 'k-crash-0123456789' };
    const headers = { Authorization: 'Bearer k-crash-0123456789', 'Content-Type': 'application/json' };
    const first = spawnCentral(env);
    const { http } = await first.ready;
    const base = `http://127.0.0.1:${http}/central/api/v3`;
    const acked: string[] = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const name = `crash/${i}`;
        const res = await fetch(`${base}/streams/${name}`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({ inputs: [{ url: `udp://239.0.0.1:${1000 + i}` }] }),
        });
        if (res.status === 200) acked.push(name);
      }),
    );
    assert.equal(acked.length, 200);
    await first.stop('SIGKILL');
    const second = spawnCentral(env);
    const again = await second.ready;
    const list = await fetch(
      `http://127.0.0.1:${again.http}/central/api/v3/streams?limit=1000&name_like=crash/`,
      { headers },
    );
    const body = (await list.json()) as {
      streams: { name: string; inputs: { url: string }[] }[];
      estimated_count: number;
    };
    assert.deepEqual(body.streams.map((s) => s.name).sort(), acked.sort());
    assert.equal(body.estimated_count, 200);
    for (const s of body.streams)
      assert.equal(s.inputs[0]!.url, `udp://239.0.0.1:${1000 + Number(s.name.slice(6))}`);
    await second.stop();
  });

  test('two processes on one embedded database: the second refuses with a clear message', async () => {
    const dir = await embeddedDir();
    const first = spawnCentral({ CENTRAL_DIR: dir, HTTP_PORT: '0', API_KEY: 'k-one-0123456789ab' });
    await first.ready;
    const second = spawnCentral({ CENTRAL_DIR: dir, HTTP_PORT: '0', API_KEY: 'k-one-0123456789ab' });
    assert.equal(await second.exited, 2);
    assert.match(second.output(), /in use by another Central process \(pid \d+\)/);
    assert.match(second.output(), /DATABASE_URL/);
    await first.stop();
  });

  test('a lock left by a killed process does not block the next start', async () => {
    const dir = await embeddedDir();
    const first = spawnCentral({ CENTRAL_DIR: dir, HTTP_PORT: '0', API_KEY: 'k-one-0123456789ab' });
    await first.ready;
    await first.stop('SIGKILL');
    assert.ok(fs.existsSync(path.join(dir, 'central.pid')));
    const next = spawnCentral({ CENTRAL_DIR: dir, HTTP_PORT: '0', API_KEY: 'k-one-0123456789ab' });
    await next.ready;
    await next.stop();
  });
});
