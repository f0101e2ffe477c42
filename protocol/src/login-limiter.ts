// Failed logins per client address, shared by Central and the streamer. After `max` failures within
// `windowMs` an address is refused (credentials unchecked) until its lock-out ends. The table is bounded:
// when full, the oldest records go first, but a record that is locking an address out is kept (moved to
// the back), so a flood of single failures from many addresses cannot wipe a lock-out.
import { isIPv4 } from 'node:net';

export interface LimiterOptions {
  /** Failures within `windowMs` that lock an address out. */
  max: number;
  windowMs: number;
  /**
   * Back-off: the first lock-out lasts `lockMs`, each failure after it (while the failures are not yet
   * forgotten) doubles it up to `maxLockMs`. Without it a lock-out lasts until the window ends.
   */
  backoff?: { lockMs: number; maxLockMs: number };
  /** Addresses tracked at most; default MAX_TRACKED_ADDRESSES. */
  maxEntries?: number;
}

/** 10 failures a minute, then refused until the minute is over. */
export const BASIC_LIMITS: LimiterOptions = { max: 10, windowMs: 60_000 };
export const MAX_TRACKED_ADDRESSES = 50_000;
/** Records examined per insertion when the table is full (lock-outs are skipped over, not dropped). */
const EVICTION_SCAN = 64;

interface Failures {
  count: number;
  since: number;
  lockedUntil: number;
  lockMs: number;
}

/** The first four groups of an IPv6 address, normalised; null when it is not one. */
function ipv6Prefix64(ip: string): string | null {
  const halves = ip.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  // An embedded IPv4 tail (::1.2.3.4) stands for two groups.
  const width = (g: string[]) => g.reduce((n, x) => n + (x.includes('.') ? 2 : 1), 0);
  const missing = 8 - width(head) - width(tail);
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  const all = [...head, ...Array<string>(missing).fill('0'), ...tail];
  const first = all.slice(0, 4);
  if (!first.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  return `${first.map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/**
 * What an attempt counts against: an IPv4 address (also written IPv4-mapped, `::ffff:a.b.c.d`), or an
 * IPv6 address's /64, which one host or subscriber usually holds whole (so rotating the interface id
 * does not start a fresh count).
 */
export function clientKey(ip: string): string {
  const bare = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(bare) || !bare.includes(':')) return bare;
  return ipv6Prefix64(bare.toLowerCase()) ?? bare;
}

const scoped = (ip: string, scope: string) => (scope ? `${clientKey(ip)} ${scope}` : clientKey(ip));

export class LoginLimiter {
  private readonly failures = new Map<string, Failures>();
  private readonly o: LimiterOptions;
  private readonly maxEntries: number;
  constructor(
    private readonly now: () => number,
    options: LimiterOptions = BASIC_LIMITS,
  ) {
    this.o = options;
    this.maxEntries = options.maxEntries ?? MAX_TRACKED_ADDRESSES;
  }

  get size(): number {
    return this.failures.size;
  }

  /** Whether a record is over: `windowMs` after its window began, or after its last lock-out ended. */
  private expired(f: Failures): boolean {
    const now = this.now();
    const quietSince = f.lockMs ? f.lockedUntil : f.since;
    return now >= f.lockedUntil && now - quietSince >= this.o.windowMs;
  }

  private current(key: string): Failures | undefined {
    const f = this.failures.get(key);
    if (f && this.expired(f)) {
      this.failures.delete(key);
      return undefined;
    }
    return f;
  }

  /** Makes room for one record: the oldest that is not locking anyone out, else the oldest. */
  private evict() {
    for (let i = 0; i < EVICTION_SCAN && this.failures.size >= this.maxEntries; i++) {
      const [key, f] = this.failures.entries().next().value!;
      this.failures.delete(key);
      if (!this.expired(f) && f.lockedUntil > this.now()) this.failures.set(key, f);
      else return;
    }
    if (this.failures.size >= this.maxEntries) this.failures.delete(this.failures.keys().next().value!);
  }

  /**
   * Milliseconds this address must still wait; 0 when it may try. `scope` counts an address's attempts
   * at one secret apart from its others (a streamer's pull key: see http/login-guard.ts).
   */
  blockedFor(ip: string, scope = ''): number {
    const f = this.current(scoped(ip, scope));
    return f ? Math.max(0, f.lockedUntil - this.now()) : 0;
  }

  fail(ip: string, scope = '') {
    const key = scoped(ip, scope);
    let f = this.current(key);
    if (!f) {
      if (this.failures.size >= this.maxEntries) this.evict();
      f = { count: 0, since: this.now(), lockedUntil: 0, lockMs: 0 };
      this.failures.set(key, f);
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

  succeed(ip: string, scope = '') {
    this.failures.delete(scoped(ip, scope));
  }
}
