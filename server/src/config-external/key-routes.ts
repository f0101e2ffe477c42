// A streamer's pull key (an extension; API key or admin login required). `GET` answers the key and the
// config_external URL carrying it, for deployments that set config_external themselves (provisioning
// off, an orchestrator); `POST …/rotate_pull_key` derives a new one: the old key is refused at once and
// the leader re-provisions the streamer within moments. Never part of any list.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Db } from '../db/types.ts';
import { notFound } from '../http/errors.ts';
import type { Clock } from '../lib/clock.ts';
import { configExternalUrl, pullKey, pullKeySecret } from './pull-key.ts';
import { pullKeyRow, type PullKeyRow } from './repo.ts';

export function pullKeyRoutes(
  api: FastifyInstance,
  o: { db: Db; clock: Clock; apiKey: string; apiUrl: string | null },
) {
  const secret = pullKeySecret(o.apiKey);
  const answer = (reply: FastifyReply, hostname: string, row: PullKeyRow | null) => {
    if (!row) throw notFound(`streamer ${hostname} not found`);
    const key = pullKey(secret, hostname, row.generation);
    void reply.header('cache-control', 'no-store');
    return {
      hostname,
      pull_key: key,
      generation: row.generation,
      ...(row.rotatedAt !== null ? { rotated_at: row.rotatedAt } : {}),
      config_external: o.apiUrl ? configExternalUrl(o.apiUrl, key, hostname) : null,
    };
  };

  api.get('/streamers/:hostname/pull_key', async (req, reply) => {
    const { hostname } = req.params as { hostname: string };
    return answer(reply, hostname, await pullKeyRow(o.db, hostname, null));
  });

  api.post('/streamers/:hostname/rotate_pull_key', async (req, reply) => {
    const { hostname } = req.params as { hostname: string };
    const row = await pullKeyRow(o.db, hostname, { now: o.clock.now() });
    if (row) req.log.info({ hostname, generation: row.generation }, 'pull key rotated');
    return answer(reply, hostname, row);
  });
}
