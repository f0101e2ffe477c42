// The leader lease (server/src/db/lease.ts): one holder at a time, epochs that only grow, fencing of
// decision writes by a holder that lost the lease, and release for a quick handover.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { testBackends } from '../../test-kit/backends.ts';
import { migrate, type Db } from '../src/db/index.ts';
import { acquireLease, fence, leaseHolder, LeaseLost, releaseLease } from '../src/db/lease.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LEASE = 'leader';
/**
 * A short lease: long enough that the next statements run inside it on a busy machine, short enough
 * that waiting for its end is quick. Expiry is waited for, never assumed.
 */
const SHORT = 1500;

for (const backend of await testBackends()) {
  describe(`leader lease on ${backend.name}`, () => {
    let db: Db;
    before(async () => {
      db = await backend.open();
      await migrate(db);
    });
    after(() => db.close());
    beforeEach(() => db.exec('TRUNCATE central_leases'));

    /** Until the lease is no longer valid (one generous deadline). */
    const expired = async () => {
      const deadline = Date.now() + 30_000;
      while ((await leaseHolder(db, LEASE))?.valid !== false) {
        assert.ok(Date.now() < deadline, 'the lease never expired');
        await sleep(50);
      }
    };

    /** Runs fence in a transaction, as a decision write does. */
    const fenced = (holder: string, epoch: number) =>
      db.transaction(async (tx) => {
        await fence(tx, { name: LEASE, holder, epoch });
        return 'written';
      });

    test('the first holder gets epoch 1; a second gets null while it is valid; renewing keeps the epoch', async () => {
      assert.equal(await acquireLease(db, LEASE, 'A'), 1);
      assert.equal(await acquireLease(db, LEASE, 'B'), null);
      assert.equal(await acquireLease(db, LEASE, 'A'), 1);
      assert.equal(await acquireLease(db, LEASE, 'A'), 1);
      assert.equal(await acquireLease(db, LEASE, 'B'), null);
      assert.deepEqual(await leaseHolder(db, LEASE), { holder: 'A', epoch: 1, valid: true });
      // Leases of other names are independent.
      assert.equal(await acquireLease(db, 'other-loop', 'B'), 1);
      assert.equal(await leaseHolder(db, 'nothing'), null);
    });

    test('after expiry another holder takes over with epoch + 1; the old one cannot renew', async () => {
      assert.equal(await acquireLease(db, LEASE, 'A', SHORT), 1);
      assert.equal(await acquireLease(db, LEASE, 'B', SHORT), null, 'still valid');
      await expired();
      assert.equal(await acquireLease(db, LEASE, 'B', 60_000), 2);
      assert.equal(await acquireLease(db, LEASE, 'A', 60_000), null, 'the old holder is out');
      assert.deepEqual(await leaseHolder(db, LEASE), { holder: 'B', epoch: 2, valid: true });
      assert.equal(await acquireLease(db, LEASE, 'B', 60_000), 2, 'renewal keeps the epoch');
    });

    test('fence throws LeaseLost for the old holder after a takeover and passes for the new one', async () => {
      const a = await acquireLease(db, LEASE, 'A', SHORT);
      assert.equal(a, 1);
      assert.equal(await fenced('A', 1), 'written', 'the holder may write while its lease is valid');
      await expired();
      await assert.rejects(fenced('A', 1), LeaseLost, 'an expired lease fences even before a takeover');
      const b = await acquireLease(db, LEASE, 'B', 60_000);
      assert.equal(b, 2);
      await assert.rejects(fenced('A', 1), LeaseLost);
      await assert.rejects(fenced('B', 1), LeaseLost, 'the epoch must match too');
      await assert.rejects(fenced('A', 2), LeaseLost, 'the holder must match too');
      assert.equal(await fenced('B', 2), 'written');
      // A fenced transaction writes nothing: the error rolls it back.
      await db.exec('CREATE TABLE IF NOT EXISTS lease_probe (v int); TRUNCATE lease_probe');
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO lease_probe VALUES (1)');
          await fence(tx, { name: LEASE, holder: 'A', epoch: 1 });
        }),
        LeaseLost,
      );
      assert.equal((await db.query('SELECT * FROM lease_probe')).rowCount, 0);
    });

    test('fence fails for a lease that was never taken', async () => {
      await assert.rejects(fenced('A', 1), LeaseLost);
    });

    test('releaseLease lets another holder take over at once', async () => {
      assert.equal(await acquireLease(db, LEASE, 'A', 60_000), 1);
      assert.equal(await acquireLease(db, LEASE, 'B', 60_000), null);
      await releaseLease(db, LEASE, 'B'); // not the holder: no effect
      assert.equal(await acquireLease(db, LEASE, 'B', 60_000), null);
      await releaseLease(db, LEASE, 'A');
      await assert.rejects(fenced('A', 1), LeaseLost, 'a released lease fences its old holder');
      assert.equal(await acquireLease(db, LEASE, 'B', 60_000), 2);
      assert.equal(await fenced('B', 2), 'written');
      await releaseLease(db, LEASE, 'B');
      assert.equal(await acquireLease(db, LEASE, 'A', 60_000), 3, 'epochs only grow');
    });

    if (backend.name === 'postgres')
      test('a takeover waits for a fenced write in flight to commit', async () => {
        assert.equal(await acquireLease(db, LEASE, 'A', SHORT), 1);
        const expiresBy = Date.now() + SHORT;
        const events: string[] = [];
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const write = db.transaction(async (tx) => {
          await fence(tx, { name: LEASE, holder: 'A', epoch: 1 });
          events.push('fenced');
          await gate;
          events.push('committing');
        });
        while (!events.includes('fenced')) await sleep(5);
        // The lease expires meanwhile, but A's write holds the row. (The transaction holds a
        // connection: the lease row is not read meanwhile, the clock says when it has expired.)
        while (Date.now() <= expiresBy + 100) await sleep(50);
        const takeover = acquireLease(db, LEASE, 'B', 60_000).then((e) => (events.push('taken'), e));
        await sleep(200);
        assert.deepEqual(events, ['fenced'], 'the takeover waits for the write in flight');
        release();
        await write;
        assert.equal(await takeover, 2);
        assert.deepEqual(events, ['fenced', 'committing', 'taken']);
      });
  });
}
