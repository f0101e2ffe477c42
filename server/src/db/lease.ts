// The leader lease: a row in PostgreSQL that one Central process holds at a time. Time is the
// database's (one clock for every process). Holding it is not trusted on its own: every decision
// write runs `fence` in its transaction, which fails unless the lease row still carries our epoch,
// and share-locks the row so that a takeover waits for that write to commit. A new expiry is computed
// after any such wait (clock_timestamp() in the update itself), so a lease is never granted already
// expired; a holder paused mid-write loses its locks to idle_in_transaction_session_timeout
// (db/postgres.ts), so no takeover waits longer than that.
import type { Queryable } from './types.ts';

/** The lease whose holder runs the fleet loops (fleet/leader.ts); GET /metrics shows its epoch. */
export const FLEET_LEASE = 'leader';
export const LEASE_TTL_MS = 8000;
export const LEASE_RENEW_MS = 2000;
/** How often a process that does not hold the lease tries to take it. */
export const LEASE_RETRY_MS = 1000;

export class LeaseLost extends Error {
  constructor(name: string) {
    super(`lease ${name} is no longer ours`);
  }
}

const ACQUIRE = `
INSERT INTO central_leases AS c (name, holder, epoch, expires_at)
VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond')
ON CONFLICT (name) DO UPDATE SET
  holder = EXCLUDED.holder,
  epoch = CASE WHEN c.holder = EXCLUDED.holder THEN c.epoch ELSE c.epoch + 1 END,
  expires_at = clock_timestamp() + $3 * interval '1 millisecond'
WHERE c.holder = EXCLUDED.holder OR c.expires_at < clock_timestamp()
RETURNING epoch`;

export interface LeaseState {
  name: string;
  holder: string;
  epoch: number;
}

/** Takes or renews the lease; returns its epoch, or null while another holder's lease is valid. */
export async function acquireLease(db: Queryable, name: string, holder: string, ttlMs = LEASE_TTL_MS) {
  const r = await db.query<{ epoch: string | number }>(ACQUIRE, [name, holder, ttlMs], 'lease_acquire');
  return r.rows[0] ? Number(r.rows[0].epoch) : null;
}

/** Gives the lease up at once (graceful shutdown), so that another process takes over without waiting. */
export async function releaseLease(db: Queryable, name: string, holder: string) {
  await db.query(
    `UPDATE central_leases SET expires_at = clock_timestamp() - interval '1 second' WHERE name = $1 AND holder = $2`,
    [name, holder],
  );
}

/** Call first in a decision transaction: throws LeaseLost unless the lease is still ours and valid. */
export async function fence(tx: Queryable, lease: LeaseState) {
  const r = await tx.query(
    `SELECT 1 FROM central_leases WHERE name = $1 AND holder = $2 AND epoch = $3
     AND expires_at > clock_timestamp() FOR SHARE`,
    [lease.name, lease.holder, lease.epoch],
    'lease_fence',
  );
  if (!r.rows.length) throw new LeaseLost(lease.name);
}

export async function leaseHolder(db: Queryable, name: string) {
  const r = await db.query<{ holder: string; epoch: string; valid: boolean }>(
    `SELECT holder, epoch, expires_at > clock_timestamp() AS valid FROM central_leases WHERE name = $1`,
    [name],
  );
  const row = r.rows[0];
  return row ? { holder: row.holder, epoch: Number(row.epoch), valid: row.valid } : null;
}
