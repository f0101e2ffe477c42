// The collection query language (Flussonic's openapi_collection) as a typed value: what the HTTP layer
// parses (parse.ts) and what the SQL compiler (sql.ts) turns into one parameterised statement.

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export type FilterOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'is' | 'is_not';

/** A field path: dotted segments, each checked by parse.ts (never `__proto__` and the like). */
export type FieldPath = readonly string[];

export interface Filter {
  path: FieldPath;
  op: FilterOp;
  values: string[];
  /** The query parameter it came from, named in errors. */
  param: string;
}

export interface SortKey {
  path: FieldPath;
  desc: boolean;
}

export interface Cursor {
  /** 'a': items after the key values (next); 'b': items before them (prev). */
  dir: 'a' | 'b';
  values: unknown[];
  /** The first page's count, carried along so that later pages do not count again. */
  count?: number;
  /** The first page's time (ms), for fields that grow with the clock (sql.ts). */
  at?: number;
}

export interface ListQuery {
  limit: number;
  cursor: Cursor | null;
  select: FieldPath[] | null;
  sort: SortKey[];
  filters: Filter[];
  q: string | null;
}
