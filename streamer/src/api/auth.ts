// Who may use the streamer API: Central with the Cluster signature of the cluster key, people with the
// admin login (Basic login:password, or Bearer <password>). Failed attempts of every kind count against
// the client's address (10 a minute, then 429 until the minute is over, the right credentials
// included), and a write needs a Cluster signature the streamer has never seen, on a read either.
import { ReplayCache, safeEqual, verifyClusterAuthHeader } from '@central/protocol/cluster-auth';
import { BASIC_LIMITS, LoginLimiter } from '@central/protocol/login-limiter';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './list.ts';

export interface AuthDeps {
  /** The cluster key now in force (persisted value first, then the configured one). */
  clusterKey(): string | null;
  editAuth: { login: string; password: string } | null;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function authorized(header: string | undefined, d: AuthDeps, now: number): boolean {
  if (!header) return false;
  const key = d.clusterKey();
  if (/^cluster\s/i.test(header)) return key !== null && verifyClusterAuthHeader(header, key, now);
  const auth = d.editAuth;
  if (!auth) return false;
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'bearer') return safeEqual(value, auth.password);
  if (scheme?.toLowerCase() !== 'basic') return false;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const login = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  // Both comparisons always run: a short-circuit would tell a wrong login from a wrong password.
  const okLogin = safeEqual(login, auth.login);
  const okPassword = safeEqual(password, auth.password);
  return okLogin && okPassword;
}

function refuse(reply: FastifyReply, status: 401 | 429, code: string, title: string) {
  if (status === 401) void reply.header('www-authenticate', 'Basic realm="streamer"');
  return reply.code(status).send(errorBody(status, code, title));
}

/** The onRequest check of the secured API routes; one limiter and replay cache per streamer. */
export function apiAuth(d: AuthDeps, now: () => number = Date.now) {
  const limiter = new LoginLimiter(now, BASIC_LIMITS);
  const replays = new ReplayCache();
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const wait = limiter.blockedFor(req.ip);
      if (wait) {
        void reply.header('retry-after', String(Math.ceil(wait / 1000)));
        return refuse(reply, 429, 'too_many_requests', 'Too many failed logins from this address');
      }
    }
    const t = now();
    let ok = authorized(header, d, t);
    // A signature covers only its second and the key: one seen before (a recorded write, or any of
    // Central's polls) must not carry a write.
    if (ok && /^cluster\s/i.test(header!)) {
      if (READS.has(req.method)) replays.sawRead(header!, t);
      else ok = replays.firstUse(header!, t);
    }
    if (ok) return;
    if (header !== undefined) limiter.fail(req.ip);
    return refuse(reply, 401, 'unauthorized', 'Authorization is required');
  };
}

/** Registers the check on a scope (the routes registered in it after this need credentials). */
export function requireAuth(scope: FastifyInstance, d: AuthDeps) {
  scope.addHook('onRequest', apiAuth(d));
}
