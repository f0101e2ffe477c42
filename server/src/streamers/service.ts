import { DEFAULT_CHANNEL_LIMIT, Hostname, StreamerPatch } from '@central/protocol';
import type { Db } from '../db/index.ts';
import type { DocumentRow } from '../db/documents.ts';
import type { Clock } from '../lib/clock.ts';
import { documentService } from '../lib/document-service.ts';
import { streamersRepo } from './repo.ts';

/** The cluster key is a secret: shown on the streamer itself, never in list output. */
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
  if (nodeConfig) {
    const { cluster_key: nodeKey, ...nodeRest } = nodeConfig;
    out.config = !list && nodeKey !== undefined ? { ...nodeRest, cluster_key: nodeKey } : nodeRest;
  }
  return out;
}

export function streamersService(db: Db, clock: Clock) {
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
      toWire: streamerToWire,
    },
    streamersRepo,
    db,
    clock,
  );
}
