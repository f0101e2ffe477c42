// Typed errors thrown anywhere and turned into the Flussonic error body in one place.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';

export interface ErrorItem {
  status: string;
  code: string;
  title: string;
  source?: { pointer?: string; parameter?: string };
}

export class ApiError extends Error {
  readonly items: ErrorItem[];
  constructor(
    readonly status: number,
    code: string,
    title: string,
    source?: ErrorItem['source'],
    more: Omit<ErrorItem, 'status'>[] = [],
  ) {
    super(title);
    const first: ErrorItem = { status: String(status), code, title, ...(source ? { source } : {}) };
    this.items = [first, ...more.map((m) => ({ status: String(status), ...m }))];
  }
}

export const badRequest = (title: string, source?: ErrorItem['source']) =>
  new ApiError(400, 'bad_request', title, source);
export const badParameter = (parameter: string, title: string) =>
  new ApiError(400, 'bad_request', `${parameter}: ${title}`, { parameter });
export const notFound = (title: string) => new ApiError(404, 'not_found', title);

export function errorBody(items: ErrorItem[]) {
  return { errors: items, error: items[0]?.code ?? 'error' };
}

/** Fastify's own errors (body too large, bad content type...) mapped to our codes. */
function fromFastify(err: FastifyError): ApiError | null {
  const status = err.statusCode ?? 500;
  if (status >= 500) return null;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new ApiError(413, 'payload_too_large', 'request body is larger than 1 MiB');
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return new ApiError(415, 'unsupported_media_type', 'send the body as application/json');
  return new ApiError(status, status === 404 ? 'not_found' : 'bad_request', err.message);
}

function fromUi(req: FastifyRequest): boolean {
  const xhr = String(req.headers['x-requested-with'] ?? '').toLowerCase() === 'xmlhttprequest';
  return xhr || req.url.startsWith('/ui/api/');
}

export function installErrorHandler(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const api = err instanceof ApiError ? err : fromFastify(err);
    if (api) {
      // Not for the web UI's own calls: a Basic challenge would make the browser pop up its login box.
      if (api.status === 401 && !fromUi(req))
        void reply.header('WWW-Authenticate', 'Basic realm="Central", Bearer realm="Central"');
      return reply.status(api.status).send(errorBody(api.items));
    }
    // Never leak internals: the details go to the log with the request id, the client gets the id.
    req.log.error({ err }, 'request failed');
    return reply
      .status(500)
      .send(
        errorBody([{ status: '500', code: 'internal_error', title: `internal error (request ${req.id})` }]),
      );
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(
      errorBody([
        {
          status: '404',
          code: 'not_found',
          title: `no such endpoint: ${req.method} ${req.url.split('?')[0]}`,
        },
      ]),
    );
  });
}
