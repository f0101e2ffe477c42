// Start-up as a real process, the configuration half: bad settings, HTTPS, and PostgreSQL (the
// embedded half is startup.test.ts; two files so that they run side by side).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import { describe, test } from 'node:test';
import { guideRequest, spawnCentral } from '../../test-kit/central-process.ts';
import { embeddedDir, tempDir, testPostgres } from '../../test-kit/backends.ts';
import { selfSignedCert } from '../../test-kit/tls.ts';

describe('start-up as a real process: configuration', () => {
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
