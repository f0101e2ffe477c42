// GET /streamers/{hostname}/stats_history (an extension): the poller's samples of a streamer's figures,
// for the web UI's charts.
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/types.ts';
import { badParameter, notFound } from '../http/errors.ts';
import type { Clock } from '../lib/clock.ts';
import { readSamples } from './repo.ts';
import { HISTORY_KEEP_MS, SAMPLE_EVERY_MS } from './state.ts';

const DEFAULT_SPAN_MS = 60 * 60_000;
/** A day of samples at the normal spacing; denser ones (several leaders in turn) keep the newest. */
export const MAX_POINTS = HISTORY_KEEP_MS / SAMPLE_EVERY_MS;

function parseSince(q: Record<string, unknown>, now: number): number {
  const v = q.since;
  if (v === undefined || v === '') return now - DEFAULT_SPAN_MS;
  if (typeof v !== 'string' || !/^\d{1,16}$/.test(v) || !Number.isSafeInteger(Number(v)))
    throw badParameter('since', 'must be a time in milliseconds since the epoch (a whole number)');
  return Number(v);
}

export function statsHistoryRoutes(api: FastifyInstance, db: Db, clock: Clock) {
  api.get('/streamers/:hostname/stats_history', async (req) => {
    const { hostname } = req.params as { hostname: string };
    const since = parseSince(req.query as Record<string, unknown>, clock.now());
    const rows = await readSamples(db, hostname, since, MAX_POINTS);
    if (!rows) throw notFound(`streamer ${hostname} not found`);
    return { hostname, points: rows.map(({ hostname: _h, ...point }) => point) };
  });
}
