// GET /metrics: the Prometheus text format, on Central's port outside the API prefixes. With
// METRICS_AUTH=api_key (the default) it takes `Authorization: Bearer <API_KEY>`, compared in constant
// time; with `none` anyone who reaches the port may scrape (see docs/operations.md for the trade-off).
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { FLEET_LEASE } from '../db/lease.ts';
import type { Db } from '../db/types.ts';
import { safeEqual } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import type { Metrics } from '../metrics.ts';
import { fleetCounts } from './repo.ts';

export const METRICS_PATH = '/metrics';

function bearer(header: string | undefined): string | null {
  const m = /^Bearer[ \t]+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1]! : null;
}

export function metricsRoute(
  app: FastifyInstance,
  o: { metrics: Metrics; db: Db; apiKey: string; auth: Config['metricsAuth'] },
) {
  app.get(METRICS_PATH, async (req, reply) => {
    if (o.auth === 'api_key') {
      const key = bearer(req.headers.authorization);
      // Always compared (an empty key when there is none), so timing does not tell which case it was.
      if (!safeEqual(key ?? '', o.apiKey) || key === null)
        throw new ApiError(
          401,
          'unauthorized',
          'metrics need Authorization: Bearer <API_KEY> (METRICS_AUTH=api_key)',
        );
    }
    await o.metrics.refreshFleet(() => fleetCounts(o.db, FLEET_LEASE));
    const body = await o.metrics.render();
    return reply.header('content-type', o.metrics.contentType).header('cache-control', 'no-store').send(body);
  });
}
