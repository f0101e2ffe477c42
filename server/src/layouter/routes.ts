// Layout endpoints: a stream's layout history, manual layouts (POST /streams/layouts), and the
// preview_layout_change dry runs for streams and streamers.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../db/types.ts';
import { ApiError, badParameter, badRequest, notFound } from '../http/errors.ts';
import type { Clock } from '../lib/clock.ts';
import { compact, isRecord as isObject } from '../lib/objects.ts';
import { LayoutReason } from '@central/protocol';
import type { LayoutChange } from './reconcile.ts';
import { applyChanges, layoutHistory } from './repo.ts';
import { countDeltas, currentState, simulate, streamerWith, streamWith } from './preview.ts';

const MAX_LAYOUTS = 1000;
const LAYOUT_REASONS = (LayoutReason as unknown as { enum: string[] }).enum;

function changeItem(c: LayoutChange) {
  return compact({ name: c.name, ...c.layout });
}

/**
 * The body of a preview: one object for `/{key}/preview_layout_change` (the key from the path), an array
 * for the batch form (each item's own `keyField`).
 */
function previewItems(body: unknown, pathKey: string | null, keyField: string, plural: string) {
  const list = pathKey === null ? body : [body];
  if (!Array.isArray(list)) throw badRequest(`body must be a JSON array of ${plural}`, { pointer: '/' });
  return list.map((b, i) => {
    if (!isObject(b)) throw badRequest('each item must be a JSON object', { pointer: `/${i}` });
    const key = pathKey ?? b[keyField];
    if (typeof key !== 'string' || !key)
      throw badRequest(`[${i}].${keyField} is required`, { pointer: `/${i}/${keyField}` });
    return { key, body: b };
  });
}

function intQuery(q: Record<string, unknown>, key: string, min: number, max: number): number | null {
  const v = q[key];
  if (v === undefined || v === '') return null;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw badParameter(key, `${key} must be an integer between ${min} and ${max}`);
  return Number(v);
}

/** GET /streams/{name}/layouts: newest first, cursor paging. */
export function layoutsHistoryHandler(db: Db) {
  return async (name: string, q: Record<string, unknown>) => {
    const exists = await db.query('SELECT 1 FROM streams WHERE name = $1', [name]);
    if (!exists.rowCount) throw notFound(`stream ${name} not found`);
    const limit = intQuery(q, 'limit', 1, 1000) ?? 100;
    let beforeId: number | null = null;
    if (typeof q.cursor === 'string' && q.cursor) {
      beforeId = Number(Buffer.from(q.cursor, 'base64url').toString('utf8'));
      if (!Number.isInteger(beforeId)) throw badParameter('cursor', 'cursor is not one this server issued');
    }
    const rows = await layoutHistory(db, name, {
      limit,
      createdGt: intQuery(q, 'created_at_gt', 0, Number.MAX_SAFE_INTEGER),
      createdLt: intQuery(q, 'created_at_lt', 0, Number.MAX_SAFE_INTEGER),
      beforeId,
    });
    const shown = rows.slice(0, limit);
    const out: Record<string, unknown> = {
      layouts: shown.map(({ id: _id, ...r }) => compact({ ...r, created_at: Number(r.created_at) })),
    };
    if (rows.length > limit) out.next = Buffer.from(String(shown.at(-1)!.id)).toString('base64url');
    return out;
  };
}

function parseManualLayouts(body: unknown, now: number): LayoutChange[] {
  const list = isObject(body) ? body.layouts : undefined;
  if (!Array.isArray(list)) throw badRequest('body must be {"layouts": [...]}', { pointer: '/layouts' });
  if (list.length > MAX_LAYOUTS)
    throw badRequest(`at most ${MAX_LAYOUTS} layouts per request`, { pointer: '/layouts' });
  const seen = new Set<string>();
  return list.map((item, i) => {
    const at = (f: string) => ({ pointer: `/layouts/${i}/${f}` });
    if (!isObject(item) || typeof item.name !== 'string' || !item.name)
      throw badRequest(`layouts[${i}].name is required`, at('name'));
    if (seen.has(item.name)) throw badRequest(`layouts[${i}].name ${item.name} is listed twice`, at('name'));
    seen.add(item.name);
    for (const f of ['ingest', 'failover_from'])
      if (item[f] != null && (typeof item[f] !== 'string' || !item[f]))
        throw badRequest(`layouts[${i}].${f} must be a streamer hostname or null`, at(f));
    const reason = item.change_reason ?? 'relayout_by_api';
    if (typeof reason !== 'string' || !LAYOUT_REASONS.includes(reason))
      throw badRequest(`layouts[${i}].change_reason is not a known reason`, at('change_reason'));
    return {
      name: item.name,
      before: null,
      layout: {
        ingest: (item.ingest as string | null | undefined) ?? null,
        failover_from: (item.failover_from as string | null | undefined) ?? null,
        change_reason: reason as LayoutChange['layout']['change_reason'],
        originator: 'other' as const,
        created_at: now,
      },
    };
  });
}

