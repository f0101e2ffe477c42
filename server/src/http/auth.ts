// Bearer <API_KEY>, or Basic with the EDIT_AUTH login and password, or Basic with the API key as the
// user name and an empty password (what `http://KEY@central/...` URLs send). Secrets are compared
// through SHA-256 digests with timingSafeEqual, so neither content nor length leaks through timing.
import { safeEqual } from '@central/protocol/cluster-auth';
import type { FastifyInstance } from 'fastify';
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

/**
 * Failed Basic logins per client address: after `max` failures within `windowMs` further Basic
 * attempts from that address are refused with 429 until the window passes. Bearer keys are long random
 * secrets and are not limited, so streamers behind one NAT never lock each other out.
 */
export class LoginLimiter {
  private failures = new Map<string, { count: number; since: number }>();
  constructor(
    private readonly now: () => number,
    private readonly max = 10,
    private readonly windowMs = 60_000,
  ) {}
  blockedFor(ip: string): number {
    const f = this.failures.get(ip);
    if (!f) return 0;
    const left = f.since + this.windowMs - this.now();
    if (left <= 0) this.failures.delete(ip);
    return f.count >= this.max && left > 0 ? left : 0;
  }
  fail(ip: string) {
    const f = this.failures.get(ip);
    if (!f || f.since + this.windowMs <= this.now()) {
      if (this.failures.size > 10_000) this.failures.clear();
      this.failures.set(ip, { count: 1, since: this.now() });
    } else f.count++;
  }
}

export function requireAuth(api: FastifyInstance, creds: Credentials, limiter: LoginLimiter) {
  api.addHook('onRequest', async (req, reply) => {
    const header = req.headers.authorization;
    const basic = header?.slice(0, 6).toLowerCase() === 'basic ';
    if (basic) {
      const wait = limiter.blockedFor(req.ip);
      if (wait) {
        void reply.header('Retry-After', String(Math.ceil(wait / 1000)));
        throw new ApiError(
          429,
          'too_many_requests',
          'too many failed logins from this address; try again later',
        );
      }
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
