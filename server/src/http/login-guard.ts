// Failed credentials count against the client's address on every route of the app, whoever checks
// them: the API (Bearer, Basic), the pull endpoints (403 forbidden), /metrics and the UI sign-in. A
// request that presents credentials from a locked-out address is refused with 429 before anything
// checks them, so even the right ones wait. Requests without credentials are neither counted nor
// refused (the probes, the UI's own files, a browser's first unauthenticated call).
//
// The pull endpoints are counted per address and streamer: each streamer has a key of its own, so one
// streamer left with a stale key locks out only its own pulls, never those of the streamers sharing its
// address (a NAT), nor people's API calls from there. All of an address's pull failures also count
// together at a higher limit, so trying keys across many hostnames stays bounded. One set of limiters
// serves all of a process's listeners (HTTP and HTTPS count together).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SIGN_IN_LIMITS } from '../ui/session.ts';
import { LoginLimiter, tooManyAttempts } from './auth.ts';

/** Pull failures of one address over all hostnames, a minute, before its pulls wait. */
export const PULL_LIMITS = { max: 100, windowMs: 60_000 };
const PULL_PATH =
  /^\/(?:central|streamer)\/api\/v3\/streamers\/([^/?]{1,256})\/(?:streams|update-streams|dynamic-streams|srt_port_resolve)(?:[/?]|$)/;

const SIGN_IN = '/ui/api/session';
/** Codes of a 403 that mean "these credentials are wrong" (not e.g. `csrf`). */
const CREDENTIAL_CODES = new Set(['forbidden', 'unauthorized']);

/** An Authorization header of any scheme, or a sign-in's login and password. */
function presentsCredentials(req: FastifyRequest): boolean {
  if (req.headers.authorization !== undefined) return true;
  return req.method === 'POST' && req.url.split('?')[0] === SIGN_IN;
}

function errorCode(payload: unknown): string | null {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString() : null;
  if (text === null || text.length > 64 * 1024) return null;
  try {
    const body = JSON.parse(text) as { errors?: { code?: unknown }[] };
    const code = body.errors?.[0]?.code;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
}

function isCredentialFailure(status: number, payload: unknown): boolean {
  if (status === 401) return true;
  if (status !== 403) return false;
  const code = errorCode(payload);
  return code !== null && CREDENTIAL_CODES.has(code);
}

/** The scope of a request's attempts: `pull:<hostname>` on the pull endpoints, else the address alone. */
function scopeOf(req: FastifyRequest): string {
  const m = PULL_PATH.exec(req.url);
  return m ? `pull:${m[1]!}` : '';
}

/** The limiters of one process, shared by its HTTP and HTTPS apps. */
export interface LoginLimits {
  /** Failures per address (and per streamer on the pull endpoints). */
  api: LoginLimiter;
  /** Pull failures per address over all hostnames. */
  pulls: LoginLimiter;
  /** UI sign-in failures per address. */
  signIn: LoginLimiter;
}

export function loginLimits(now: () => number): LoginLimits {
  return {
    api: new LoginLimiter(now),
    pulls: new LoginLimiter(now, PULL_LIMITS),
    signIn: new LoginLimiter(now, SIGN_IN_LIMITS),
  };
}

/** Installs the app-wide check (onRequest) and count (onSend) of failed credentials. */
export function guardLogins(app: FastifyInstance, { api: limiter, pulls }: LoginLimits) {
  app.addHook('onRequest', async (req, reply) => {
    if (!presentsCredentials(req)) return;
    const scope = scopeOf(req);
    const wait = Math.max(limiter.blockedFor(req.ip, scope), scope ? pulls.blockedFor(req.ip) : 0);
    if (wait) throw tooManyAttempts(reply, wait);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (!presentsCredentials(req)) return payload;
    const scope = scopeOf(req);
    // A streamer pulling with its key again (after a rotation refused its old one) starts afresh:
    // rotations never add up to a lock-out. The count over all hostnames stays.
    if (scope && reply.statusCode < 400) limiter.succeed(req.ip, scope);
    if (!isCredentialFailure(reply.statusCode, payload)) return payload;
    limiter.fail(req.ip, scope);
    if (scope) pulls.fail(req.ip);
    return payload;
  });
}