export function layoutRoutes(api: FastifyInstance, db: Db, clock: Clock, config: Config) {
  // Manual placement: all or nothing; the streams and streamers must exist.
  api.post('/streams/layouts', async (req, reply) => {
    const changes = parseManualLayouts(req.body, clock.now());
    await db.transaction(async (tx) => {
      const names = changes.map((c) => c.name);
      const hosts = changes.map((c) => c.layout.ingest).filter((h): h is string => !!h);
      const found = await tx.query<{ name: string; ingest: string | null }>(
        `SELECT t.name, l.ingest FROM streams t LEFT JOIN stream_layouts l ON l.name = t.name
         WHERE t.name = ANY($1::text[]) FOR UPDATE OF t`,
        [names],
      );
      const current = new Map(found.rows.map((r) => [r.name, r.ingest]));
      changes.forEach((c, i) => {
        if (!current.has(c.name))
          throw badRequest(`stream ${c.name} not found`, { pointer: `/layouts/${i}/name` });
        c.before = current.get(c.name) ?? null;
      });
      const known = await tx.query<{ hostname: string }>(
        'SELECT hostname FROM streamers WHERE hostname = ANY($1::text[])',
        [hosts],
      );
      const knownSet = new Set(known.rows.map((r) => r.hostname));
      changes.forEach((c, i) => {
        if (c.layout.ingest && !knownSet.has(c.layout.ingest))
          throw badRequest(`streamer ${c.layout.ingest} not found`, { pointer: `/layouts/${i}/ingest` });
      });
      // Manual layouts are checked against the rules at once (the layouter's own writes are not).
      await tx.query('SELECT central_bump_layout()');
      let applied: number;
      try {
        applied = await applyChanges(tx, changes);
      } catch (e) {
        throw new ApiError(400, 'invalid_layout', (e as Error).message, { pointer: '/layouts' });
      }
      // The layouter moved one of these streams between our read and our write: all or nothing.
      if (applied < changes.length)
        throw new ApiError(409, 'conflict', 'a layout changed meanwhile; nothing was written, try again');
    });
    return reply.status(204).send();
  });

  const requireLayouter = () => {
    if (!config.fleet.layouterEnabled)
      throw new ApiError(400, 'layouter_disabled', 'the layouter is disabled (LAYOUTER_ENABLED=false)');
  };

  type Items = ReturnType<typeof previewItems>;
  const previewStreams = async (items: Items) => {
    requireLayouter();
    const { streams, streamers } = await currentState(db);
    const byName = new Map(streams.map((s) => [s.name, s]));
    for (const it of items) byName.set(it.key, streamWith(byName.get(it.key), it.key, it.body));
    const wanted = new Set(items.map((i) => i.key));
    const changes = simulate([...byName.values()], streamers, clock.now(), config.fleet.holdDownMs);
    return { changes: changes.filter((c) => wanted.has(c.name)).map(changeItem) };
  };

  const streamItems = (body: unknown, pathName: string | null) =>
    previewItems(body, pathName, 'name', 'streams');

  api.post('/streams/preview_layout_change', async (req) => previewStreams(streamItems(req.body, null)));
  api.post('/streams/*', async (req) => {
    const key = (req.params as { '*': string })['*'];
    const suffix = '/preview_layout_change';
    if (!key.endsWith(suffix)) throw notFound(`no such endpoint: POST /streams/${key}`);
    return previewStreams(streamItems(req.body, key.slice(0, -suffix.length)));
  });

  const previewStreamers = async (items: Items) => {
    requireLayouter();
    const { streams, streamers } = await currentState(db);
    const byHost = new Map(streamers.map((s) => [s.hostname, s]));
    for (const it of items) byHost.set(it.key, streamerWith(byHost.get(it.key), it.key, it.body));
    const changes = simulate(streams, [...byHost.values()], clock.now(), config.fleet.holdDownMs);
    return { changes: countDeltas(streams, changes) };
  };
  const streamerItems = (body: unknown, pathHost: string | null) =>
    previewItems(body, pathHost, 'hostname', 'streamers');
  api.post('/streamers/preview_layout_change', async (req) =>
    previewStreamers(streamerItems(req.body, null)),
  );
  api.post('/streamers/:hostname/preview_layout_change', async (req) =>
    previewStreamers(streamerItems(req.body, (req.params as { hostname: string }).hostname)),
  );
}
