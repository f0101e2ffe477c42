// The HTTP application. It never listens by itself: main.ts does, tests use inject().
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Db } from './db/index.ts';
import { requireAuth } from './http/auth.ts';
import { textProblem } from './query/text.ts';
import { badParameter, installErrorHandler } from './http/errors.ts';
import { parseJsonBody } from './http/json-body.ts';
import { guardLogins, loginLimits, type LoginLimits } from './http/login-guard.ts';
import { RequestLog, routeOf } from './http/request-log.ts';
import { securityHeaders } from './http/security-headers.ts';
import type { Clock } from './lib/clock.ts';
import { collectionRoutes } from './lib/collection-routes.ts';
import { streamersService } from './streamers/service.ts';
import { streamsService } from './streams/service.ts';
import { configRoutes, probeRoutes, type RuntimeInfo } from './system/routes.ts';
import { Pulls } from './config-external/pulls.ts';
import { configExternalRoutes } from './config-external/routes.ts';
import { pullKeyRoutes } from './config-external/key-routes.ts';
import { clusterRoutes, playbackHandler } from './fleet/routes.ts';
import { layoutRoutes, layoutsHistoryHandler } from './layouter/routes.ts';
import type { StreamerClient } from './lib/streamer-client.ts';
import { statsHistoryRoutes } from './health/routes.ts';
import { Metrics } from './metrics.ts';
import { METRICS_PATH, metricsRoute } from './system/metrics.ts';
import { Sessions, sessionRoutes } from './ui/session.ts';
import { dbRevocations, playbackOrigins } from './ui/repo.ts';
import { defaultWebDir, staticRoutes } from './ui/static.ts';

export const API_PREFIXES = ['/central/api/v3', '/streamer/api/v3'] as const;
export const BODY_LIMIT = 1024 * 1024;
const STREAM_LIST_PARAMS = ['poll_timeout', 'include_ingest_history', 'client_ip', 'scheme', 'effective'];

export interface AppDeps {
  config: Config;
  db: Db;
  clock: Clock;
  apiKey: string;
  info: RuntimeInfo;
  logger?: Logger | false;
  https?: { key: Buffer; cert: Buffer };
  /** Shared by the HTTP and HTTPS apps; an app without one makes (and starts) its own. */
  pulls?: Pulls;
  /** Outbound calls to streamers (checks_enable); without one the check is skipped. */
  client?: StreamerClient;
  /** Shared by the HTTP and HTTPS apps and the fleet loops; without one the app has its own. */
  metrics?: Metrics;
  /** Failed-credential limits, shared by the HTTP and HTTPS apps; without them the app has its own. */
  limits?: LoginLimits;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { config, db, clock, info } = deps;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    logController: new RequestLog(config.logRequests),
    bodyLimit: BODY_LIMIT,
    // Behind TRUST_PROXY, req.ip and req.protocol come from X-Forwarded-For/-Proto of those peers only.
    trustProxy: config.trustProxy.length ? [...config.trustProxy] : false,
    ...(deps.https ? { https: deps.https } : {}),
  }) as unknown as FastifyInstance;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJsonBody);
  installErrorHandler(app);
  // Path parameters (names, hostnames) are client text too: what PostgreSQL cannot store is a 400.
  // (The UI's files, under the catch-all route, never reach the database and answer 404 themselves.)
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.url === '/*') return;
    for (const [name, value] of Object.entries((req.params ?? {}) as Record<string, unknown>)) {
      const problem = typeof value === 'string' ? textProblem(value) : null;
      if (problem) throw badParameter(name, `value ${problem}`);
    }
  });
  // Before any route: failed credentials count on every route, whoever checks them.
  const limits = deps.limits ?? loginLimits(() => clock.now());
  guardLogins(app, limits);
  const privatePaths = [...API_PREFIXES, '/ui/api', METRICS_PATH];
  securityHeaders(app, privatePaths);
  // While stopping, answers to requests still in flight close their connection: a keep-alive one left
  // idle would hold the process for the keep-alive timeout after the last answer.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  const metrics = deps.metrics ?? new Metrics();
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observeRequest(
      req.method,
      routeOf(req, reply.statusCode),
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
  metricsRoute(app, { metrics, db, apiKey: deps.apiKey, auth: config.metricsAuth });

  const streams = streamsService(db, clock);
  const streamers = streamersService(db, clock, deps.client ?? null);
  const creds = { apiKey: deps.apiKey, editAuth: config.editAuth };
  let pulls = deps.pulls;
  if (!pulls) {
    const own = new Pulls(db, clock);
    pulls = own;
    app.addHook('onReady', () => own.start());
    app.addHook('onClose', () => own.stop());
  }
  const streamSubs = { layouts: layoutsHistoryHandler(db), playback: playbackHandler(db) };
  const sessions = new Sessions(creds, () => clock.now(), dbRevocations(db));
  const session = async (cookie: string | undefined) => (await sessions.fromHeader(cookie)) !== null;
  for (const prefix of API_PREFIXES) {
    app.register(
      async (api) => {
        probeRoutes(api, db, clock, info);
        // Streamers authenticate with the pull key of their config_external URL; a wrong one is 403.
        configExternalRoutes(api, db, creds, pulls, metrics);
        api.register(async (secured) => {
          requireAuth(secured, creds, session);
          collectionRoutes(secured, 'streams', streams, STREAM_LIST_PARAMS, streamSubs);
          collectionRoutes(secured, 'streamers', streamers, ['checks_enable']);
          statsHistoryRoutes(secured, db, clock);
          pullKeyRoutes(secured, { db, clock, apiKey: deps.apiKey, apiUrl: config.apiUrl });
          layoutRoutes(secured, db, clock, config);
          clusterRoutes(secured, db, clock, info);
          configRoutes(secured, config, db, clock, info);
        });
      },
      { prefix },
    );
  }
  sessionRoutes(app, creds, sessions, clock, limits.signIn);
  staticRoutes(app, config.webDir ?? defaultWebDir(), privatePaths, () => playbackOrigins(db));
  return app;
}
