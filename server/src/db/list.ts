// Runs a collection query (query/): one page of rows by keyset, and the count that goes with it.
import type { ListQuery } from '../query/types.ts';
import { encodeCursor } from '../query/cursor.ts';
import { keyset, orderBy, Params, sortTerms, whereFilters, type ListSpec } from '../query/sql.ts';
import type { Queryable, Row } from './types.ts';

export type { ListSpec } from '../query/sql.ts';

export interface ListPage<R> {
  /** The rows as selected, each with `_k`: its sort-key values (the cursor material). */
  rows: (R & { _k: unknown[] })[];
  next?: string;
  prev?: string;
  estimated_count: number;
}

/** Exact: unfiltered from the trigger-kept counters (migration 0003), filtered with count(*). */
async function count(db: Queryable, spec: ListSpec, where: string[], params: unknown[]): Promise<number> {
  if (!where.length) {
    const r = await db.query<{ n: number }>(
      'SELECT COALESCE(sum(n), 0)::int AS n FROM central_row_counts WHERE tbl = $1',
      [spec.table],
      'row_count',
    );
    return r.rows[0]!.n;
  }
  const sql = `SELECT count(*)::int AS n FROM ${spec.table} t WHERE ${where.join(' AND ')}`;
  return (await db.query<{ n: number }>(sql, params)).rows[0]!.n;
}

const NOW = '{now}';

/**
 * Column SQL may use `{now}`: the time of the walk's first page, carried by its cursors, so that fields
 * growing with the clock (a stream's lifetime) keep one order over all the pages of a walk.
 */
function atTime(spec: ListSpec, query: ListQuery, now: number): { spec: ListSpec; at?: number } {
  const timed = [...spec.columns].filter(([, c]) => c.sql.includes(NOW));
  if (!timed.length) return { spec };
  const at = query.cursor?.at ?? now;
  const columns = new Map(spec.columns);
  // A safe integer (decodeCursor checks the carried one), so writing it into the SQL is safe.
  for (const [k, c] of timed)
    columns.set(k, { ...c, sql: c.sql.replaceAll(NOW, `(${Math.trunc(at)}::bigint)`) });
  return { spec: { ...spec, columns }, at };
}

/**
 * One page. The count runs with the first page only; its cursors carry it to the following pages
 * (so a walk over N pages counts once, and the figure stays the walk's starting estimate).
 */
export async function listPage<R extends Row>(
  db: Queryable,
  untimed: ListSpec,
  query: ListQuery,
  now = Date.now(),
): Promise<ListPage<R>> {
  const { spec, at } = atTime(untimed, query, now);
  const b = new Params();
  const terms = sortTerms(spec, query.sort);
  const where = whereFilters(spec, query, b);
  const filterParams = [...b.values];
  const backward = query.cursor?.dir === 'b';
  const conds = [...where];
  if (query.cursor) conds.push(keyset(terms, query.cursor.values, backward, b));
  const sql =
    `SELECT ${spec.select}, jsonb_build_array(${terms.map((t) => t.expr).join(', ')}) AS _k FROM ${spec.table} t` +
    (conds.length ? ` WHERE ${conds.join(' AND ')}` : '') +
    ` ORDER BY ${orderBy(terms, backward)} LIMIT ${query.limit + 1}`;
  const carried = query.cursor?.count;
  const [page, estimated] = await Promise.all([
    db.query<R & { _k: unknown[] }>(sql, b.values),
    carried ?? count(db, spec, where, filterParams),
  ]);
  const more = page.rows.length > query.limit;
  const rows = page.rows.slice(0, query.limit);
  if (backward) rows.reverse();
  const first = rows[0];
  const last = rows.at(-1);
  const here = query.cursor?.values;
  const cursor = (dir: 'a' | 'b', values: unknown[]) =>
    encodeCursor({ dir, values, count: estimated, ...(at === undefined ? {} : { at }) });
  const result: ListPage<R> = { rows, estimated_count: estimated };
  if (backward) {
    if (more && first) result.prev = cursor('b', first._k);
    result.next = cursor('a', last ? last._k : here!);
  } else {
    if (more && last) result.next = cursor('a', last._k);
    if (query.cursor) result.prev = cursor('b', first ? first._k : here!);
  }
  return result;
}
