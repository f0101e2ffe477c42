// Per-streamer pull credentials (pure). A streamer's config_external URL carries its own key, never
// Central's API key: HMAC-SHA256 over "pull:<hostname>:<generation>" with a secret derived from API_KEY,
// base64url. Nothing secret is stored: every Central process sharing API_KEY derives the same key from
// the generation kept on the streamer's row, which rotation moves to a new sequence value. A key is good
// only for its own hostname's config_external endpoints.
import { createHmac } from 'node:crypto';
import { safeEqual } from '@central/protocol/cluster-auth';

/** The secret pull keys are derived from; changing API_KEY changes every streamer's key. */
export function pullKeySecret(apiKey: string): Buffer {
  return createHmac('sha256', apiKey).update('central-pull-key').digest();
}

export function pullKey(secret: Buffer, hostname: string, generation: number): string {
  return createHmac('sha256', secret).update(`pull:${hostname}:${generation}`).digest('base64url');
}

/**
 * The key a pull presents: `Bearer <key>`, or Basic with the key as user and an empty password (how
 * the userinfo of `http://KEY@central/...` arrives). Anything else presents no key.
 */
export function presentedKey(header: string | undefined): string | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  if (space < 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value || null;
  if (scheme !== 'basic') return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon >= 0 && colon < decoded.length - 1) return null;
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  return user || null;
}

export type PullIdentity = 'streamer' | 'admin' | null;

/**
 * Who a presented key is, for one streamer: its own current key ('streamer', the only sign of life),
 * Central's API key ('admin': reads the list, proves nothing about the streamer) or nobody. Both
 * comparisons always run, in constant time.
 */
export function identify(
  presented: string,
  o: { apiKey: string; secret: Buffer; hostname: string; generation: number | null },
): PullIdentity {
  const own = o.generation !== null && safeEqual(presented, pullKey(o.secret, o.hostname, o.generation));
  const admin = safeEqual(presented, o.apiKey);
  return own ? 'streamer' : admin ? 'admin' : null;
}

/** The URL a streamer pulls its streams from: its pull key as userinfo, Central's API_URL as origin. */
export function configExternalUrl(apiUrl: string, key: string, hostname: string): string {
  const u = new URL(apiUrl);
  let prefix = u.pathname.replace(/\/+$/, '');
  if (!/\/(central|streamer)\/api\/v3$/.test(prefix)) prefix += '/central/api/v3';
  u.pathname = `${prefix}/streamers/${encodeURIComponent(hostname)}`;
  u.username = encodeURIComponent(key);
  u.password = '';
  u.search = '';
  u.hash = '';
  return u.toString();
}
