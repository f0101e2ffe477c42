// What only a real PostgreSQL server can show: libpq sslmode semantics, percent-encoded credentials,
// and migrations racing between several Central processes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testPostgres } from '../../test-kit/backends.ts';
import { startPostgres, type PgServer } from '../../test-kit/postgres.ts';
import { listMigrations, migrate } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { DatabaseError, type Db } from '../src/db/types.ts';

const pg = await testPostgres();
const PASSWORD = 'p@ss;w#rd[\\/=$ %';

describe(
  'PostgreSQL connections',
  { skip: pg ? false : 'PostgreSQL is not installed here', timeout: 120_000 },
  () => {
    let base = '';
    const opened: Db[] = [];
    const open = async (url: string) => {
      const db = await openPostgres(url, { retries: 0 });
      opened.push(db);
      return db;
    };
    const usesTls = async (db: Db) =>
      (await db.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]!
        .ssl;

    before(async () => {
      const dbUrl = new URL(await pg!.createDatabase('conn'));
      await pg!.admin(`CREATE ROLE odd LOGIN PASSWORD '${PASSWORD.replace(/'/g, "''")}'`).catch(() => {});
      await pg!.admin(`GRANT ALL ON DATABASE ${dbUrl.pathname.slice(1)} TO odd`);
      base = `postgres://odd:${encodeURIComponent(PASSWORD)}@localhost:${pg!.port}${dbUrl.pathname}`;
    });
    after(async () => {
      await Promise.all(opened.map((d) => d.close()));
    });

    test('percent-encoded credentials with @ ; # [ \\ / = $ % work', async () => {
      const db = await open(`${base}?sslmode=disable`);
      assert.equal((await db.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u, 'odd');
    });

    test('sslmode: disable is plain; no sslmode, prefer and require use TLS without verifying', async () => {
      assert.equal(await usesTls(await open(`${base}?sslmode=disable`)), false);
      assert.equal(await usesTls(await open(base)), true, 'libpq defaults to prefer');
      assert.equal(await usesTls(await open(`${base}?sslmode=prefer`)), true);
      assert.equal(await usesTls(await open(`${base}?sslmode=require`)), true);
    });

    test(
      'sslmode: verify-ca and verify-full check the certificate',
      { skip: pg?.certFile ? false : 'no server certificate' },
      async () => {
        const cert = encodeURIComponent(pg!.certFile);
        await assert.rejects(
          open(`${base}?sslmode=verify-full`),
          (e: Error) => e instanceof DatabaseError && /certificate/i.test(e.message),
        );
        assert.equal(await usesTls(await open(`${base}?sslmode=verify-full&sslrootcert=${cert}`)), true);
        assert.equal(
          await usesTls(
            await open(`${base.replace('localhost', '127.0.0.1')}?sslmode=verify-ca&sslrootcert=${cert}`),
          ),
          true,
        );
      },
    );

    test('the password never appears in a connection error', async () => {
      const wrong = base.replace(encodeURIComponent(PASSWORD), 'Wr0ngSecret');
      await assert.rejects(
        open(`${wrong}?sslmode=disable`),
        (e: Error) => /password authentication failed/.test(e.message) && !/Wr0ngSecret/.test(e.message),
      );
    });
  },
);

describe(
  'sslmode against a server without TLS',
  { skip: pg ? false : 'PostgreSQL is not installed here', timeout: 120_000 },
  () => {
    let plain: PgServer;
    before(async () => (plain = await startPostgres({ ssl: false })));
    after(() => plain.stop());

    test('prefer and allow fall back to plaintext; require and verify-full fail clearly', async () => {
      const url = new URL(await plain.createDatabase('plain'));
      url.searchParams.delete('sslmode');
      for (const mode of ['prefer', 'allow']) {
        const db = await openPostgres(`${url}?sslmode=${mode}`, { retries: 0 });
        assert.equal((await db.query('SELECT 1 AS x')).rows[0]!.x, 1);
        await db.close();
      }
      for (const mode of ['require', 'verify-full'])
        await assert.rejects(openPostgres(`${url}?sslmode=${mode}`, { retries: 0 }), /does not support SSL/);
    });
  },
);

describe('migrations', { skip: pg ? false : 'PostgreSQL is not installed here' }, () => {
  test('several processes starting together apply each migration exactly once', async () => {
    const url = await pg!.createDatabase('mig');
    const dbs = await Promise.all(Array.from({ length: 5 }, () => openPostgres(url, { retries: 0 })));
    const applied = await Promise.all(dbs.map((d) => migrate(d)));
    assert.equal(applied.filter((a) => a.length > 0).length, 1, 'one process applied them');
    const all = listMigrations().map((m) => m.id);
    assert.deepEqual(applied.flat(), all);
    assert.deepEqual(all.slice(0, 6), [
      '0001_streams_streamers',
      '0002_faster_merge_patch',
      '0003_row_counts',
      '0004_fleet',
      '0005_batch_upsert',
      '0006_stats_history',
    ]);
    assert.ok(all.includes('0008_ui_session_revocations'));
    const rows = (await dbs[0]!.query<{ n: number }>('SELECT count(*)::int AS n FROM central_migrations'))
      .rows;
    assert.equal(rows[0]!.n, all.length);
    await Promise.all(dbs.map((d) => d.close()));
  });

  test('a database migrated by a newer version is refused', async () => {
    const db = await openPostgres(await pg!.createDatabase('mig'), { retries: 0 });
    await migrate(db);
    await db.query("INSERT INTO central_migrations (id) VALUES ('9999_from_the_future')");
    await assert.rejects(migrate(db), /used by a newer version/);
    await db.close();
  });
});
