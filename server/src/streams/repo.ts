import { CentralStream } from '@central/protocol';
import { documentRepo, type DocumentListSpec } from '../db/documents.ts';

export const streamsListSpec: DocumentListSpec = {
  table: 'streams',
  key: 'name',
  doc: 'config',
  schema: CentralStream,
  columns: {
    name: { kind: 'column', sql: 't.name', type: 'text', nullable: false },
    updated_at: { kind: 'column', sql: 't.updated_at', type: 'bigint', nullable: false },
    disabled: { kind: 'column', sql: 't.disabled', type: 'boolean', nullable: false },
    namespace: { kind: 'column', sql: 't.namespace', type: 'text', nullable: true },
    streamer_hostname: { kind: 'column', sql: 't.streamer_hostname', type: 'text', nullable: true },
  },
  search: (p) =>
    `strpos(lower(t.name || ' ' || coalesce(t.config->>'title', '') || ' ' || coalesce(t.config->>'comment', '') || ' ' ||
      coalesce(jsonb_path_query_array(t.config, '$.inputs[*].url')::text, '')), ${p}) > 0`,
  defaultSort: [{ path: ['name'], desc: false }],
};

export const streamsRepo = documentRepo(streamsListSpec);
