// Flussonic inter-server auth, used by Central on every call to a streamer and checked by streamers:
// `Authorization: Cluster <unix_seconds>:<hex(sha1("<unix_seconds>:<cluster_key>"))>`. The format is
// Flussonic's (GF-auth `ClusterKey.ToHeader`), so Central's signatures work on real Media Servers
// unchanged. The signature covers only the time and the key, not the method, path or body, so a checker
// keeps the window short and lets a write through only with a signature it has never seen, on a read
// either (ReplayCache): whoever watches Central's polls cannot turn one into a write. A signer then
// never sends a write with a second already used for any call to that server (ClusterSigner).
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
  return headerAt(clusterKey, Math.floor(nowMs / 1000));
}

function headerAt(clusterKey: string, seconds: number): string {
  const hit = headerCache.get(clusterKey);
  if (hit?.seconds === seconds) return hit.header;
  const header = `Cluster ${seconds}:${signature(seconds, clusterKey)}`;
  if (headerCache.size > 10_000) headerCache.clear();
  headerCache.set(clusterKey, { seconds, header });
  return header;
}

/**
 * The one accepted form: the second in canonical decimal (no leading zeros, which would give one
 * signature many spellings) and 40 hex digits.
 */
const CLUSTER_HEADER = /^Cluster\s+(0|[1-9]\d{0,11}):([0-9a-fA-F]{40})$/;

/** True when `header` is a Cluster signature made with `clusterKey` within `maxSkewMs` of `nowMs`. */
export function verifyClusterAuthHeader(
  header: string | undefined,
  clusterKey: string,
  nowMs: number,
  maxSkewMs = CLUSTER_MAX_SKEW_MS,
): boolean {
  const m = CLUSTER_HEADER.exec(header?.trim() ?? '');
  if (!m || !clusterKey) return false;
  const seconds = Number(m[1]);
  if (Math.abs(seconds * 1000 - nowMs) > maxSkewMs) return false;
  // Constant time: both sides are 40 hex characters, so the lengths always match.
  const expected = Buffer.from(signature(seconds, clusterKey), 'latin1');
  return timingSafeEqual(Buffer.from(m[2]!.toLowerCase(), 'latin1'), expected);
}

/** A verified header's identity: its second and signature, whatever the spelling. */
function signatureOf(header: string): { id: string; seconds: number } | null {
  const m = CLUSTER_HEADER.exec(header.trim());
  return m ? { id: `${m[1]}:${m[2]!.toLowerCase()}`, seconds: Number(m[1]) } : null;
}

/**
 * Cluster signatures this server has seen, on any request, kept until they could no longer pass the
 * time check. A write needs one never seen before. Only verified signatures are recorded, and one key
 * yields one per second, so the table stays small (about 121 entries per key).
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  /** Signatures of this second or earlier may have been seen before the cache existed (a restart). */
  private readonly startedSecond: number;

  constructor(
    startedMs: number,
    private readonly maxSkewMs = CLUSTER_MAX_SKEW_MS,
  ) {
    this.startedSecond = Math.floor(startedMs / 1000);
  }

  /** Records a verified header used on a read. */
  sawRead(header: string, nowMs: number): void {
    this.record(header, nowMs);
  }

  /**
   * Records a verified header used on a write; false when it was seen before (a replay), or may have
   * been: signed no later than the second the cache was made.
   */
  firstUse(header: string, nowMs: number): boolean {
    return this.record(header, nowMs);
  }

  private record(header: string, nowMs: number): boolean {
    for (const [h, until] of this.seen) {
      // Insertion order is roughly expiry order: stop at the first one still live.
      if (until > nowMs) break;
      this.seen.delete(h);
    }
    const sig = signatureOf(header);
    if (!sig || sig.seconds <= this.startedSecond || this.seen.has(sig.id)) return false;
    this.seen.set(sig.id, sig.seconds * 1000 + this.maxSkewMs + 1000);
    return true;
  }
}

interface Seconds {
  /** The last second used on a read, and on a write. */
  read: number;
  write: number;
  /** Seconds of writes sent and not yet answered: reads keep off them. */
  pending: Set<number>;
}

/**
 * Chooses the signed second of every call to a server so that no write ever carries a signature the
 * server saw before: a write takes a second after any read or write so far (waiting for it when it is
 * still to come), and until it is answered reads sign an earlier second (within the checker's window).
 */
export class ClusterSigner {
  private readonly servers = new Map<string, Seconds>();

  read(server: string, clusterKey: string, nowMs: number): string {
    const s = this.entry(server, nowMs);
    let seconds = Math.floor(nowMs / 1000);
    while (s.pending.has(seconds)) seconds--;
    s.read = Math.max(s.read, seconds);
    return headerAt(clusterKey, seconds);
  }

  /** The header for a write and `done`, to call once the answer (or the failure) is in. */
  async write(
    server: string,
    clusterKey: string,
    now: () => number,
  ): Promise<{ header: string; done: () => void }> {
    const s = this.entry(server, now());
    const seconds = Math.max(Math.floor(now() / 1000), s.read + 1, s.write + 1);
    s.write = seconds;
    s.pending.add(seconds);
    const wait = seconds * 1000 - now();
    if (wait > 0) await sleep(wait);
    return { header: headerAt(clusterKey, seconds), done: () => s.pending.delete(seconds) };
  }

  private entry(server: string, nowMs: number): Seconds {
    let s = this.servers.get(server);
    if (s) return s;
    if (this.servers.size > 10_000) {
      const old = Math.floor(nowMs / 1000) - 2 * (CLUSTER_MAX_SKEW_MS / 1000);
      for (const [k, v] of this.servers)
        if (v.pending.size === 0 && Math.max(v.read, v.write) < old) this.servers.delete(k);
    }
    s = { read: 0, write: 0, pending: new Set() };
    this.servers.set(server, s);
    return s;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compares secrets through SHA-256 digests: neither content nor length leaks through timing. */
export const safeEqual = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));
