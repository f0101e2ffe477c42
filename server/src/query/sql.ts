// ListQuery -> one parameterised SQL statement. Filters and sorts run in the database (on columns when
// the field has one, on the jsonb document otherwise); paging is keyset-based so that rows changing
// between pages never make an item appear twice or go missing. Client text only ever reaches SQL as a
// bound parameter; field names are looked up in a Map and in the schema's own properties, never
// through an object's prototype chain.
import type { TSchema } from '@sinclair/typebox';
import { badParameter } from '../http/errors.ts';
import type { FieldPath, Filter, ListQuery, SortKey } from './types.ts';

type ColumnType = 'text' | 'bigint' | 'integer' | 'boolean';
type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'any';
export type ColumnField = { kind: 'column'; sql: string; type: ColumnType; nullable: boolean };
export type JsonField = {
  kind: 'json';
  path: FieldPath;
  type: JsonType;
  inArray: boolean;
  container: boolean;
};
export type Field = ColumnField | JsonField;

export interface ListSpec {
  table: string;
  /** The SQL select list of a row (table alias `t`). */
  select: string;
  /** The unique key, always the last sort key. */
  key: string;
  /** Fields stored in real columns, by dotted name. */
  columns: ReadonlyMap<string, ColumnField>;
  /** The jsonb column holding the rest of the document, described by `schema`. */
  doc: string;
  schema: TSchema;
  /** SQL for the `q` search: a boolean expression of the table alias `t` and the given placeholder. */
  search: (placeholder: string) => string;
  defaultSort: SortKey[];
  /** Secrets lists never show (dotted names): no filter or sort may test them either. */
  secrets?: ReadonlySet<string>;
}

/** The field a filter or sort names; a secret is refused (a filter would test it, a cursor carry it). */
function queryField(spec: ListSpec, path: FieldPath, param: string): Field {
  const name = path.join('.');
  if (spec.secrets?.has(name))
    throw badParameter(param, `${name} is a secret: lists cannot filter or sort by it`);
  const f = resolveField(spec, path);
  if (!f) throw badParameter(param, `unknown field ${name}`);
  return f;
}

/** A spec's columns from a literal written in our code. */
export const columnsOf = (c: Record<string, ColumnField>): ReadonlyMap<string, ColumnField> =>
  new Map(Object.entries(c));

