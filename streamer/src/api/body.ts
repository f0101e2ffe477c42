// Request bodies and errors of the streamer API. Every body is read as JSON whatever its content type
// (Central and curl users send `Content-Type: application/json` on DELETE with no body, or no type at
// all); an empty body is no body. `__proto__` and friends stay plain data: JSON.parse makes them own
// properties and nothing here assigns through them. Errors answer with Flussonic's `errors` body.
import type { FastifyError, FastifyInstance } from 'fastify';
import { errorBody } from './list.ts';

class BodyError extends Error {
  readonly statusCode = 400;
  readonly code = 'malformed_json';
}

export function jsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(new BodyError(`request body is not valid JSON: ${(e as Error).message}`));
    }
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) {
      req.log.error({ err }, 'streamer API request failed');
      return reply.code(500).send(errorBody(500, 'internal', 'Internal error'));
    }
    return reply.code(status).send(errorBody(status, err.code || 'bad_request', err.message));
  });
}
