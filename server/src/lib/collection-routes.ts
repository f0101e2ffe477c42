import type { FastifyInstance } from 'fastify';
import { parseListQuery } from '../query/parse.ts';
import { ApiError } from '../http/errors.ts';
import type { DocumentService } from './document-service.ts';

/** GET /<plural>/<key>/<suffix> handlers (a stream's layouts, its playback URLs). */
export type SubResources = Record<string, (key: string, query: Record<string, unknown>) => Promise<unknown>>;

/**
 * GET /<plural>, PUT /<plural>/batch, GET/PUT/DELETE /<plural>/<key>. Keys may contain "/" (stream
 * names do), so everything after the collection is the key; the fixed word `batch` is matched first.
 */
export function collectionRoutes(
  api: FastifyInstance,
  plural: string,
  service: DocumentService,
  listParams: readonly string[] = [],
  sub: SubResources = {},
) {
  const keyOf = (req: { params: unknown }) => (req.params as { '*': string })['*'];
  api.get(`/${plural}`, async (req) =>
    service.list(
      parseListQuery(req.query as Record<string, unknown>, listParams),
      req.query as Record<string, unknown>,
    ),
  );
  api.put(`/${plural}/batch`, async (req, reply) => {
    await service.saveBatch(req.body);
    return reply.status(204).send();
  });
  api.get(`/${plural}/*`, async (req) => {
    const key = keyOf(req);
    const slash = key.lastIndexOf('/');
    const handler = slash > 0 ? sub[key.slice(slash + 1)] : undefined;
    const params = req.query as Record<string, unknown>;
    if (!handler) return service.get(key, params);
    try {
      return await handler(key.slice(0, slash), params);
    } catch (e) {
      // No such stream: maybe the whole path is a name that ends like a sub-resource.
      if (e instanceof ApiError && e.status === 404) return service.get(key, params);
      throw e;
    }
  });
  api.put(`/${plural}/*`, async (req) =>
    service.save(keyOf(req), req.body, req.query as Record<string, unknown>),
  );
  api.delete(`/${plural}/*`, async (req, reply) => {
    await service.remove(keyOf(req));
    return reply.status(204).send();
  });
}
