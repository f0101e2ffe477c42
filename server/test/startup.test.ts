import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { describe, test } from 'node:test';
import { spawnCentral, spawnStreamer } from '../../test-kit/central-process.ts';
import { embeddedDir, tempDir, testPostgres } from '../../test-kit/backends.ts';
import { selfSignedCert } from '../../test-kit/tls.ts';

const GUIDE_BODY = '{"name": "STREAM_NAME", "inputs": [{"url": "fake://fake"}]}';

/** The getting-started guide's request, sent over real HTTP. */
async function guideRequest(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/streamer/api/v3/streams/STREAM_NAME`, {
    method: 'PUT',
    headers: { Authorization: 'Basic YWRtaW46YWRtaW4=', 'Content-Type': 'application/json' },
    body: GUIDE_BODY,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

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

  test('bad configuration: exit code 2, one line per problem naming the key', async () => {
    const bad = spawnCentral({ HTTP_PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    assert.equal(await bad.exited, 2);
    const out = bad.output();
    for (const key of ['HTTP_PORT', 'LOG_LEVEL', 'DATABASE_URL'])
      assert.match(out, new RegExp(`^\\s+${key}: `, 'm'), out);
  });

  test('HTTPS with the certificate and key files; a mismatched pair is a start-up error', async () => {
    const dir = await embeddedDir();
    const a = selfSignedCert(dir, 'a');
    const b = selfSignedCert(dir, 'b');
    const env = {
      CENTRAL_DIR: dir,
      HTTP_PORT: '0',
      HTTPS_PORT: '0',
      API_KEY: 'k-tls-0123456789ab',
      SSL_CERTIFICATE: a.cert,
      SSL_CERTIFICATE_KEY: a.key,
    };
    const c = spawnCentral(env);
    const ports = await c.ready;
    assert.ok(ports.https);
    const status = await new Promise<number>((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port: ports.https,
            path: '/central/api/v3/monitoring/liveness',
            ca: fs.readFileSync(a.cert),
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    assert.equal(status, 200);
    // One limiter for both listeners: failures over HTTP lock the address out over HTTPS too.
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`http://127.0.0.1:${ports.http}/central/api/v3/streams`, {
        headers: { authorization: 'Bearer wrong-key-0123456789' },
      });
      assert.equal(res.status, 401, `failure ${i + 1} over HTTP`);
    }
    const overTls = await new Promise<number>((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port: ports.https,
            path: '/central/api/v3/streams',
            headers: { authorization: `Bearer ${env.API_KEY}` },
            ca: fs.readFileSync(a.cert),
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    assert.equal(overTls, 429, 'the right key over HTTPS waits too');
    await c.stop();
    const mismatched = spawnCentral({ ...env, SSL_CERTIFICATE_KEY: b.key });
    assert.equal(await mismatched.exited, 2);
    assert.match(
      mismatched.output(),
      /SSL_CERTIFICATE, SSL_CERTIFICATE_KEY: not a usable certificate and key pair/,
    );
  });

  test('with DATABASE_URL on PostgreSQL the guide request works the same', async (t) => {
    const pg = await testPostgres();
    if (!pg) return t.skip('PostgreSQL is not installed here');
    const url = await pg.createDatabase('startup');
    const c = spawnCentral({
      CENTRAL_DIR: tempDir(),
      HTTP_PORT: '0',
      EDIT_AUTH: 'admin admin',
      DATABASE_URL: url,
    });
    const { http } = await c.ready;
    const created = await guideRequest(http);
    assert.equal(created.status, 200);
    assert.equal(created.body.name, 'STREAM_NAME');
    await c.stop();
  });

  test('an unreachable PostgreSQL with bad credentials fails fast with a clear message', async (t) => {
    const pg = await testPostgres();
    if (!pg) return t.skip('PostgreSQL is not installed here');
    const c = spawnCentral({
      CENTRAL_DIR: tempDir(),
      HTTP_PORT: '0',
      DATABASE_URL: `postgres://nobody:wrong@127.0.0.1:${pg.port}/postgres?sslmode=disable`,
    });
    assert.equal(await c.exited, 2);
    assert.match(
      c.output(),
      /cannot connect to PostgreSQL at 127\.0\.0\.1:\d+: .*password authentication failed/,
    );
    assert.doesNotMatch(c.output(), /wrong/, 'the password is not printed');
  });
});
