import { StreamName, StreamPatch } from '@central/protocol';
import type { Db } from '../db/index.ts';
import type { DocumentRow } from '../db/documents.ts';
import type { Clock } from '../lib/clock.ts';
import { documentService } from '../lib/document-service.ts';
import { compact } from '../lib/objects.ts';
import { checkBatchInputs, checkStreamInputs } from './inputs.ts';
import { namePath, payloadBase, type PayloadHost } from './playback.ts';
import { streamsRepo } from './repo.ts';

interface LayoutRow {
  ingest: string | null;
  failover_from: string | null;
  originator: string;
  change_reason: string | null;
  created_at: number;
}

/**
 * Observed stats as the API shows them: `lifetime` grows with the clock while the stream runs;
 * an enabled stream nobody reports is `waiting`; `streaming_endpoint` points at its ingest streamer.
 */
function streamStats(row: DocumentRow, o: Observed, now: number): Record<string, unknown> | undefined {
  if (row.config.disabled === true) return undefined;
  const status = o.status;
  const stats: Record<string, unknown> = status
    ? { ...status.stats }
    : { status: 'waiting', alive: false, running_on: [] };
  if (status?.running_since != null) stats.lifetime = Math.max(0, now - status.running_since);
  const ingest = o.ingest_streamer;
  if (ingest) {
    try {
      stats.streaming_endpoint = `${payloadBase(ingest)}/${namePath(row.key)}`;
    } catch {
      /* a streamer URL that does not parse has no endpoint */
    }
  }
  return stats;
}

interface Observed {
  layout: LayoutRow | null;
  status: { stats: Record<string, unknown>; running_since: number | null } | null;
  ingest_streamer: PayloadHost | null;
}

export function streamToWire(row: DocumentRow, now: number): Record<string, unknown> {
  const o = (row.observed as Observed | null) ?? { layout: null, status: null, ingest_streamer: null };
  const out: Record<string, unknown> = { name: row.key, ...row.config, updated_at: row.updated_at };
  if (o.layout) out.layout = compact(o.layout);
  const stats = streamStats(row, o, now);
  if (stats) out.stats = stats;
  return out;
}

const HISTORY_LENGTH = 5;

/** `include_ingest_history=true`: layout.ingest_history, the last 5 ingests of each stream. */
async function addIngestHistory(db: Db, items: Record<string, unknown>[], params: Record<string, unknown>) {
  if (!/^(true|1)$/i.test(String(params.include_ingest_history ?? '')) || !items.length) return;
  const r = await db.query<{
    name: string;
    ingest: string | null;
    created_at: string | number;
    originator: string;
  }>(
    `SELECT h.name, h.ingest, h.created_at, h.originator FROM unnest($1::text[]) AS n(name),
       LATERAL (SELECT name, ingest, created_at, originator FROM stream_layout_history x
                WHERE x.name = n.name ORDER BY id DESC LIMIT ${HISTORY_LENGTH}) h`,
    [items.map((i) => i.name)],
  );
  const byName = new Map<string, Record<string, unknown>[]>();
  for (const h of r.rows) {
    const list = byName.get(h.name) ?? [];
    list.push(compact({ ingest: h.ingest, created_at: Number(h.created_at), originator: h.originator }));
    byName.set(h.name, list);
  }
  for (const item of items) {
    const history = byName.get(item.name as string);
    if (!history) continue;
    item.layout = { ...((item.layout as object | undefined) ?? {}), ingest_history: history };
  }
}

export function streamsService(db: Db, clock: Clock) {
  const service = documentService(
    {
      noun: 'stream',
      plural: 'streams',
      keyField: 'name',
      keySchema: StreamName(),
      patchSchema: StreamPatch,
      readOnly: ['inputs.*.stats', 'pushes.*.stats'],
      toWire: (row) => streamToWire(row, clock.now()),
      decorate: (items, params) => addIngestHistory(db, items, params),
    },
    streamsRepo,
    db,
    clock,
  );
  // Inputs and transcoder limits are checked before anything is written, for single saves and batches.
  return {
    ...service,
    save: async (key: string, body: unknown, params?: Record<string, unknown>) => {
      checkStreamInputs(body);
      return service.save(key, body, params);
    },
    saveBatch: async (body: unknown) => {
      checkBatchInputs(body);
      return service.saveBatch(body);
    },
  };
}
