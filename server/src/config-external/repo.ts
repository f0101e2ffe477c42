// SQL for the config_external endpoints. A streamer's list is exactly the enabled streams whose layout
// names it as ingest.
import type { Queryable } from '../db/types.ts';

export interface PullVersion {
  exists: boolean;
  version: number;
  changedAt: number;
  /** The generation the streamer's pull key is derived from (null: no such streamer). */
  generation: number | null;
}

/**
 * One primary-key lookup: does the streamer exist, which version is its list at, and which generation
 * its pull key is (so checking the key costs no extra query).
 */
export async function pullVersion(db: Queryable, hostname: string): Promise<PullVersion> {
  const r = await db.query<{ version: string | null; changed_at: string | null; generation: string }>(
    `SELECT p.version, p.changed_at, s.pull_key_generation AS generation
     FROM streamers s LEFT JOIN streamer_pulls p ON p.hostname = s.hostname
     WHERE s.hostname = $1`,
    [hostname],
    'pull_version',
  );
  const row = r.rows[0];
  if (!row) return { exists: false, version: 0, changedAt: 0, generation: null };
  return {
    exists: true,
    version: Number(row.version ?? 0),
    changedAt: Number(row.changed_at ?? 0),
    generation: Number(row.generation),
  };
}

export interface PullKeyRow {
  generation: number;
  rotatedAt: number | null;
}

/** A streamer's pull key generation; `rotate` first moves it to a new one. Null: no such streamer. */
export async function pullKeyRow(
  db: Queryable,
  hostname: string,
  rotate: { now: number } | null,
): Promise<PullKeyRow | null> {
  const r = rotate
    ? await db.query<{ g: string; at: string | null }>(
        `UPDATE streamers SET pull_key_generation = nextval('central_pull_key_seq'), pull_key_rotated_at = $2
         WHERE hostname = $1 RETURNING pull_key_generation AS g, pull_key_rotated_at AS at`,
        [hostname, rotate.now],
      )
    : await db.query<{ g: string; at: string | null }>(
        'SELECT pull_key_generation AS g, pull_key_rotated_at AS at FROM streamers WHERE hostname = $1',
        [hostname],
      );
  const row = r.rows[0];
  return row ? { generation: Number(row.g), rotatedAt: row.at === null ? null : Number(row.at) } : null;
}

export interface PullQuery {
  after: string | null;
  limit: number | null;
  names: string[] | null;
}

export async function pullStreams(db: Queryable, hostname: string, q: PullQuery) {
  const params: unknown[] = [hostname];
  const conds = ['l.ingest = $1', 'NOT t.disabled'];
  if (q.after !== null) conds.push(`l.name > $${params.push(q.after)}`);
  if (q.names) conds.push(`l.name = ANY($${params.push(q.names)}::text[])`);
  const limit = q.limit === null ? '' : ` LIMIT ${q.limit + 1}`;
  const r = await db.query<{ name: string; config: Record<string, unknown> }>(
    `SELECT t.name, t.config FROM stream_layouts l JOIN streams t ON t.name = l.name
     WHERE ${conds.join(' AND ')} ORDER BY l.name${limit}`,
    params,
  );
  return r.rows;
}

/** Sign-of-life times from pulls, written in one statement per flush; only ever moves forward. */
export async function touchPulls(db: Queryable, pulls: Map<string, number>) {
  if (!pulls.size) return;
  await db.query(
    `INSERT INTO streamer_status AS s (hostname, last_pull_at)
     SELECT u.h, u.t FROM unnest($1::text[], $2::bigint[]) AS u(h, t)
     WHERE EXISTS (SELECT 1 FROM streamers x WHERE x.hostname = u.h)
     ON CONFLICT (hostname) DO UPDATE SET last_pull_at = GREATEST(COALESCE(s.last_pull_at, 0), EXCLUDED.last_pull_at)`,
    [[...pulls.keys()], [...pulls.values()]],
    'touch_pulls',
  );
}

export async function srtPortStream(db: Queryable, hostname: string, port: number, mode: string) {
  const key = mode === 'publish' ? 'srt_publish' : 'srt_play';
  const r = await db.query<{ name: string }>(
    `SELECT t.name FROM stream_layouts l JOIN streams t ON t.name = l.name
     WHERE l.ingest = $1 AND NOT t.disabled
       AND ((t.config -> $2 ->> 'port') = $3 OR (t.config ->> 'srt') = $3)
     ORDER BY t.name LIMIT 1`,
    [hostname, key, String(port)],
  );
  return r.rows[0]?.name ?? null;
}
