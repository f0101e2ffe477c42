import { StreamerConfig } from '@central/protocol';
import { documentRepo, type DocumentListSpec } from '../db/documents.ts';
import { columnsOf } from '../query/sql.ts';

const STATUS = `(SELECT jsonb_build_object('state', st.state, 'online_since', st.online_since,
  'last_poll_ok', st.last_poll_ok, 'last_pull_at', st.last_pull_at, 'error', st.error,
  'provision', st.provision, 'stats', st.stats) FROM streamer_status st WHERE st.hostname = t.hostname)`;

export const streamersListSpec: DocumentListSpec = {
  table: 'streamers',
  key: 'hostname',
  doc: 'config',
  schema: StreamerConfig,
  extra: `${STATUS} AS status, (SELECT count(*) FROM stream_layouts l WHERE l.ingest = t.hostname)::int AS placed`,
  columns: columnsOf({
    hostname: { kind: 'column', sql: 't.hostname', type: 'text', nullable: false },
    role: { kind: 'column', sql: 't.role', type: 'text', nullable: false },
    namespace: { kind: 'column', sql: 't.namespace', type: 'text', nullable: true },
    channel_limit: { kind: 'column', sql: 't.channel_limit', type: 'integer', nullable: false },
    'status.state': {
      kind: 'column',
      sql: `COALESCE((SELECT st.state FROM streamer_status st WHERE st.hostname = t.hostname), 'offline')`,
      type: 'text',
      nullable: false,
    },
  }),
  search: (p) =>
    `strpos(lower(t.hostname || ' ' || coalesce(t.config->>'api_url', '') || ' ' ||
      coalesce(t.config->>'public_payload_url', '') || ' ' || coalesce(t.config->>'private_payload_url', '') || ' ' ||
      coalesce(t.labels::text, '')), ${p}) > 0`,
  defaultSort: [{ path: ['hostname'], desc: false }],
};

export const streamersRepo = documentRepo(streamersListSpec);
