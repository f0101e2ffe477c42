// The endpoints streamers poll (the config_external protocol), under /streamers/{hostname}. The
// streamer's config_external URL carries its own pull key (pull-key.ts) as userinfo, which arrives as
// Bearer (or Basic with the key as user). Only a streamer's own key is a sign of life; Central's API key
// still reads any list (an operator looking at what a streamer gets, or a streamer not yet re-provisioned
// after an upgrade) but proves nothing about the streamer. Any other key is 403, an unknown streamer 404
// (403 without a valid key: hostnames are not revealed).
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/types.ts';
import type { Credentials } from '../http/auth.ts';
import { ApiError, badParameter, notFound } from '../http/errors.ts';
import type { Metrics } from '../metrics.ts';
import { queryParams } from '../query/parse.ts';
import { textProblem } from '../query/text.ts';
import { identify, presentedKey, pullKeySecret, type PullIdentity } from './pull-key.ts';
import type { Pulls } from './pulls.ts';
import { renderList } from './render.ts';
import { pullStreams, pullVersion, srtPortStream, type PullVersion } from './repo.ts';

const MAX_POLL_TIMEOUT_S = 60;
const MAX_PULL_LIMIT = 10_000;
const MAX_NAMES = 1000;

type Query = Record<string, string | undefined>;

/** The query string as checked text (repeated parameters joined by commas, as in the collection API). */
const queryOf = (req: FastifyRequest): Query =>
  Object.assign(Object.create(null) as Query, Object.fromEntries(queryParams(req.query ?? {}, () => 65_536)));

function intParam(q: Query, key: string, min: number, max: number): number | null {
  const v = q[key];
  if (v === undefined || v === '') return null;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw badParameter(key, `${key} must be an integer between ${min} and ${max}`);
  return Number(v);
}

function namesParam(q: Query, required: boolean): string[] | null {
  const v = q.name;
  if (v === undefined || v === '') {
    if (required) throw badParameter('name', 'name is required: a comma-separated list of stream names');
    return null;
  }
  const names = v.split(',').filter(Boolean);
  if (names.length > MAX_NAMES) throw badParameter('name', `at most ${MAX_NAMES} names`);
  return names;
}

function cursorParam(q: Query): string | null {
  const v = q.cursor;
  if (v === undefined || v === '') return null;
  try {
    const c = JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) as { a?: unknown };
    if (typeof c.a === 'string' && textProblem(c.a) === null) return c.a;
  } catch {
    /* reported below */
  }
  throw badParameter('cursor', 'cursor is not one this server issued');
}

interface Timing {
  started: number;
  waitedMs: number;
}

const forbidden = () =>
  new ApiError(
    403,
    'forbidden',
    'Streamer unauthorized: the key in config_external is not valid for this streamer',
  );

interface Puller {
  hostname: string;
  v: PullVersion;
  who: Exclude<PullIdentity, null>;
}

