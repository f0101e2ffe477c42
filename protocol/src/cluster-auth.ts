// Flussonic inter-server auth, used by Central on every call to a streamer and checked by streamers:
// `Authorization: Cluster <unix_seconds>:<hex(sha1("<unix_seconds>:<cluster_key>"))>`.
import { createHash, timingSafeEqual } from 'node:crypto';

/** How far the signer's clock may be from the checker's before a signature is refused. */
export const CLUSTER_MAX_SKEW_MS = 300_000;

function signature(seconds: number, clusterKey: string): string {
  return createHash('sha1').update(`${seconds}:${clusterKey}`).digest('hex');
}

const headerCache = new Map<string, { seconds: number; header: string }>();

/** Signed once per key per second: a fleet poll sends thousands with the same few keys. */
export function clusterAuthHeader(clusterKey: string, nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000);
  const hit = headerCache.get(clusterKey);
  if (hit?.seconds === seconds) return hit.header;
  const header = `Cluster ${seconds}:${signature(seconds, clusterKey)}`;
  if (headerCache.size > 10_000) headerCache.clear();
  headerCache.set(clusterKey, { seconds, header });
  return header;
}

/** True when `header` is a Cluster signature made with `clusterKey` within `maxSkewMs` of `nowMs`. */
export function verifyClusterAuthHeader(
  header: string | undefined,
  clusterKey: string,
  nowMs: number,
  maxSkewMs = CLUSTER_MAX_SKEW_MS,
): boolean {
  const m = /^Cluster\s+(\d{1,12}):([0-9a-fA-F]{40})$/.exec(header?.trim() ?? '');
  if (!m || !clusterKey) return false;
  const seconds = Number(m[1]);
  if (Math.abs(seconds * 1000 - nowMs) > maxSkewMs) return false;
  // Constant time: both sides are 40 hex characters, so the lengths always match.
  const expected = Buffer.from(signature(seconds, clusterKey), 'latin1');
  return timingSafeEqual(Buffer.from(m[2]!.toLowerCase(), 'latin1'), expected);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compares secrets through SHA-256 digests: neither content nor length leaks through timing. */
export const safeEqual = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));
