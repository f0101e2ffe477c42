// Bearer <API_KEY>, or Basic with the EDIT_AUTH login and password, or Basic with the API key as the
// user name and an empty password (what `http://KEY@central/...` URLs send). Secrets are compared
// through SHA-256 digests with timingSafeEqual, so neither content nor length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.ts';

export interface Credentials {
  apiKey: string;
  editAuth: { login: string; password: string } | null;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
export const safeEqual = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

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
  // Evaluate both checks so the time taken does not tell which one was close.
  const asKey = safeEqual(user, creds.apiKey) && password === '';
  const asAdmin = creds.editAuth
    ? safeEqual(user, creds.editAuth.login) && safeEqual(password, creds.editAuth.password)
    : false;
  return asKey || asAdmin;
}

export function requireAuth(api: FastifyInstance, creds: Credentials) {
  api.addHook('onRequest', async (req) => {
    if (!authorized(req.headers.authorization, creds))
      throw new ApiError(
        401,
        'unauthorized',
        req.headers.authorization
          ? 'the credentials are not valid'
          : 'authentication required: Authorization: Bearer <API_KEY> or Basic with the EDIT_AUTH login',
      );
  });
}