export function configExternalRoutes(
  api: FastifyInstance,
  db: Db,
  creds: Credentials,
  pulls: Pulls,
  metrics?: Metrics,
) {
  const secret = pullKeySecret(creds.apiKey);
  const streamer = async (req: FastifyRequest): Promise<Puller> => {
    const presented = presentedKey(req.headers.authorization);
    if (presented === null) throw forbidden();
    const { hostname } = req.params as { hostname: string };
    const v = await pullVersion(db, hostname);
    const who = identify(presented, { apiKey: creds.apiKey, secret, hostname, generation: v.generation });
    if (who === null) throw forbidden();
    if (!v.exists) throw notFound(`streamer ${hostname} not found`);
    // A sign of life only from the streamer itself: the API key may be held by anyone administering.
    if (who === 'streamer') pulls.touch(hostname);
    pulls.counters.pulls++;
    return { hostname, v, who };
  };

  const headers = (reply: FastifyReply) =>
    reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('x-config-server-separate-endpoints', 'true')
      .header('x-config-server-poll-timeout', String(MAX_POLL_TIMEOUT_S))
      .header('cache-control', 'no-cache');

  /** A list of some streams of this streamer (by name and/or page). */
  const page = async (hostname: string, v: PullVersion, q: Query, names: string[] | null) => {
    const limit = intParam(q, 'limit', 1, MAX_PULL_LIMIT);
    const rows = await pullStreams(db, hostname, { after: cursorParam(q), limit, names });
    const more = limit !== null && rows.length > limit;
    const shown = more ? rows.slice(0, limit) : rows;
    const next = more ? Buffer.from(JSON.stringify({ a: shown.at(-1)!.name })).toString('base64url') : null;
    return renderList(shown, v.changedAt, next);
  };

  /** The whole list (body null: not modified). Versioned, so an unchanged one is one primary-key lookup. */
  const fullList = async (req: FastifyRequest, { hostname, v, who }: Puller, t: Timing) => {
    let version = v;
    // A rotation during a long poll ends it: the old key is refused from that moment.
    const revoked = (x: PullVersion) => who === 'streamer' && x.generation !== v.generation;
    const etag = (x: PullVersion) => `"${x.version}"`;
    if (req.headers['if-none-match'] === etag(version)) {
      const timeout = intParam(queryOf(req), 'poll_timeout', 0, 3600);
      const waitMs = Math.min(timeout ?? 0, MAX_POLL_TIMEOUT_S) * 1000;
      const waitStarted = performance.now();
      const changed =
        waitMs > 0 &&
        (await pulls.waitForChange(hostname, waitMs, async () => {
          version = await pullVersion(db, hostname);
          return !version.exists || revoked(version) || etag(version) !== req.headers['if-none-match'];
        }));
      t.waitedMs = performance.now() - waitStarted;
      if (!changed) {
        pulls.counters.notModified++;
        return { etag: etag(version), body: null };
      }
      if (!version.exists) throw notFound(`streamer ${hostname} not found`);
      if (revoked(version)) throw forbidden();
    }
    let body = pulls.cached(hostname, version.version);
    if (body === null) {
      body = renderList(
        await pullStreams(db, hostname, { after: null, limit: null, names: null }),
        version.changedAt,
        null,
      );
      pulls.remember(hostname, version.version, body);
    }
    return { etag: etag(version), body };
  };

  api.get('/streamers/:hostname/streams', async (req, reply) => {
    const t: Timing = { started: performance.now(), waitedMs: 0 };
    // Service time only: a long poll's wait says nothing about how fast Central answers.
    const seconds = () => (performance.now() - t.started - t.waitedMs) / 1000;
    try {
      const q = queryOf(req);
      const puller = await streamer(req);
      const names = namesParam(q, false);
      headers(reply);
      if (names || q.cursor || q.limit) {
        const body = await page(puller.hostname, puller.v, q, names);
        metrics?.observePull('200', seconds());
        return reply.send(body);
      }
      const list = await fullList(req, puller, t);
      metrics?.observePull(list.body === null ? '304' : '200', seconds());
      reply.header('etag', list.etag);
      return list.body === null ? reply.status(304).send() : reply.send(list.body);
    } catch (e) {
      metrics?.observePull('error', seconds());
      throw e;
    }
  });

  for (const path of ['update-streams', 'dynamic-streams'])
    api.get(`/streamers/:hostname/${path}`, async (req, reply) => {
      const q = queryOf(req);
      const { hostname, v } = await streamer(req);
      const names = namesParam(q, true);
      return headers(reply).send(await page(hostname, v, q, names));
    });

  api.get('/streamers/:hostname/srt_port_resolve/:port', async (req, reply) => {
    const q = queryOf(req);
    const { hostname } = await streamer(req);
    const { port } = req.params as { port: string };
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
      throw badParameter('port', 'port must be an integer between 1 and 65535');
    const mode = q.mode ?? 'play';
    if (mode !== 'play' && mode !== 'publish') throw badParameter('mode', 'mode must be play or publish');
    const name = await srtPortStream(db, hostname, Number(port), mode);
    if (!name) throw notFound(`no stream on port ${port} of streamer ${hostname}`);
    return reply.header('content-type', 'text/plain; charset=utf-8').send(name);
  });
}
