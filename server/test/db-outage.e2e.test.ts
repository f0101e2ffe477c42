// Central as a real process through PostgreSQL failing under it (issue 13): a backend killed while a
// request waits on a row lock fails that request and never the process; `pg_ctl restart -m immediate`
// while a client writes all the time leaves Central running, ready again within seconds, and every
// write it acknowledged readable afterwards. The server here is this test's own (restarting the shared
// one would fail every other test file).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { TEST_API_KEY } from '../../test-kit/app.ts';
import { tempDir, testPostgres } from '../../test-kit/backends.ts';
import { spawnCentral, type CentralProcess } from '../../test-kit/central-process.ts';
import { waitUntil } from '../../test-kit/fleet.ts';
import { startPostgres, type PgServer } from '../../test-kit/postgres.ts';

const available = (await testPostgres()) !== null;
const P = '/central/api/v3';

describe('Central through PostgreSQL failures', { skip: !available }, () => {
  let server: PgServer;
  let url = '';
  let central: CentralProcess;
  let base = '';
  before(async () => {
    // Durable: with synchronous_commit off (the suite's speed setting) a crash loses recent commits.
    server = await startPostgres({ durable: true });
    url = await server.createDatabase('outage');
    central = spawnCentral({
      CENTRAL_DIR: tempDir(),
      HTTP_PORT: '0',
      API_KEY: TEST_API_KEY,
      DATABASE_URL: url,
    });
    base = `http://127.0.0.1:${(await central.ready).http}`;
  });
  after(async () => {
    await central?.stop();
    await server?.stop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    try {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: res.status, text: await res.text() };
    } catch (e) {
      return { status: 0, text: String(e) };
    }
  };
  const ok = (status: number) => status >= 200 && status < 300;
  const alive = () => central.proc.exitCode === null && central.proc.signalCode === null;

  test('a backend killed while a batch waits on a row lock fails that batch, not Central', async () => {
    const created = await call('PUT', `${P}/streams/s1`, { inputs: [{ url: 'fake://a' }] });
    assert.ok(ok(created.status), created.text);
    const locker = new pg.Client({ connectionString: url });
    locker.on('error', () => {});
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM streams WHERE name = 's1' FOR UPDATE`);
      const batch = call('PUT', `${P}/streams/batch`, [{ name: 's1', title: 'blocked' }]);
      let pid = 0;
      await waitUntil(
        async () => {
          const r = await server.admin(
            `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = $1`,
            [new URL(url).pathname.slice(1)],
          );
          pid = r.rows[0]?.pid ?? 0;
          return pid !== 0;
        },
        20_000,
        "Central's batch waiting on the row lock",
      );
      await server.admin('SELECT pg_terminate_backend($1)', [pid]);
      const res = await batch;
      assert.ok(res.status >= 500, `the batch failed: ${res.status} ${res.text}`);
      assert.ok(alive(), `Central is still running:\n${central.output().slice(-2000)}`);
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      await locker.end().catch(() => {});
    }
    const again = await call('PUT', `${P}/streams/batch`, [{ name: 's1', title: 'after' }]);
    assert.ok(ok(again.status), again.text);
  });

  test('pg_ctl restart -m immediate under writes: Central stays up, is ready again, loses nothing', async () => {
    const acknowledged: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const name = `w${i}`;
        const res = await call('PUT', `${P}/streams/${name}`, { inputs: [{ url: 'fake://w' }] });
        if (ok(res.status)) acknowledged.push(name);
      }
    })();
    await waitUntil(() => acknowledged.length >= 20, 30_000, 'writes before the restart');
    const before = acknowledged.length;
    await server.restart!();
    const ready = await waitUntil(
      async () => (await call('GET', `${P}/monitoring/readiness`)).status === 200,
      30_000,
      'readiness after the restart',
    );
    console.log(`# ready ${ready} ms after PostgreSQL came back`);
    await waitUntil(() => acknowledged.length >= before + 20, 30_000, 'writes acknowledged again');
    writing = false;
    await writer;
    assert.ok(alive(), `Central is still running:\n${central.output().slice(-2000)}`);
    assert.doesNotMatch(central.output(), /Unhandled 'error' event/);
    const missing: string[] = [];
    for (const name of acknowledged)
      if (!ok((await call('GET', `${P}/streams/${name}`)).status)) missing.push(name);
    assert.deepEqual(missing, [], 'every acknowledged write is there');
  });
});
