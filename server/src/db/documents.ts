// Storage shared by the JSON-document collections (streams, streamers): a key column, the client's
// document in `config`, server-kept timestamps. A PUT is one statement: the JSON merge patch runs in
// PostgreSQL under the row lock of INSERT ... ON CONFLICT, so concurrent partial updates never lose
// each other's fields, and `updated_at` only moves (strictly forward) when the document changed.
import type { ListQuery } from '../query/types.ts';
import { listPage, type ListSpec } from './list.ts';
import type { Queryable } from './types.ts';

export interface DocumentRow {
  key: string;
  config: Record<string, unknown>;
  updated_at: number;
  [k: string]: unknown;
}

/**
 * Create-or-merge in one statement. $1 key, $2 the patch (JSON), $3 now (ms), $4 replace instead of
 * merge. A new document is the patch without its nulls. No row comes back when the change would move
 * the document to another namespace (fixed at creation).
 */
export function upsertSql(table: string, key: string, extra?: string): string {
  return `
INSERT INTO ${table} AS t (${key}, config, created_at, updated_at)
VALUES ($1, jsonb_strip_nulls($2::jsonb), $3, $3)
ON CONFLICT (${key}) DO UPDATE SET (config, updated_at) = (
  SELECT x.m, CASE WHEN x.m IS DISTINCT FROM t.config THEN GREATEST(t.updated_at + 1, $3) ELSE t.updated_at END
  FROM (SELECT CASE WHEN $4 THEN EXCLUDED.config ELSE central_merge_patch(t.config, $2::jsonb) END AS m) x)
WHERE NOT ($4 OR $2::jsonb ? 'namespace') OR (EXCLUDED.config ->> 'namespace') IS NOT DISTINCT FROM t.namespace
RETURNING t.${key} AS key, t.config, t.updated_at${extra ? `, ${extra}` : ''}`;
}

/**
 * A document collection's list spec; the select list is the document's own plus `extra`: SQL select
 * terms of the table alias `t` for state other writers keep (a stream's layout and status).
 */
export type DocumentListSpec = Omit<ListSpec, 'select'> & {
  extra?: string;
  /** A SQL function doing the upsert for many documents in one statement (migration 0005). */
  upsertManyFunction?: string;
};

export function documentRepo(spec: DocumentListSpec) {
  const { table, key } = spec;
  const columns = `t.${key} AS key, t.config, t.updated_at${spec.extra ? `, ${spec.extra}` : ''}`;
  const upsert = upsertSql(table, key, spec.extra);
  return {
    /** Creates or merges; returns null when the change would move the document to another namespace. */
    async upsert(db: Queryable, id: string, patch: Record<string, unknown>, reset: boolean, now: number) {
      const r = await db.query<DocumentRow>(
        upsert,
        [id, JSON.stringify(patch), now, reset],
        `${table}_upsert`,
      );
      return r.rows[0] ?? null;
    },
    /** Creates or merges each item in order; the index of the first refused one, or -1. */
    async upsertMany(
      db: Queryable,
      items: { key: string; patch: Record<string, unknown>; reset: boolean }[],
      now: number,
    ): Promise<number> {
      if (spec.upsertManyFunction) {
        const r = await db.query<{ refused: number }>(
          `SELECT ${spec.upsertManyFunction}($1::text[], $2::jsonb[], $3::boolean[], $4) AS refused`,
          [
            items.map((i) => i.key),
            items.map((i) => JSON.stringify(i.patch)),
            items.map((i) => i.reset),
            now,
          ],
          `${table}_upsert_many`,
        );
        return r.rows[0]!.refused;
      }
      for (const [i, it] of items.entries())
        if (!(await this.upsert(db, it.key, it.patch, it.reset, now))) return i;
      return -1;
    },
    async get(db: Queryable, id: string) {
      const r = await db.query<DocumentRow>(
        `SELECT ${columns} FROM ${table} t WHERE t.${key} = $1`,
        [id],
        `${table}_get`,
      );
      return r.rows[0] ?? null;
    },
    async remove(db: Queryable, id: string): Promise<boolean> {
      return (await db.query(`DELETE FROM ${table} WHERE ${key} = $1`, [id], `${table}_delete`)).rowCount > 0;
    },
    /** `now`: the time of fields that grow with the clock (see listPage). */
    async list(db: Queryable, query: ListQuery, now?: number) {
      const { rows, ...page } = await listPage<DocumentRow>(db, { ...spec, select: columns }, query, now);
      return {
        ...page,
        rows: rows.map(({ _k, ...r }): DocumentRow => r),
      };
    },
  };
}
