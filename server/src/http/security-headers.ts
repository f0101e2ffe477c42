// Headers on every answer: `nosniff` (no answer is ever read as another type), HSTS when the request
// came over HTTPS (directly, or from a TRUST_PROXY proxy that says so), and `no-store` on everything
// outside the UI's own files: API answers carry cluster keys, input URLs with passwords and pull lists,
// which no browser or shared cache may keep.
import type { FastifyInstance } from 'fastify';

/** One year; no includeSubDomains: other services on sibling names are not ours to pin. */
export const HSTS = 'max-age=31536000';

export function securityHeaders(app: FastifyInstance, privatePrefixes: readonly string[]) {
  const isPrivate = (path: string) =>
    privatePrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  app.addHook('onSend', (req, reply, payload, done) => {
    void reply.header('x-content-type-options', 'nosniff');
    if (req.protocol === 'https') void reply.header('strict-transport-security', HSTS);
    if (isPrivate(req.url.split('?')[0]!)) void reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}
