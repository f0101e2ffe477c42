// SQL of the health poller: the streamer list with contact times, and batched observed-state writes.
import type { Queryable } from '../db/types.ts';

export type WatchedRow = {
  hostname: string;
  api_url: string | null;
  cluster_key: string | null;
  role: string;
  last_pull_at: string | number | null;
  last_poll_ok: string | number | null;
  state: string | null;
  online_since: string | number | null;
  stats: Record<string, unknown> | null;
};

export async function readWatched(db: Queryable): Promise<WatchedRow[]> {
  const r = await db.query<WatchedRow>(
    `SELECT s.hostname, s.config->>'api_url' AS api_url, s.config->>'cluster_key' AS cluster_key, s.role,
       st.last_pull_at, st.last_poll_ok, st.state, st.online_since, st.stats
     FROM streamers s LEFT JOIN streamer_status st ON st.hostname = s.hostname ORDER BY s.hostname`,
    [],
    'health_watched',
  );
  return r.rows;
}

export interface StatusWrite {
  hostname: string;
  state: string;
  onlineSince: number | null;
  lastPollAt: number | null;
  lastPollOk: number | null;
  stats: Record<string, unknown> | null;
  error: string | null;
}

export async function writeStatuses(db: Queryable, rows: StatusWrite[], now: number) {
  if (!rows.length) return;
  await db.query(
    `INSERT INTO streamer_status AS s (hostname, state, online_since, last_poll_at, last_poll_ok, stats, error, updated_at)
     SELECT u.h, u.st, u.os, u.pa, u.po, u.stats::jsonb, u.err, $8
     FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[])
       AS u(h, st, os, pa, po, stats, err)
     WHERE EXISTS (SELECT 1 FROM streamers x WHERE x.hostname = u.h)
     ON CONFLICT (hostname) DO UPDATE SET state = EXCLUDED.state, online_since = EXCLUDED.online_since,
       last_poll_at = EXCLUDED.last_poll_at, last_poll_ok = EXCLUDED.last_poll_ok, stats = EXCLUDED.stats,
       error = EXCLUDED.error, updated_at = EXCLUDED.updated_at`,
    [
      rows.map((r) => r.hostname),
      rows.map((r) => r.state),
      rows.map((r) => r.onlineSince),
      rows.map((r) => r.lastPollAt),
      rows.map((r) => r.lastPollOk),
      rows.map((r) => (r.stats ? JSON.stringify(r.stats) : null)),
      rows.map((r) => r.error),
      now,
    ],
  );
}

export async function writeProvision(db: Queryable, hostname: string, provision: Record<string, unknown>) {
  await db.query(
    `INSERT INTO streamer_status AS s (hostname, provision)
     SELECT $1, $2::jsonb WHERE EXISTS (SELECT 1 FROM streamers x WHERE x.hostname = $1)
     ON CONFLICT (hostname) DO UPDATE SET provision = EXCLUDED.provision`,
    [hostname, JSON.stringify(provision)],
  );
}

export interface StreamStatusWrite {
  name: string;
  stats: Record<string, unknown>;
  runningSince: number | null;
}

/** Upserts changed stream observations (only for streams Central has) and deletes vanished ones. */
export async function writeStreamStatuses(
  db: Queryable,
  upserts: StreamStatusWrite[],
  deletes: string[],
  now: number,
) {
  if (upserts.length)
    await db.query(
      `INSERT INTO stream_status AS s (name, stats, running_since, updated_at)
       SELECT u.n, u.st::jsonb, u.rs, $4 FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(n, st, rs)
       WHERE EXISTS (SELECT 1 FROM streams x WHERE x.name = u.n)
       ON CONFLICT (name) DO UPDATE SET stats = EXCLUDED.stats, running_since = EXCLUDED.running_since,
         updated_at = EXCLUDED.updated_at`,
      [
        upserts.map((u) => u.name),
        upserts.map((u) => JSON.stringify(u.stats)),
        upserts.map((u) => u.runningSince),
        now,
      ],
    );
  if (deletes.length) await db.query('DELETE FROM stream_status WHERE name = ANY($1::text[])', [deletes]);
}