export class Params {
  readonly values: unknown[] = [];
  p(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

function schemaType(s: TSchema): string | undefined {
  const t = s.type as unknown;
  return Array.isArray(t) ? (t as string[]).find((x) => x !== 'null') : typeof t === 'string' ? t : undefined;
}

/** Finds a dotted path in the columns or the document schema; null when the schema has no such field. */
export function resolveField(spec: ListSpec, path: FieldPath): Field | null {
  const column = spec.columns.get(path.join('.'));
  if (column) return column;
  let node: TSchema | undefined = spec.schema;
  let inArray = false;
  // A path goes through lists transparently (`inputs.url` is the url of any input).
  const unwrapLists = () => {
    while (node && schemaType(node) === 'array') {
      node = node.items as TSchema;
      inArray = true;
    }
  };
  for (const seg of path) {
    unwrapLists();
    if (!node) return null;
    const props = node.properties as Record<string, TSchema> | undefined;
    const extra = node.additionalProperties as TSchema | boolean | undefined;
    if (props && Object.hasOwn(props, seg)) node = props[seg];
    else if (extra && typeof extra === 'object') node = extra;
    else if (extra === true) return { kind: 'json', path, type: 'any', inArray, container: false };
    else return null;
  }
  unwrapLists();
  const t = node ? schemaType(node) : undefined;
  const container = t === 'object';
  const type: JsonType = t === 'string' || t === 'integer' || t === 'number' || t === 'boolean' ? t : 'any';
  return { kind: 'json', path, type, inArray, container };
}

/** A SQL/JSON path of checked segments (parse.ts allows only [A-Za-z0-9_$-]), bound as a parameter. */
function jsonPath(path: FieldPath): string {
  return '$' + path.map((s) => `."${s}"`).join('');
}

/** Decimal notation only (no hex, octal or binary: `0x10` is not 16 here). */
const DECIMAL = /^[+-]?(?:\d{1,32}(?:\.\d{0,32})?|\.\d{1,32})(?:[eE][+-]?\d{1,3})?$/;
const INT32 = 2 ** 31;

/** Whether `n` fits a column or document field of `type` (so PostgreSQL never fails on a cast). */
function fits(type: JsonType | ColumnType, n: number, column: boolean): boolean {
  if (type === 'number') return Number.isFinite(n);
  if (!Number.isSafeInteger(n)) return false;
  // An `integer` column is PostgreSQL's int4; a document's integer is any JSON integer.
  return !column || type !== 'integer' || (n >= -INT32 && n < INT32);
}

/** A finite number written in decimal, else null. */
const asNumber = (v: string): number | null => {
  const n = DECIMAL.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

function convert(param: string, type: JsonType | ColumnType, v: string, column: boolean): unknown {
  if (type === 'integer' || type === 'bigint' || type === 'number') {
    const n = asNumber(v);
    if (n === null || !fits(type, n, column))
      throw badParameter(
        param,
        `"${v.slice(0, 40)}" is not a ${type === 'number' ? 'number' : `whole number in range${column && type === 'integer' ? ` (±${INT32})` : ''}`}`,
      );
    return n;
  }
  if (type === 'boolean') {
    if (v !== 'true' && v !== 'false') throw badParameter(param, `"${v.slice(0, 40)}" is not true or false`);
    return v === 'true';
  }
  return v;
}

function columnFilter(f: Filter, c: ColumnField, b: Params): string {
  // `_is=null` has no value of the column's type to convert.
  if (f.op === 'is' || f.op === 'is_not') return `${c.sql} IS ${f.op === 'is' ? '' : 'NOT '}NULL`;
  const vals = f.values.map((v) => convert(f.param, c.type, v, true));
  const set = () => `(SELECT (jsonb_array_elements_text(${b.p(JSON.stringify(vals))}::jsonb))::${c.type})`;
  const cmp = (op: string) => `${c.sql} ${op} ${b.p(vals[0])}::${c.type}`;
  switch (f.op) {
    case 'eq':
      return `${c.sql} IN ${set()}`;
    case 'ne':
      return `(${c.sql} IS NULL OR ${c.sql} NOT IN ${set()})`;
    case 'gt':
      return cmp('>');
    case 'gte':
      return cmp('>=');
    case 'lt':
      return cmp('<');
    case 'lte':
      return cmp('<=');
    case 'like':
      return `strpos(${c.sql}::text, ${b.p(f.values[0])}) > 0`;
  }
}

const JSON_OPS = new Map([
  ['gt', '>'],
  ['gte', '>='],
  ['lt', '<'],
  ['lte', '<='],
]);

function jsonFilter(f: Filter, j: JsonField, doc: string, b: Params): string {
  const base = jsonPath(j.path);
  const isNull = () =>
    `COALESCE(jsonb_path_query_first(t.${doc}, ${b.p(base)}::jsonpath), 'null'::jsonb) = 'null'::jsonb`;
  if (f.op === 'is') return isNull();
  if (f.op === 'is_not') return `NOT ${isNull()}`;
  if (j.container)
    throw badParameter(f.param, 'this field is an object: only _is=null and _is_not=null apply');
  if (f.op === 'like')
    return `EXISTS (SELECT 1 FROM jsonb_path_query(t.${doc}, ${b.p(base)}::jsonpath) AS x(v) WHERE jsonb_typeof(x.v) = 'string' AND strpos(x.v #>> '{}', ${b.p(f.values[0])}) > 0)`;
  // Untyped fields: match the value as written and, when it reads as one, as a number or boolean.
  const vals = f.values.flatMap((v) =>
    j.type !== 'any'
      ? [convert(f.param, j.type, v, false)]
      : [
          v,
          ...[asNumber(v)].filter((n) => n !== null),
          ...(v === 'true' || v === 'false' ? [v === 'true'] : []),
        ],
  );
  const exists = (pred: string, v: unknown) =>
    `jsonb_path_exists(t.${doc}, ${b.p(`${base} ? (${pred})`)}::jsonpath, jsonb_build_object('v', ${b.p(JSON.stringify(v))}::jsonb))`;
  if (f.op === 'eq') return exists('@ == $v[*]', vals);
  if (f.op === 'ne') return `NOT ${exists('@ == $v[*]', vals)}`;
  return exists(`@ ${JSON_OPS.get(f.op)!} $v`, vals[0]);
}

export interface Term {
  expr: string;
  cast: string;
  nullable: boolean;
  desc: boolean;
}

export function sortTerms(spec: ListSpec, sort: SortKey[]): Term[] {
  const keys = sort.length ? sort : spec.defaultSort;
  const terms = keys.map((k): Term => {
    const f = queryField(spec, k.path, 'sort');
    const name = k.path.join('.');
    if (f.kind === 'column') return { expr: f.sql, cast: f.type, nullable: f.nullable, desc: k.desc };
    if (f.inArray || f.container)
      throw badParameter('sort', `cannot sort by ${name}: it is a list or an object`);
    // Checked segments (parse.ts), so writing them into a text[] literal is safe.
    const lit = `'{${f.path.map((s) => `"${s}"`).join(',')}}'`;
    return { expr: `(t.${spec.doc} #> ${lit})`, cast: 'jsonb', nullable: true, desc: k.desc };
  });
  const key = spec.columns.get(spec.key)!;
  if (terms.at(-1)?.expr !== key.sql)
    terms.push({ expr: key.sql, cast: key.type, nullable: false, desc: false });
  return terms;
}

export function orderBy(terms: Term[], backward: boolean): string {
  return terms
    .flatMap((t) => {
      const dir = t.desc !== backward ? 'DESC' : 'ASC';
      return t.nullable
        ? [`(${t.expr} IS NULL) ${backward ? 'DESC' : 'ASC'}`, `${t.expr} ${dir}`]
        : [`${t.expr} ${dir}`];
    })
    .join(', ');
}

const badCursor = () =>
  badParameter('cursor', 'does not match this query (keep sort unchanged while paging)');

const CAST_TYPES = new Map([
  ['text', 'string'],
  ['bigint', 'number'],
  ['integer', 'number'],
  ['boolean', 'boolean'],
]);

/** Rows strictly after (or before, when backward) the cursor's key values, in the sort order. */
export function keyset(terms: Term[], values: unknown[], backward: boolean, b: Params): string {
  if (values.length !== terms.length) throw badCursor();
  const comps: { eq: string; gt: string | null }[] = [];
  terms.forEach((t, i) => {
    const v = values[i];
    if (v === null || v === undefined) {
      if (!t.nullable) throw badCursor();
      comps.push({ eq: `${t.expr} IS NULL`, gt: backward ? `${t.expr} IS NOT NULL` : null });
      return;
    }
    const expected = CAST_TYPES.get(t.cast);
    if (expected && typeof v !== expected) throw badCursor();
    if (typeof v === 'number' && t.cast !== 'jsonb' && !fits(t.cast as ColumnType, v, true))
      throw badCursor();
    if (t.nullable) comps.push({ eq: `${t.expr} IS NOT NULL`, gt: backward ? null : `${t.expr} IS NULL` });
    const ph = `${b.p(t.cast === 'jsonb' ? JSON.stringify(v) : v)}::${t.cast}`;
    comps.push({ eq: `${t.expr} = ${ph}`, gt: `${t.expr} ${t.desc !== backward ? '<' : '>'} ${ph}` });
  });
  const ors = comps.flatMap((c, j) =>
    c.gt ? [`(${[...comps.slice(0, j).map((x) => x.eq), c.gt].join(' AND ')})`] : [],
  );
  return ors.length ? `(${ors.join(' OR ')})` : 'FALSE';
}

export function whereFilters(spec: ListSpec, query: ListQuery, b: Params): string[] {
  const where = query.filters.map((f) => {
    const field = queryField(spec, f.path, f.param);
    return field.kind === 'column' ? columnFilter(f, field, b) : jsonFilter(f, field, spec.doc, b);
  });
  if (query.q) where.push(spec.search(b.p(query.q.toLowerCase())));
  return where;
}
