// Request logging (LOG_REQUESTS=true): one line per request when it ends, with the method, the route
// pattern, the URL with its secrets redacted, the status and the duration. Never headers: the
// Authorization header and cookies carry credentials. Off by default: a log line per request costs
// about 40% of throughput (as in Flussonic, where it is off too).
import { redactRequestUrl } from '@central/protocol';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** Fastify's catch-all of the web UI: a 404 through it is an unknown URL, not a route. */
const CATCH_ALL = '/*';

/** The route pattern of a request, or `unmatched`: bounded, unlike raw URLs (metrics labels, logs). */
export function routeOf(req: FastifyRequest, status: number): string {
  const route = req.routeOptions.url;
  if (!route || (route === CATCH_ALL && status === 404)) return 'unmatched';
  return route;
}

export class RequestLog extends LogController {
  constructor(enabled: boolean) {
    super({ disableRequestLogging: !enabled });
  }

  /** Only the line at the end: it has everything the one at the start would. */
  override incomingRequest() {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply) {
    if (this.isLogDisabled(req)) return;
    const line = {
      method: req.method,
      route: routeOf(req, reply.statusCode),
      url: redactRequestUrl(req.url),
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 1000) / 1000,
      ip: req.ip,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request failed');
    else reply.log.info(line, 'request');
  }
}
