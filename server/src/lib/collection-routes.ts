import type { FastifyInstance } from 'fastify';
import { parseListQuery } from '../http/collection.ts';
import type { DocumentService } from './document-service.ts';

/**
 * GET /<plural>, PUT /<plural>/batch, GET/PUT/DELETE /<plural>/<key>. Keys may contain "/" (stream
 * names do), so everything after the collection is the key; the fixed word `batch` is matched first.
 */
export function collectionRoutes(
  api: FastifyInstance,
  plural: string,
  service: DocumentService,
  listParams: readonly string[] = [],
) {
  const keyOf = (req: { params: unknown }) => (req.params as { '*': string })['*'];
  api.get(`/${plural}`, async (req) =>
    service.list(parseListQuery(req.query as Record<string, unknown>, listParams)),
  );
  api.put(`/${plural}/batch`, async (req, reply) => {
    await service.saveBatch(req.body);
    return reply.status(204).send();
  });
  api.get(`/${plural}/*`, async (req) => service.get(keyOf(req)));
  api.put(`/${plural}/*`, async (req) => service.save(keyOf(req), req.body));
  api.delete(`/${plural}/*`, async (req, reply) => {
    await service.remove(keyOf(req));
    return reply.status(204).send();
  });
}
