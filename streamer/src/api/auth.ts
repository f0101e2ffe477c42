// Who may use the streamer API: Central with the Cluster signature of the cluster key, people with the
// admin login (Basic login:password, or Bearer <password>). Failed attempts of every kind count against
// the client's address (10 a minute, then 429 until the minute is over, the right credentials
// included; a valid Cluster signature is never held up), and a write needs a Cluster signature the
// streamer has never seen, on a read either.
import { ReplayCache, safeEqual, verifyClusterAuthHeader } from '@central/protocol/cluster-auth';
import { BASIC_LIMITS, LoginLimiter } from '@central/protocol/login-limiter';
import type { FastifyReply, FastifyRequest } from 'fastify';
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

export type AuthHook = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

const isCluster = (header: string | undefined): header is string =>
  header !== undefined && /^cluster\s/i.test(header);

/**
 * The onRequest check of the secured API routes: build one per streamer and use it on every prefix
 * (one limiter, one replay cache). A valid Cluster signature is let through even from a locked-out
 * address (it cannot be guessed, and Central behind a shared address must not be locked out by its
 * neighbours' failures); passwords wait. The replay cache lives in memory: after a restart it takes
 * for a write only signatures made after the streamer started (ReplayCache).
 */
export function apiAuth(d: AuthDeps, now: () => number = Date.now): AuthHook {
  const limiter = new LoginLimiter(now, BASIC_LIMITS);
  const replays = new ReplayCache(now());
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization;
    const t = now();
    let ok = authorized(header, d, t);
    if (ok && isCluster(header)) {
      // A signature covers only its second and the key: one seen before (a recorded write, or any of
      // Central's polls) must not carry a write.
      if (READS.has(req.method)) replays.sawRead(header, t);
      else ok = replays.firstUse(header, t);
    }
    if (header !== undefined && !(ok && isCluster(header))) {
      const wait = limiter.blockedFor(req.ip);
      if (wait) {
        void reply.header('retry-after', String(Math.ceil(wait / 1000)));
        return refuse(reply, 429, 'too_many_requests', 'Too many failed logins from this address');
      }
    }
    if (ok) return;
    if (header !== undefined) limiter.fail(req.ip);
    return refuse(reply, 401, 'unauthorized', 'Authorization is required');
  };
}
