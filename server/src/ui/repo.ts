// The web UI's SQL: revoked sessions (sign-out ends a session in every process) and the streamers'
// playback origins for the page's Content-Security-Policy.
import type { Queryable } from '../db/types.ts';
import { payloadBase } from '../streams/playback.ts';
import { cspOrigin, MAX_CSP_ORIGINS } from './static.ts';

/** Streamers read for the CSP at most; their distinct origins are capped at MAX_CSP_ORIGINS. */
const MAX_STREAMERS_READ = 10_000;

/** Where the player may load HLS from: each streamer's payload origin (as playback URLs use it). */
export async function playbackOrigins(db: Queryable): Promise<string[]> {
  const r = await db.query<{
    hostname: string;
    public_payload_url: string | null;
    private_payload_url: string | null;
    api_url: string | null;
  }>(
    `SELECT hostname, config->>'public_payload_url' AS public_payload_url,
       config->>'private_payload_url' AS private_payload_url, config->>'api_url' AS api_url
     FROM streamers ORDER BY hostname LIMIT $1`,
    [MAX_STREAMERS_READ],
  );
  const origins = new Set<string>();
  for (const row of r.rows) {
    let base: string;
    try {
      base = payloadBase(row);
    } catch {
      continue;
    }
    const origin = cspOrigin(base);
    if (origin) origins.add(origin);
    if (origins.size >= MAX_CSP_ORIGINS) break;
  }
  return [...origins].sort();
}

/** Sign-outs recorded in the database, shared by every Central process. */
export interface Revocations {
  isRevoked(sessionId: string): Promise<boolean>;
  /** Records a sign-out and prunes the sign-outs of sessions that have expired by `now`. */
  revoke(sessionId: string, expiresAt: number, now: number): Promise<void>;
}

export function dbRevocations(db: Queryable): Revocations {
  return {
    async isRevoked(sessionId) {
      const r = await db.query(
        'SELECT 1 FROM ui_session_revocations WHERE session_id = $1',
        [sessionId],
        'ui_session_revoked',
      );
      return r.rowCount > 0;
    },
    async revoke(sessionId, expiresAt, now) {
      await db.query('DELETE FROM ui_session_revocations WHERE expires_at <= $1', [now]);
      await db.query(
        `INSERT INTO ui_session_revocations (session_id, expires_at) VALUES ($1, $2)
         ON CONFLICT (session_id) DO NOTHING`,
        [sessionId, expiresAt],
      );
    },
  };
}
