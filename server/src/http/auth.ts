// Bearer <API_KEY>, or Basic with the EDIT_AUTH login and password, or Basic with the API key as the
// user name and an empty password (what `http://KEY@central/...` URLs send). Secrets are compared
// through SHA-256 digests with timingSafeEqual, so neither content nor length leaks through timing.
// Without an Authorization header, the web UI's session cookie (ui/session.ts) is accepted too.
import { safeEqual } from '@central/protocol/cluster-auth';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

export interface Credentials {
  apiKey: string;
  editAuth: { login: string; password: string } | null;
}

export { safeEqual };

export function authorized(header: string | undefined, creds: Credentials): boolean {
  if (!header) return false;
  const space = header.indexOf(' ');
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return safeEqual(value, creds.apiKey);
  if (scheme !== 'basic') return false;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  // Every comparison runs (no short-circuit), so the time taken does not tell which part was right.
  const admin = creds.editAuth ?? { login: '', password: '' };
  const checks = [
    safeEqual(user, creds.apiKey) && password === '',
    safeEqual(user, admin.login),
    safeEqual(password, admin.password),
  ];
  return checks[0]! || (creds.editAuth !== null && checks[1]! && checks[2]!);
}

export {
  BASIC_LIMITS,
  clientKey,
  LoginLimiter,
  MAX_TRACKED_ADDRESSES,
  type LimiterOptions,
} from '@central/protocol/login-limiter';

export const tooManyAttempts = (reply: FastifyReply, waitMs: number) => {
  void reply.header('Retry-After', String(Math.ceil(waitMs / 1000)));
  return new ApiError(429, 'too_many_requests', 'too many failed logins from this address; try again later');
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A browser sends the session cookie with every request to Central, so a request authenticated only by
 * the cookie must also prove it comes from our own scripts before it changes anything. SameSite=Strict
 * already stops cross-site requests; a custom header (which a cross-site form cannot set) is the
 * second line.
 */
function checkCsrf(req: FastifyRequest) {
  if (SAFE_METHODS.has(req.method)) return;
  if (String(req.headers['x-requested-with'] ?? '').toLowerCase() === 'xmlhttprequest') return;
  throw new ApiError(
    403,
    'csrf',
    'a request signed in with the session cookie must send X-Requested-With: XMLHttpRequest',
  );
}

/**
 * A browser attaches cached Basic credentials and the session cookie to requests other sites make it
 * send. Those can be simple form posts (text/plain, urlencoded, multipart) or no-cors fetches without a
 * JSON type: `application/json` needs a CORS preflight, which Central never grants. So a write signed in
 * this way must say it is JSON. A DELETE without a body is exempt: no other site can send a DELETE.
 */
export function checkJsonWrite(req: FastifyRequest) {
  if (SAFE_METHODS.has(req.method)) return;
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (req.method === 'DELETE' && !hasBody) return;
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type === 'application/json') return;
  throw new ApiError(
    415,
    'unsupported_media_type',
    'a change signed in with a password or the session cookie must send Content-Type: application/json',
  );
}

/** Resolves whether a Cookie header carries a valid, unrevoked UI session (see ui/session.ts). */
export type SessionCheck = (cookieHeader: string | undefined) => Promise<boolean>;

/**
 * Failed credentials are counted (and locked-out addresses refused) for the whole app by
 * http/login-guard.ts, not here: that also covers the routes with checks of their own.
 */
export function requireAuth(api: FastifyInstance, creds: Credentials, session?: SessionCheck) {
  api.addHook('onRequest', async (req) => {
    const header = req.headers.authorization;
    // An Authorization header decides alone, as before; the cookie counts only without one.
    if (!header && session && (await session(req.headers.cookie))) {
      checkCsrf(req);
      return checkJsonWrite(req);
    }
    if (authorized(header, creds)) {
      if (!/^bearer\s/i.test(header!)) checkJsonWrite(req);
      return;
    }
    throw new ApiError(
      401,
      'unauthorized',
      header
        ? 'the credentials are not valid'
        : 'authentication required: Authorization: Bearer <API_KEY> or Basic with the EDIT_AUTH login',
    );
  });
}
