// The streamer API Central uses, under /streamer/api/v3 (and Flussonic's older /flussonic/api/v3):
// config, config/stats, streams, probes. Central signs its calls with the cluster key; people use the
// admin login (Basic login:password, or Bearer <password>); see auth.ts.
import { transcoderProblem } from '@central/protocol';
import { inputsProblem } from '@central/protocol/input-rules';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { configExternalProblem } from '../config-external/target.ts';
import { apiAuth, type AuthHook } from './auth.ts';
import { jsonBodies } from './body.ts';
import { errorBody, listStreams, parseConfigPut, type Reply } from './list.ts';

export interface ApiDeps {
  /** The cluster key now in force (persisted value first, then the configured one). */
  clusterKey(): string | null;
  editAuth: { login: string; password: string } | null;
  ready(): boolean;
  serverId: string;
  whoami(now: number): Record<string, unknown>;
  config(now: number): Record<string, unknown>;
  stats(now: number): Record<string, unknown>;
  names(): string[];
  view(name: string): Record<string, unknown> | null;
  /** Applies a validated partial config; returns the new `GET /config` body. */
  putConfig(put: { configExternal?: string | null; clusterKey?: string }): void;
  /** Local streams (only while config_external is off). */
  managedExternally(): boolean;
  putStream(name: string, body: Record<string, unknown>): void;
  deleteStream(name: string): boolean;
}

const PREFIXES = ['/streamer/api/v3', '/flussonic/api/v3'];
const MAX_BODY = 1024 * 1024;

function send(reply: FastifyReply, [status, body]: Reply) {
  return body === undefined ? reply.code(status).send() : reply.code(status).send(body);
}

function streamRoutes(api: FastifyInstance, d: ApiDeps) {
  api.get('/streams', (req, reply) => {
    const q = new URLSearchParams(req.query as Record<string, string>);
    return send(
      reply,
      listStreams(q, d.names(), (n) => d.view(n) ?? { name: n }, d.serverId),
    );
  });
  api.get('/streams/*', (req, reply) => {
    const name = (req.params as { '*': string })['*'];
    const v = d.view(name);
    return v ? reply.send(v) : send(reply, [404, errorBody(404, 'not_found', `No stream ${name}`)]);
  });
  const local = (req: FastifyRequest, reply: FastifyReply, write: (name: string) => Reply) => {
    // Flussonic refuses local stream edits while an external config server owns the streams.
    if (d.managedExternally())
      return send(reply, [400, errorBody(400, 'config_external', 'Streams are managed by config_external')]);
    return send(reply, write((req.params as { '*': string })['*']));
  };
  api.put('/streams/*', (req, reply) =>
    local(req, reply, (name) => {
      const body = req.body;
      if (!body || typeof body !== 'object' || Array.isArray(body))
        return [400, errorBody(400, 'invalid_stream', 'A stream must be a JSON object')];
      const b = body as Record<string, unknown>;
      if (b.inputs !== undefined && !Array.isArray(b.inputs))
        return [400, errorBody(400, 'inputs', 'inputs must be an array of {url}')];
      // The same rules as at run time: a refused input (or a transcoder above the limits) shows now,
      // not later as a source_error.
      const refused = inputsProblem(b.inputs);
      const tooLarge = refused ? null : transcoderProblem(b.transcoder);
      const problem = refused ?? tooLarge;
      if (problem) {
        const error = {
          status: '400',
          code: refused ? 'invalid_input' : 'invalid_field',
          title: problem.title,
          source: { pointer: problem.pointer },
        };
        return [400, { errors: [error] }];
      }
      d.putStream(name, b);
      return [200, d.view(name)];
    }),
  );
  api.delete('/streams/*', (req, reply) =>
    local(req, reply, (name) =>
      d.deleteStream(name) ? [204] : [404, errorBody(404, 'not_found', `No stream ${name}`)],
    ),
  );
}

function api(app: FastifyInstance, d: ApiDeps, auth: AuthHook) {
  jsonBodies(app);
  // Answers carry the config_external URL (with Central's key) and stream inputs: never kept by a cache,
  // never read as another type.
  app.addHook('onSend', async (_req, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff').header('cache-control', 'no-store');
    return payload;
  });
  app.get('/monitoring/liveness', async () => d.whoami(Date.now()));
  app.get('/monitoring/readiness', async (_req, reply) =>
    d.ready()
      ? d.whoami(Date.now())
      : send(reply, [503, errorBody(503, 'not_ready', 'The stream list is not loaded yet')]),
  );
  app.register(async (secured) => {
    secured.addHook('onRequest', auth);
    secured.get('/config', async () => d.config(Date.now()));
    secured.put('/config', async (req, reply) => {
      const put = parseConfigPut(req.body);
      if (!put.ok) return send(reply, put.reply);
      // The streamer calls this URL itself: the outbound address rules apply (metadata, link-local …).
      const problem = put.configExternal ? await configExternalProblem(put.configExternal) : null;
      if (problem)
        return send(reply, [400, { error: `config_external: ${problem}`, path: ['config_external'] }]);
      d.putConfig(put);
      return d.config(Date.now());
    });
    secured.get('/config/stats', async () => d.stats(Date.now()));
    streamRoutes(secured, d);
  });
}

export function registerApi(app: FastifyInstance, d: ApiDeps): void {
  // One check for every prefix: one limiter and one replay cache (a signature seen under /streamer
  // must not carry a write under /flussonic).
  const auth = apiAuth(d);
  for (const prefix of PREFIXES) app.register(async (scope) => api(scope, d, auth), { prefix });
}

export const API_BODY_LIMIT = MAX_BODY;
