import { CentralStream } from '@central/protocol';
import { documentRepo, type DocumentListSpec } from '../db/documents.ts';
import { columnsOf } from '../query/sql.ts';

/**
 * What other writers keep about a stream (its layout, its observed status, the URLs of its ingest
 * streamer), in one subquery of primary-key lookups; NULL for a stream that has none of it.
 */
const OBSERVED = `(SELECT CASE WHEN l.name IS NULL AND ss.name IS NULL THEN NULL ELSE jsonb_build_object(
    'layout', CASE WHEN l.name IS NOT NULL THEN jsonb_build_object('ingest', l.ingest,
      'failover_from', l.failover_from, 'originator', l.originator, 'change_reason', l.change_reason,
      'created_at', l.created_at) END,
    'status', CASE WHEN ss.name IS NOT NULL THEN jsonb_build_object('stats', ss.stats,
      'running_since', ss.running_since) END,
    'ingest_streamer', CASE WHEN sr.hostname IS NOT NULL THEN jsonb_build_object('hostname', sr.hostname,
      'public_payload_url', sr.config->>'public_payload_url', 'private_payload_url',
      sr.config->>'private_payload_url', 'api_url', sr.config->>'api_url') END) END
  FROM (SELECT 1) one LEFT JOIN stream_layouts l ON l.name = t.name
    LEFT JOIN streamers sr ON sr.hostname = l.ingest LEFT JOIN stream_status ss ON ss.name = t.name)`;

export const streamsListSpec: DocumentListSpec = {
  table: 'streams',
  key: 'name',
  doc: 'config',
  schema: CentralStream,
  upsertManyFunction: 'central_upsert_streams',
  extra: `${OBSERVED} AS observed`,
  columns: columnsOf({
    name: { kind: 'column', sql: 't.name', type: 'text', nullable: false },
    updated_at: { kind: 'column', sql: 't.updated_at', type: 'bigint', nullable: false },
    disabled: { kind: 'column', sql: 't.disabled', type: 'boolean', nullable: false },
    namespace: { kind: 'column', sql: 't.namespace', type: 'text', nullable: true },
    streamer_hostname: { kind: 'column', sql: 't.streamer_hostname', type: 'text', nullable: true },
    'layout.ingest': {
      kind: 'column',
      sql: '(SELECT l.ingest FROM stream_layouts l WHERE l.name = t.name)',
      type: 'text',
      nullable: true,
    },
    'layout.failover_from': {
      kind: 'column',
      sql: '(SELECT l.failover_from FROM stream_layouts l WHERE l.name = t.name)',
      type: 'text',
      nullable: true,
    },
    'stats.status': {
      kind: 'column',
      sql: `(CASE WHEN t.disabled THEN NULL ELSE COALESCE((SELECT ss.stats->>'status' FROM stream_status ss WHERE ss.name = t.name), 'waiting') END)`,
      type: 'text',
      nullable: true,
    },
    // Live figures for sorting and filtering (the UI's columns); like stats.status, none when disabled.
    'stats.bitrate': {
      kind: 'column',
      sql: `(CASE WHEN t.disabled THEN NULL ELSE (SELECT round((ss.stats->>'bitrate')::numeric)::bigint
        FROM stream_status ss WHERE ss.name = t.name AND jsonb_typeof(ss.stats->'bitrate') = 'number') END)`,
      type: 'bigint',
      nullable: true,
    },
    // As on the wire (now − running_since), with the walk's `now` so paging stays consistent.
    'stats.lifetime': {
      kind: 'column',
      sql: `(CASE WHEN t.disabled THEN NULL ELSE (SELECT GREATEST(0, {now} - ss.running_since)
        FROM stream_status ss WHERE ss.name = t.name AND ss.running_since IS NOT NULL) END)`,
      type: 'bigint',
      nullable: true,
    },
  }),
  search: (p) =>
    `strpos(lower(t.name || ' ' || coalesce(t.config->>'title', '') || ' ' || coalesce(t.config->>'comment', '') || ' ' ||
      coalesce(jsonb_path_query_array(t.config, '$.inputs[*].url')::text, '')), ${p}) > 0`,
  defaultSort: [{ path: ['name'], desc: false }],
};

export const streamsRepo = documentRepo(streamsListSpec);
