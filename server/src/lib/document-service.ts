// The create-or-merge / get / delete / list behaviour shared by streams and streamers.
// PUT bodies are JSON merge patches ("$reset": true replaces); the body's key wins over the path's;
// server-owned and unknown fields are dropped by validation; namespace is fixed at creation.
import type { Static, TSchema } from '@sinclair/typebox';
import type { Db } from '../db/index.ts';
import type { DocumentRow, documentRepo } from '../db/documents.ts';
import { ApiError, badRequest, notFound } from '../http/errors.ts';
import { project } from '../query/project.ts';
import type { ListQuery } from '../query/types.ts';
import type { Clock } from './clock.ts';
import { isRecord as isObject } from './objects.ts';
import { validator } from './validate.ts';

export const MAX_BATCH = 1000;

export interface DocumentKind<P extends TSchema> {
  /** "stream", "streamer" */
  noun: string;
  /** "streams", "streamers": the list envelope's field */
  plural: string;
  /** "name", "hostname" */
  keyField: string;
  keySchema: TSchema;
  patchSchema: P;
  /** Adjusts a validated patch (aliases; defaults are applied on output instead). */
  normalize?: (patch: Record<string, unknown>) => void;
  /** Server-owned fields nested in the document, dropped from input: dotted paths, `*` for list items. */
  readOnly?: string[];
  /** Runs before a single save is written (e.g. the streamer reachability check); throws to refuse it. */
  beforeSave?: (
    key: string,
    patch: Record<string, unknown>,
    params: Record<string, unknown>,
  ) => Promise<void>;
  /** Adds optional, query-selected parts to answered objects (a stream's ingest_history). */
  decorate?: (items: Record<string, unknown>[], params: Record<string, unknown>) => Promise<void>;
  /** The object as answered by GET/PUT; `list` is true in list output (where secrets are hidden). */
  toWire: (row: DocumentRow, list: boolean) => Record<string, unknown>;
}

function dropPath(node: unknown, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (head === '*') {
    if (Array.isArray(node)) for (const el of node) dropPath(el, rest);
  } else if (isObject(node)) {
    if (!rest.length) delete node[head];
    else dropPath(node[head], rest);
  }
}

export function documentService<P extends TSchema>(
  kind: DocumentKind<P>,
  repo: ReturnType<typeof documentRepo>,
  db: Db,
  clock: Clock,
) {
  const validatePatch = validator(kind.patchSchema);
  const validateKey = validator(kind.keySchema);
  const checkKey = (key: string) => {
    validateKey(key, `${kind.noun} ${kind.keyField}`);
    return key;
  };
  const prepare = (body: unknown, pathKey: string | null, prefix = '', pointer = '') => {
    if (!isObject(body))
      throw badRequest(`${prefix || 'body'} must be a JSON object`, { pointer: pointer || '/' });
    // The Go SDK always sends the key field; unset, it is "" and means "the one in the path".
    if (body[kind.keyField] === '') delete body[kind.keyField];
    for (const path of kind.readOnly ?? []) dropPath(body, path.split('.'));
    const patch = validatePatch(body, prefix, pointer) as Static<P> & Record<string, unknown>;
    const key = (patch[kind.keyField] as string | undefined) ?? pathKey;
    if (!key)
      throw badRequest(`${prefix ? `${prefix}.` : ''}${kind.keyField} is required`, {
        pointer: `${pointer}/${kind.keyField}`,
      });
    const reset = patch.$reset === true;
    const rest: Record<string, unknown> = { ...patch };
    delete rest[kind.keyField];
    delete rest.$reset;
    kind.normalize?.(rest);
    return { key, patch: rest, reset };
  };
  const namespaceFixed = (key: string, pointer: string) =>
    new ApiError(400, 'invalid_field', `namespace of ${kind.noun} ${key} cannot be changed after creation`, {
      pointer: `${pointer}/namespace`,
    });

  return {
    async save(pathKey: string, body: unknown, params: Record<string, unknown> = {}) {
      checkKey(pathKey);
      const { key, patch, reset } = prepare(body, pathKey);
      await kind.beforeSave?.(key, patch, params);
      const row = await repo.upsert(db, key, patch, reset, clock.now());
      if (!row) throw namespaceFixed(key, '');
      return kind.toWire(row, false);
    },
    /** All or nothing: every item is validated first, then all are written in one transaction. */
    async saveBatch(body: unknown) {
      if (!Array.isArray(body))
        throw badRequest(`body must be a JSON array of ${kind.plural}`, { pointer: '/' });
      if (body.length > MAX_BATCH)
        throw badRequest(`at most ${MAX_BATCH} ${kind.plural} per batch`, { pointer: '/' });
      const items = body.map((b, i) => prepare(b, null, `[${i}]`, `/${i}`));
      const now = clock.now();
      await db.transaction(async (tx) => {
        const refused = await repo.upsertMany(tx, items, now);
        if (refused >= 0) throw namespaceFixed(items[refused]!.key, `/${refused}`);
      });
    },
    async get(key: string, params: Record<string, unknown> = {}) {
      const row = await repo.get(db, checkKey(key));
      if (!row) throw notFound(`${kind.noun} ${key} not found`);
      const item = kind.toWire(row, false);
      await kind.decorate?.([item], params);
      return item;
    },
    async remove(key: string) {
      if (!(await repo.remove(db, checkKey(key)))) throw notFound(`${kind.noun} ${key} not found`);
    },
    async list(query: ListQuery, params: Record<string, unknown> = {}) {
      const { rows, ...rest } = await repo.list(db, query, clock.now());
      const wire = rows.map((r) => kind.toWire(r, true));
      await kind.decorate?.(wire, params);
      const items = wire.map((w) => project(w, query.select, [kind.keyField]));
      return { [kind.plural]: items, ...rest };
    },
  };
}
export type DocumentService = ReturnType<typeof documentService>;
