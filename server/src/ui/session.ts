// Sign-in for the web UI: POST /ui/api/session checks the EDIT_AUTH login and sets an HttpOnly session
// cookie that the API accepts in place of an Authorization header (http/auth.ts). The cookie is signed:
// `<base64url(login)>.<expiresMs>.<sessionId>.<mac>`, the MAC keyed by a key derived from API_KEY, so
// every Central process sharing the key accepts it, and changing API_KEY or the EDIT_AUTH login or
// password ends every session. Sign-out records the random session id in the database
// (ui_session_revocations), which every process checks, so it ends that session everywhere at once.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  checkJsonWrite,
  LoginLimiter,
  safeEqual,
  tooManyAttempts,
  type Credentials,
  type LimiterOptions,
} from '../http/auth.ts';
import { ApiError, badRequest, errorBody } from '../http/errors.ts';
import type { Clock } from '../lib/clock.ts';
import { isRecord } from '../lib/objects.ts';
import type { Revocations } from './repo.ts';

export const SESSION_COOKIE = 'central_session';
export const SESSION_MAX_AGE_S = 12 * 60 * 60;
/** 5 failures in 10 minutes lock an address out for 30 s, doubling with each further failure. */
export const SIGN_IN_LIMITS: LimiterOptions = {
  max: 5,
  windowMs: 10 * 60_000,
  backoff: { lockMs: 30_000, maxLockMs: 15 * 60_000 },
};
const MAX_FIELD = 1024;
const MAX_COOKIES = 8;
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

export interface Session {
  login: string;
  id: string;
  expires: number;
}

/** Issues and verifies session cookie values for the configured EDIT_AUTH account. */
export class Sessions {
  private readonly key: Buffer;
  private readonly account: { login: string; passwordDigest: string } | null;

  constructor(
    creds: Credentials,
    private readonly now: () => number,
    private readonly revocations: Revocations,
  ) {
    this.key = createHmac('sha256', creds.apiKey).update('central-ui-session').digest();
    const a = creds.editAuth;
    this.account = a
      ? { login: a.login, passwordDigest: createHash('sha256').update(a.password).digest('hex') }
      : null;
  }

  private sign(login: string, expires: string, id: string): string {
    const head = `${Buffer.from(login).toString('base64url')}.${expires}.${id}`;
    const mac = createHmac('sha256', this.key)
      .update(`${head}.${this.account?.passwordDigest ?? ''}`)
      .digest('base64url');
    return `${head}.${mac}`;
  }

  /** A new session for the EDIT_AUTH login (which must be configured). */
  issue(): string {
    if (!this.account) throw new Error('no EDIT_AUTH account to sign in to');
    const id = randomBytes(16).toString('base64url');
    return this.sign(this.account.login, String(this.now() + SESSION_MAX_AGE_S * 1000), id);
  }

  /** The session of a correctly signed, unexpired value (revocation not checked), else null. */
  verify(value: string): Session | null {
    if (!this.account) return null;
    const parts = value.split('.');
    if (parts.length !== 4 || !/^\d{1,15}$/.test(parts[1]!) || !SESSION_ID.test(parts[2]!)) return null;
    // The expected value is rebuilt from the configured login: one constant-time comparison checks the
    // login, the expiry and the id as written and the MAC together.
    const ok = safeEqual(this.sign(this.account.login, parts[1]!, parts[2]!), value);
    const expires = Number(parts[1]);
    return ok && expires > this.now() ? { login: this.account.login, id: parts[2]!, expires } : null;
  }

  /** The first valid, unrevoked session among a Cookie header's session cookies, else null. */
  async fromHeader(cookieHeader: string | undefined): Promise<Session | null> {
    for (const value of cookieValues(cookieHeader, SESSION_COOKIE)) {
      const session = this.verify(value);
      if (session && !(await this.revocations.isRevoked(session.id))) return session;
    }
    return null;
  }

  /** Sign-out: every correctly signed session in the header ends, in every process. */
  async revoke(cookieHeader: string | undefined): Promise<void> {
    for (const value of cookieValues(cookieHeader, SESSION_COOKIE)) {
      const session = this.verify(value);
      if (session) await this.revocations.revoke(session.id, session.expires, this.now());
    }
  }
}

function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) out.push(part.slice(eq + 1).trim());
    if (out.length >= MAX_COOKIES) break;
  }
  return out;
}

function setCookie(req: FastifyRequest, reply: FastifyReply, value: string, maxAge: number) {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  void reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`,
  );
}

function field(body: Record<string, unknown>, name: 'login' | 'password'): string {
  const v = body[name];
  if (typeof v !== 'string' || v === '')
    throw badRequest(`${name} is required and must be a string`, { pointer: `/${name}` });
  if (v.length > MAX_FIELD)
    throw badRequest(`${name} is longer than ${MAX_FIELD} characters`, { pointer: `/${name}` });
  return v;
}

function parseSignIn(body: unknown) {
  const b = isRecord(body) ? body : {};
  return { login: field(b, 'login'), password: field(b, 'password') };
}

/** Both comparisons always run, so the time taken does not tell which one failed. */
function matches(given: { login: string; password: string }, account: { login: string; password: string }) {
  const checks = [safeEqual(given.login, account.login), safeEqual(given.password, account.password)];
  return checks[0]! && checks[1]!;
}

const NOT_CONFIGURED =
  'signing in needs an admin account: set EDIT_AUTH="login password" in central.conf or the environment, then restart Central';

/** GET/POST/DELETE /ui/api/session. */
export function sessionRoutes(
  app: FastifyInstance,
  creds: Credentials,
  sessions: Sessions,
  clock: Clock,
  limiter: LoginLimiter,
) {
  app.register(async (ui) => {
    ui.addHook('onRequest', async (_req, reply) => void reply.header('cache-control', 'no-store'));
    ui.get('/ui/api/session', async (req, reply) => {
      const session = await sessions.fromHeader(req.headers.cookie);
      if (session) return { login: session.login, edit_auth: true };
      const item = { status: '401', code: 'unauthorized', title: 'not signed in' };
      return reply.status(401).send({ ...errorBody([item]), edit_auth: creds.editAuth !== null });
    });
    ui.post('/ui/api/session', async (req, reply) => {
      // A sign-in another site's form makes the browser send would sign the user in to its account.
      checkJsonWrite(req);
      const given = parseSignIn(req.body);
      if (!creds.editAuth) throw new ApiError(409, 'edit_auth_not_configured', NOT_CONFIGURED);
      const wait = limiter.blockedFor(req.ip);
      if (wait) throw tooManyAttempts(reply, wait);
      if (!matches(given, creds.editAuth)) {
        limiter.fail(req.ip);
        throw new ApiError(401, 'invalid_credentials', 'the login or the password is wrong');
      }
      limiter.succeed(req.ip);
      setCookie(req, reply, sessions.issue(), SESSION_MAX_AGE_S);
      return { login: creds.editAuth.login };
    });
    ui.delete('/ui/api/session', async (req, reply) => {
      await sessions.revoke(req.headers.cookie);
      setCookie(req, reply, '', 0);
      return reply.status(204).send();
    });
  });
}
