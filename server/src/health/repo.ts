// SQL of the health poller: the streamer list with contact times, and batched observed-state writes.
import type { Queryable } from '../db/types.ts';
import { SAMPLE_FIELDS, type StatsSample } from './state.ts';

export type WatchedRow = {
  hostname: string;
  api_url: string | null;
  cluster_key: string | null;
  role: string;
  pull_key_generation: string | number;
  last_pull_at: string | number | null;
  last_poll_ok: string | number | null;
  state: string | null;
  online_since: string | number | null;
  stats: Record<string, unknown> | null;
};

export async function readWatched(db: Queryable): Promise<WatchedRow[]> {
  const r = await db.query<WatchedRow>(
    `SELECT s.hostname, s.config->>'api_url' AS api_url, s.config->>'cluster_key' AS cluster_key, s.role,
       s.pull_key_generation, st.last_pull_at, st.last_poll_ok, st.state, st.online_since, st.stats
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

/**
 * One statement for a whole round. A sample within `minGapMs` of a stored one is skipped, so the
 * spacing holds across leaders and processes too; a streamer deleted meanwhile gets none.
 */
export async function writeSamples(db: Queryable, samples: StatsSample[], minGapMs: number) {
  if (!samples.length) return;
  const cols = SAMPLE_FIELDS.map((f) => `u.${f}`).join(', ');
  const arrays = SAMPLE_FIELDS.map((_, i) => `$${i + 3}::int[]`).join(', ');
  await db.query(
    `INSERT INTO streamer_stats_history (hostname, at, ${SAMPLE_FIELDS.join(', ')})
     SELECT u.h, u.at, ${cols}
     FROM unnest($1::text[], $2::bigint[], ${arrays}) AS u(h, at, ${SAMPLE_FIELDS.join(', ')})
     WHERE EXISTS (SELECT 1 FROM streamers x WHERE x.hostname = u.h)
       AND NOT EXISTS (SELECT 1 FROM streamer_stats_history p
                       WHERE p.hostname = u.h AND p.at > u.at - $${SAMPLE_FIELDS.length + 3} AND p.at <= u.at)
     ON CONFLICT (hostname, at) DO NOTHING`,
    [
      samples.map((s) => s.hostname),
      samples.map((s) => s.at),
      ...SAMPLE_FIELDS.map((f) => samples.map((s) => s[f])),
      minGapMs,
    ],
    'stats_history_write',
  );
}

export async function pruneSamples(db: Queryable, before: number): Promise<number> {
  const r = await db.query(
    'DELETE FROM streamer_stats_history WHERE at < $1',
    [before],
    'stats_history_prune',
  );
  return r.rowCount;
}

/** null when there is no such streamer; else the newest `limit` samples since `since`, oldest first. */
export async function readSamples(
  db: Queryable,
  hostname: string,
  since: number,
  limit: number,
): Promise<StatsSample[] | null> {
  const known = await db.query('SELECT 1 FROM streamers WHERE hostname = $1', [hostname]);
  if (!known.rowCount) return null;
  const r = await db.query<StatsSample>(
    `SELECT * FROM (SELECT hostname, at, ${SAMPLE_FIELDS.join(', ')} FROM streamer_stats_history
       WHERE hostname = $1 AND at >= $2 ORDER BY at DESC LIMIT $3) x ORDER BY at`,
    [hostname, since, limit],
    'stats_history_read',
  );
  return r.rows;
}
