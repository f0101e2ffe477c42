import { StreamerConfig } from '@central/protocol';
import { documentRepo, type DocumentListSpec } from '../db/documents.ts';

export const streamersListSpec: DocumentListSpec = {
  table: 'streamers',
  key: 'hostname',
  doc: 'config',
  schema: StreamerConfig,
  columns: {
    hostname: { kind: 'column', sql: 't.hostname', type: 'text', nullable: false },
    role: { kind: 'column', sql: 't.role', type: 'text', nullable: false },
    namespace: { kind: 'column', sql: 't.namespace', type: 'text', nullable: true },
    channel_limit: { kind: 'column', sql: 't.channel_limit', type: 'integer', nullable: false },
  },
  search: (p) =>
    `strpos(lower(t.hostname || ' ' || coalesce(t.config->>'api_url', '') || ' ' ||
      coalesce(t.config->>'public_payload_url', '') || ' ' || coalesce(t.config->>'private_payload_url', '') || ' ' ||
      coalesce(t.labels::text, '')), ${p}) > 0`,
  defaultSort: [{ path: ['hostname'], desc: false }],
};

export const streamersRepo = documentRepo(streamersListSpec);
