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

export interface LimiterOptions {
  /** Failures within `windowMs` that lock an address out. */
  max: number;
  windowMs: number;
  /**
   * Back-off: the first lock-out lasts `lockMs`, each failure after it (while the failures are not yet
   * forgotten) doubles it up to `maxLockMs`. Without it a lock-out lasts until the window ends.
   */
  backoff?: { lockMs: number; maxLockMs: number };
}

interface Failures {
  count: number;
  since: number;
  lockedUntil: number;
  lockMs: number;
}

/** Basic auth: 10 failures a minute, then refused until the minute is over. */
export const BASIC_LIMITS: LimiterOptions = { max: 10, windowMs: 60_000 };

/**
 * Failed logins per client address. After `max` failures within `windowMs` further attempts from that
 * address are refused with 429 (credentials unchecked) until the lock-out ends. Bearer keys are long
 * random secrets and are not limited, so streamers behind one NAT never lock each other out.
 */
export class LoginLimiter {
  private failures = new Map<string, Failures>();
  private readonly o: LimiterOptions;
  constructor(
    private readonly now: () => number,
    options: LimiterOptions = BASIC_LIMITS,
  ) {
    this.o = options;
  }

  /** A record is forgotten `windowMs` after its window began, or after its last lock-out ended. */
  private current(ip: string): Failures | undefined {
    const f = this.failures.get(ip);
    if (!f) return undefined;
    const now = this.now();
    const quietSince = f.lockMs ? f.lockedUntil : f.since;
    if (now >= f.lockedUntil && now - quietSince >= this.o.windowMs) {
      this.failures.delete(ip);
      return undefined;
    }
    return f;
  }

  /** Milliseconds this address must still wait; 0 when it may try. */
  blockedFor(ip: string): number {
    const f = this.current(ip);
    return f ? Math.max(0, f.lockedUntil - this.now()) : 0;
  }

  fail(ip: string) {
    let f = this.current(ip);
    if (!f) {
      if (this.failures.size > 10_000) this.failures.clear();
      f = { count: 0, since: this.now(), lockedUntil: 0, lockMs: 0 };
      this.failures.set(ip, f);
    }
    f.count++;
    if (f.count < this.o.max) return;
    const b = this.o.backoff;
    if (!b) f.lockedUntil = f.since + this.o.windowMs;
    else {
      f.lockMs = f.lockMs ? Math.min(f.lockMs * 2, b.maxLockMs) : b.lockMs;
      f.lockedUntil = this.now() + f.lockMs;
    }
  }

  succeed(ip: string) {
    this.failures.delete(ip);
  }
}

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

/** Returns whether a Cookie header carries a valid UI session (see ui/session.ts). */
export type SessionCheck = (cookieHeader: string | undefined) => boolean;

export function requireAuth(
  api: FastifyInstance,
  creds: Credentials,
  limiter: LoginLimiter,
  session?: SessionCheck,
) {
  api.addHook('onRequest', async (req, reply) => {
    const header = req.headers.authorization;
    // An Authorization header decides alone, as before; the cookie counts only without one.
    if (!header && session?.(req.headers.cookie)) return checkCsrf(req);
    const basic = header?.slice(0, 6).toLowerCase() === 'basic ';
    if (basic) {
      const wait = limiter.blockedFor(req.ip);
      if (wait) throw tooManyAttempts(reply, wait);
    }
    if (authorized(header, creds)) return;
    if (basic) limiter.fail(req.ip);
    throw new ApiError(
      401,
      'unauthorized',
      header
        ? 'the credentials are not valid'
        : 'authentication required: Authorization: Bearer <API_KEY> or Basic with the EDIT_AUTH login',
    );
  });
}
