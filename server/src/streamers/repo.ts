import { StreamerConfig } from '@central/protocol';
import { documentRepo, type DocumentListSpec } from '../db/documents.ts';
import { columnsOf } from '../query/sql.ts';

const STATUS = `(SELECT jsonb_build_object('state', st.state, 'online_since', st.online_since,
  'last_poll_ok', st.last_poll_ok, 'last_pull_at', st.last_pull_at, 'error', st.error,
  'provision', st.provision, 'stats', st.stats) FROM streamer_status st WHERE st.hostname = t.hostname)`;

/**
 * A URL field as lists show it, without userinfo (streamers/service.ts): what filters, sorts and the
 * search see, so none of them can test the credentials in it.
 */
const shownUrl = (field: string) =>
  `regexp_replace(t.config->>'${field}', '^([a-z][a-z0-9+.-]*://)[^/?#]*@', '\\1', 'i')`;
const urlColumn = (field: string) =>
  ({ kind: 'column', sql: shownUrl(field), type: 'text', nullable: true }) as const;

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
    api_url: urlColumn('api_url'),
    public_payload_url: urlColumn('public_payload_url'),
    private_payload_url: urlColumn('private_payload_url'),
    'status.state': {
      kind: 'column',
      sql: `COALESCE((SELECT st.state FROM streamer_status st WHERE st.hostname = t.hostname), 'offline')`,
      type: 'text',
      nullable: false,
    },
  }),
  search: (p) =>
    `strpos(lower(t.hostname || ' ' || coalesce(${shownUrl('api_url')}, '') || ' ' ||
      coalesce(${shownUrl('public_payload_url')}, '') || ' ' || coalesce(${shownUrl('private_payload_url')}, '') || ' ' ||
      coalesce(t.labels::text, '')), ${p}) > 0`,
  defaultSort: [{ path: ['hostname'], desc: false }],
  secrets: new Set(['cluster_key', 'config.cluster_key']),
};

export const streamersRepo = documentRepo(streamersListSpec);
