// Flussonic inter-server auth, used by Central on every call to a streamer and checked by streamers:
// `Authorization: Cluster <unix_seconds>:<hex(sha1("<unix_seconds>:<cluster_key>"))>`. The format is
// Flussonic's (GF-auth `ClusterKey.ToHeader`), so Central's signatures work on real Media Servers
// unchanged. The signature covers only the time and the key, so a checker must keep the window short
// and refuse a second use of one signature on a write (ReplayCache); a signer must then never send two
// writes to one server in the same second (WriteSigner).
import { createHash, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How far the signer's clock may be from the checker's before a signature is refused. Servers run NTP;
 * Central's own health check flags 10 s of skew as not synchronised.
 */
export const CLUSTER_MAX_SKEW_MS = 60_000;

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

/** The signed second of a well-formed Cluster header, else null. */
function signedSeconds(header: string): number | null {
  const m = /^Cluster\s+(\d{1,12}):[0-9a-fA-F]{40}$/.exec(header.trim());
  return m ? Number(m[1]) : null;
}

/**
 * Cluster signatures already used on a write, kept until they could no longer pass the time check.
 * Only verified signatures are recorded, and one key yields one per second, so the table stays small.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly maxSkewMs = CLUSTER_MAX_SKEW_MS) {}

  /** Records a verified header; false when it was used before (a replay). */
  firstUse(header: string, nowMs: number): boolean {
    for (const [h, until] of this.seen) {
      // Insertion order is roughly expiry order: stop at the first one still live.
      if (until > nowMs) break;
      this.seen.delete(h);
    }
    const sig = header.trim().replace(/\s+/, ' ').toLowerCase();
    if (this.seen.has(sig)) return false;
    const seconds = signedSeconds(header);
    this.seen.set(sig, (seconds ?? nowMs / 1000) * 1000 + this.maxSkewMs + 1000);
    return true;
  }
}

/**
 * Signs writes so that no two to one server carry the same signature: a second write within the same
 * second waits for the next one (Flussonic's signature has a one-second resolution).
 */
export class WriteSigner {
  private readonly last = new Map<string, number>();

  async header(server: string, clusterKey: string, now: () => number): Promise<string> {
    const id = `${server}\u0000${clusterKey}`;
    const current = Math.floor(now() / 1000);
    const seconds = Math.max(current, (this.last.get(id) ?? 0) + 1);
    if (this.last.size > 10_000) for (const [k, s] of this.last) if (s < current) this.last.delete(k);
    this.last.set(id, seconds);
    const wait = seconds * 1000 - now();
    if (wait > 0) await sleep(wait);
    return `Cluster ${seconds}:${signature(seconds, clusterKey)}`;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compares secrets through SHA-256 digests: neither content nor length leaks through timing. */
export const safeEqual = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));
