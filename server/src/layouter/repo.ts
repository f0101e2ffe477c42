// SQL of the layouter: read the desired state and current layouts, write decisions with history.
import type { Queryable } from '../db/types.ts';
import type { LayoutChange, StreamIn } from './reconcile.ts';

export async function layoutSeq(db: Queryable): Promise<string> {
  const r = await db.query<{ v: string }>(
    'SELECT last_value::text AS v FROM central_layout_seq',
    [],
    'layout_seq',
  );
  return r.rows[0]!.v;
}

export async function readStreams(db: Queryable): Promise<StreamIn[]> {
  const r = await db.query<{
    name: string;
    disabled: boolean;
    namespace: string | null;
    labels: Record<string, string> | null;
    preferred: string | null;
    has_layout: boolean;
    ingest: string | null;
    failover_from: string | null;
    created_at: string | null;
    change_reason: string | null;
    originator: string | null;
  }>(
    `SELECT t.name, t.disabled, t.namespace, t.labels, t.streamer_hostname AS preferred, l.name IS NOT NULL AS has_layout,
       l.ingest, l.failover_from, l.created_at, l.change_reason, l.originator
     FROM streams t LEFT JOIN stream_layouts l ON l.name = t.name`,
  );
  return r.rows.map((x) => ({
    name: x.name,
    disabled: x.disabled,
    namespace: x.namespace,
    labels: x.labels && typeof x.labels === 'object' ? x.labels : null,
    preferred: x.preferred,
    layout: x.has_layout
      ? {
          ingest: x.ingest,
          failover_from: x.failover_from,
          created_at: Number(x.created_at),
          change_reason: x.change_reason as never,
          originator: (x.originator ?? 'layouter') as 'layouter' | 'other',
        }
      : null,
  }));
}

export type StreamerRow = {
  hostname: string;
  role: string;
  channel_limit: number;
  namespace: string | null;
  labels: Record<string, string> | null;
};

export async function readStreamers(db: Queryable): Promise<StreamerRow[]> {
  const r = await db.query<StreamerRow>(
    'SELECT hostname, role, channel_limit, namespace, labels FROM streamers ORDER BY hostname',
  );
  return r.rows;
}

const U = `unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[])
  AS u(name, ingest, failover_from, originator, change_reason, created_at, before)`;

/**
 * Writes the changes whose stream still exists and still has the layout the decision started from
 * (a change made meanwhile by someone else is left for the next round), records them in the history,
 * and refuses (throws) if any streamer that gained streams ends up over its channel_limit.
 */
export async function applyChanges(tx: Queryable, changes: LayoutChange[]): Promise<number> {
  let n = 0;
  for (const count of (await applyChangesByReason(tx, changes)).values()) n += count;
  return n;
}

type Counted = { change_reason: string | null; n: number };

/** applyChanges, counting the changes written by their change_reason (null: `none`). */
export async function applyChangesByReason(
  tx: Queryable,
  changes: LayoutChange[],
): Promise<Map<string, number>> {
  const byReason = new Map<string, number>();
  if (!changes.length) return byReason;
  const cols: unknown[][] = [[], [], [], [], [], [], []];
  for (const c of changes) {
    const l = c.layout;
    [c.name, l.ingest, l.failover_from, l.originator, l.change_reason, l.created_at, c.before].forEach(
      (v, i) => cols[i]!.push(v),
    );
  }
  const cols7 = cols;
  // Counted in SQL: a round placing 100,000 streams returns a few rows, not one per stream.
  const history = `, h AS (INSERT INTO stream_layout_history (name, ingest, failover_from, originator, change_reason, created_at)
    SELECT name, ingest, failover_from, originator, change_reason, created_at FROM w RETURNING change_reason)
    SELECT change_reason, count(*)::int AS n FROM h GROUP BY change_reason`;
  const updated = await tx.query<Counted>(
    `WITH w AS (UPDATE stream_layouts l SET ingest = u.ingest, failover_from = u.failover_from,
       originator = u.originator, change_reason = u.change_reason, created_at = u.created_at
     FROM ${U} WHERE l.name = u.name AND l.ingest IS NOT DISTINCT FROM u.before RETURNING l.*) ${history}`,
    cols7,
  );
  const inserted = await tx.query<Counted>(
    `WITH w AS (INSERT INTO stream_layouts (name, ingest, failover_from, originator, change_reason, created_at)
       SELECT u.name, u.ingest, u.failover_from, u.originator, u.change_reason, u.created_at FROM ${U}
       WHERE u.before IS NULL AND EXISTS (SELECT 1 FROM streams s WHERE s.name = u.name)
       ON CONFLICT (name) DO NOTHING RETURNING *) ${history}`,
    cols7,
  );
  const gained = [...new Set(changes.map((c) => c.layout.ingest).filter((h): h is string => !!h))];
  if (gained.length) {
    const over = await tx.query<{ ingest: string }>(
      `SELECT l.ingest FROM stream_layouts l JOIN streamers s ON s.hostname = l.ingest
       WHERE l.ingest = ANY($1::text[]) GROUP BY l.ingest, s.channel_limit HAVING count(*) > s.channel_limit`,
      [gained],
    );
    if (over.rowCount)
      throw new Error(`channel_limit would be exceeded on ${over.rows.map((r) => r.ingest).join(', ')}`);
  }
  for (const r of [...updated.rows, ...inserted.rows]) {
    const reason = r.change_reason ?? 'none';
    byReason.set(reason, (byReason.get(reason) ?? 0) + Number(r.n));
  }
  return byReason;
}

export async function layoutHistory(
  db: Queryable,
  name: string,
  opts: { limit: number; createdGt?: number | null; createdLt?: number | null; beforeId?: number | null },
) {
  const params: unknown[] = [name];
  const conds = ['name = $1'];
  if (opts.createdGt != null) conds.push(`created_at > $${params.push(opts.createdGt)}`);
  if (opts.createdLt != null) conds.push(`created_at < $${params.push(opts.createdLt)}`);
  if (opts.beforeId != null) conds.push(`id < $${params.push(opts.beforeId)}`);
  const r = await db.query<{
    id: string;
    ingest: string | null;
    failover_from: string | null;
    originator: string;
    change_reason: string | null;
    created_at: string;
  }>(
    `SELECT id, ingest, failover_from, originator, change_reason, created_at FROM stream_layout_history
     WHERE ${conds.join(' AND ')} ORDER BY id DESC LIMIT ${opts.limit + 1}`,
    params,
  );
  return r.rows;
}
