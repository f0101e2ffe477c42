// What a real PostgreSQL does to Central on a bad day (issue 13): a connection dropped in the middle of
// a transaction fails that transaction and never the process; a session left idle in a transaction
// (its process paused) loses its locks after a bounded time, so writes elsewhere go on; a lease is
// never granted already expired, however long the grant waited behind a paused holder's fence.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testPostgres } from '../../test-kit/backends.ts';
import { waitUntil } from '../../test-kit/fleet.ts';
import { acquireLease, fence, leaseHolder } from '../src/db/lease.ts';
import { migrate } from '../src/db/migrate.ts';
import { openPostgres, SESSION_LIMITS } from '../src/db/postgres.ts';
import type { Db } from '../src/db/types.ts';

const pg = await testPostgres();

describe(
  'PostgreSQL faults',
  { skip: pg ? false : 'PostgreSQL is not installed here', timeout: 120_000 },
  () => {
    let db: Db;
    let other: Db;
    const logged: string[] = [];
    before(async () => {
      const url = await pg!.createDatabase('faults');
      db = await openPostgres(url, { retries: 0, log: (m) => logged.push(m) });
      other = await openPostgres(url, { retries: 0 });
      await migrate(db);
      await db.exec('CREATE TABLE fault_rows (id int PRIMARY KEY, v int NOT NULL)');
      await db.exec('INSERT INTO fault_rows VALUES (1, 0), (2, 0)');
    });
    after(async () => {
      await db?.close();
      await other?.close();
    });

    test('a backend terminated mid-transaction fails that transaction, not the process', async () => {
      const attempt = db.transaction(async (tx) => {
        const pid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        await pg!.admin('SELECT pg_terminate_backend($1)', [pid]);
        await waitUntil(
          async () =>
            (await pg!.admin('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0,
          20_000,
          'the backend to be gone',
        );
        await tx.query('UPDATE fault_rows SET v = v + 1 WHERE id = 1');
      });
      await assert.rejects(attempt);
      // The broken connection was discarded: the pool goes on with healthy ones.
      for (let i = 0; i < 8; i++)
        await db.transaction((tx) => tx.query('UPDATE fault_rows SET v = v + 1 WHERE id = 2'));
      const v = (await db.query<{ v: number }>('SELECT v FROM fault_rows WHERE id = 2')).rows[0]!.v;
      assert.equal(v, 8);
    });

    test('a LISTEN connection that is killed comes back by itself and hears notifications again', async () => {
      const heard: string[] = [];
      const unlisten = await db.listen('fault_channel', (p) => heard.push(p));
      try {
        const before = (
          await pg!.admin(`SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN "fault_channel"'`)
        ).rows.map((r) => r.pid as number);
        assert.equal(before.length, 1, 'one LISTEN connection');
        await pg!.admin('SELECT pg_terminate_backend($1)', [before[0]]);
        await waitUntil(
          async () => {
            await other.query(`SELECT pg_notify('fault_channel', 'again')`);
            return heard.includes('again');
          },
          30_000,
          'a notification after the reconnect',
          300,
        );
        const after = (
          await pg!.admin(`SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN "fault_channel"'`)
        ).rows.map((r) => r.pid as number);
        assert.equal(after.length, 1, 'exactly one LISTEN connection again, not one per failure');
        assert.ok(logged.some((m) => m.includes('LISTEN fault_channel connection failed')));
      } finally {
        await unlisten();
      }
    });

    test('a transaction left idle (its process paused) loses its locks: others write within seconds', async () => {
      let resume!: () => void;
      const paused = new Promise<void>((r) => (resume = r));
      let locked!: () => void;
      const holding = new Promise<void>((r) => (locked = r));
      const stalled = db.transaction(async (tx) => {
        await tx.query('SELECT 1 FROM fault_rows WHERE id = 1 FOR UPDATE');
        locked();
        await paused;
        await tx.query('UPDATE fault_rows SET v = -1 WHERE id = 1');
      });
      const failed = stalled.then(
        () => null,
        (e: unknown) => e,
      );
      await holding;
      const started = Date.now();
      // Another process's write to the same row: lock_timeout may refuse a first try; it retries.
      for (;;) {
        try {
          await other.transaction((tx) => tx.query('UPDATE fault_rows SET v = 100 WHERE id = 1'));
          break;
        } catch (e) {
          assert.match(String(e), /lock timeout/, 'only a lock timeout, retried');
          assert.ok(Date.now() - started < 30_000, 'the lock is released within the session limits');
        }
      }
      const waited = Date.now() - started;
      console.log(`# a paused transaction's lock released after ${waited} ms`);
      assert.ok(
        waited < SESSION_LIMITS.idle_in_transaction_session_timeout + SESSION_LIMITS.lock_timeout + 5000,
      );
      resume();
      assert.ok((await failed) instanceof Error, 'the paused transaction failed when it woke up');
      const v = (await db.query<{ v: number }>('SELECT v FROM fault_rows WHERE id = 1')).rows[0]!.v;
      assert.equal(v, 100, 'the paused write never landed');
    });

    test('a lease granted after waiting behind a paused holder is valid when granted', async () => {
      assert.equal(await acquireLease(db, 'fault-lease', 'A', 500), 1);
      let done!: () => void;
      const hold = new Promise<void>((r) => (done = r));
      // A's decision write share-locks the lease row, then A is slow (but not past the idle limit).
      let fenced!: () => void;
      const locked = new Promise<void>((r) => (fenced = r));
      const writing = db.transaction(async (tx) => {
        await fence(tx, { name: 'fault-lease', holder: 'A', epoch: 1 });
        fenced();
        await hold;
      });
      await locked;
      const granted = acquireLease(other, 'fault-lease', 'B', 500);
      // A's lease (500 ms) runs out while B waits on the row lock A's fence holds.
      await waitUntil(
        async () =>
          (await leaseHolder(db, 'fault-lease'))?.valid === false &&
          (await pg!.admin(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'`)).rowCount! > 0,
        20_000,
        "A's lease to expire with B waiting behind its fence",
      );
      done();
      await writing;
      assert.equal(await granted, 2, 'B takes over with the next epoch');
      const now = await leaseHolder(other, 'fault-lease');
      assert.deepEqual(now, { holder: 'B', epoch: 2, valid: true }, 'granted with a future expiry');
    });
  },
);
