import { DEFAULT_CHANNEL_LIMIT, Hostname, StreamerPatch } from '@central/protocol';
import type { Db } from '../db/index.ts';
import type { DocumentRow } from '../db/documents.ts';
import type { Clock } from '../lib/clock.ts';
import { documentService } from '../lib/document-service.ts';
import { badRequest } from '../http/errors.ts';
import { StreamerError, type StreamerClient } from '../lib/streamer-client.ts';
import { streamersRepo } from './repo.ts';

const URL_FIELDS = ['api_url', 'public_payload_url', 'private_payload_url'] as const;
/** `http://user:password@host/…` -> `http://host/…`, the rest as written (the last `@` ends userinfo). */
const withoutUserinfo = (url: string) => url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');

/**
 * The cluster key and the credentials in URLs are secrets: shown on the streamer itself (for editing),
 * never in list output.
 */
export function streamerToWire(row: DocumentRow, list: boolean): Record<string, unknown> {
  const {
    config: nodeConfig,
    cluster_key,
    ...rest
  } = row.config as Record<string, unknown> & {
    config?: Record<string, unknown>;
  };
  const out: Record<string, unknown> = {
    hostname: row.key,
    role: 'streamer',
    channel_limit: DEFAULT_CHANNEL_LIMIT,
    ...rest,
  };
  if (!list && cluster_key !== undefined) out.cluster_key = cluster_key;
  if (list)
    for (const f of URL_FIELDS) if (typeof out[f] === 'string') out[f] = withoutUserinfo(out[f] as string);
  Object.assign(out, observed(row));
  if (nodeConfig) {
    const { cluster_key: nodeKey, ...nodeRest } = nodeConfig;
    out.config = !list && nodeKey !== undefined ? { ...nodeRest, cluster_key: nodeKey } : nodeRest;
  }
  return out;
}

interface StatusRow {
  state: string;
  online_since: number | null;
  last_poll_ok: number | null;
  last_pull_at: number | null;
  error: string | null;
  provision: Record<string, unknown> | null;
  stats: Record<string, unknown> | null;
}

/**
 * `stats` is the streamer's last report with Central's health checks, null while it is offline (as in
 * Flussonic). `status` (an extension) says why: state, last contact, placed streams, provisioning.
 */
function observed(row: DocumentRow) {
  const st = row.status as StatusRow | null;
  const state = st?.state ?? 'offline';
  const seen = Math.max(Number(st?.last_poll_ok ?? 0), Number(st?.last_pull_at ?? 0));
  const status: Record<string, unknown> = {
    state,
    streams: Number(row.placed ?? 0),
    provisioning: st?.provision ?? { status: 'pending' },
  };
  if (seen) status.last_seen_at = seen;
  if (st?.online_since != null) status.online_since = Number(st.online_since);
  if (st?.error) status.error = st.error;
  return { stats: state === 'offline' ? null : (st?.stats ?? null), status };
}

/** `checks_enable=true`: the save is refused unless Central can read the streamer's config. */
function reachabilityCheck(db: Db, client: StreamerClient | null) {
  return async (hostname: string, patch: Record<string, unknown>, params: Record<string, unknown>) => {
    if (!client || !/^(true|1)$/i.test(String(params.checks_enable ?? ''))) return;
    const existing = (await streamersRepo.get(db, hostname))?.config ?? {};
    const pick = (k: string) => (k in patch ? patch[k] : existing[k]) as string | null | undefined;
    try {
      await client.getConfig({ hostname, api_url: pick('api_url'), cluster_key: pick('cluster_key') });
    } catch (e) {
      const why = e instanceof StreamerError ? e.message : 'unexpected error';
      throw badRequest(`checks_enable: Central cannot read the config of streamer ${hostname}: ${why}`, {
        pointer: '/api_url',
      });
    }
  };
}

export function streamersService(db: Db, clock: Clock, client: StreamerClient | null = null) {
  return documentService(
    {
      noun: 'streamer',
      plural: 'streamers',
      keyField: 'hostname',
      keySchema: Hostname(),
      patchSchema: StreamerPatch,
      readOnly: ['dvrs.*.stats', 'dvrs.*.disks.*.stats', 'config.http_proxies.*.stats'],
      // `public` is the 2023 name of public_payload_url.
      normalize(patch) {
        if ('public' in patch) {
          if (!('public_payload_url' in patch)) patch.public_payload_url = patch.public;
          delete patch.public;
        }
      },
      beforeSave: reachabilityCheck(db, client),
      toWire: streamerToWire,
    },
    streamersRepo,
    db,
    clock,
  );
}
