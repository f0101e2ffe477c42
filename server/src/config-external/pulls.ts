// Per-process pull machinery shared by the config_external routes: long-poll waiters woken by
// NOTIFY central_pull (and by a 1 s re-check, so a lost notification only costs latency), a small
// cache of rendered lists by version, and batched sign-of-life writes.
import type { Db } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import { touchPulls } from './repo.ts';

const RECHECK_MS = 1000;
const CACHE_BYTES = 64 * 1024 * 1024;

interface Cached {
  version: number;
  body: string;
}

export class Pulls {
  private waiters = new Map<string, Set<() => void>>();
  private touched = new Map<string, number>();
  private cache = new Map<string, Cached>();
  private cacheBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | null = null;
  private closed = false;
  /** Counters for metrics and benchmarks. */
  readonly counters = { pulls: 0, notModified: 0, cacheHits: 0, longPolls: 0 };

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  async start() {
    this.unlisten = await this.db
      .listen('central_pull', (h) => this.wake(h))
      .catch((e: Error) => {
        this.log(`LISTEN central_pull failed (${e.message}); long polls fall back to re-checking`);
        return null;
      });
    this.flushTimer = setInterval(() => void this.flush(), 1000);
    this.flushTimer.unref();
  }

  async stop() {
    this.closed = true;
    clearInterval(this.flushTimer);
    for (const set of this.waiters.values()) for (const w of set) w();
    await this.flush();
    await this.unlisten?.().catch(() => {});
  }

  /** Every pull is a sign of life of its streamer. */
  touch(hostname: string) {
    this.touched.set(hostname, this.clock.now());
  }

  async flush() {
    if (!this.touched.size) return;
    const batch = this.touched;
    this.touched = new Map();
    try {
      await touchPulls(this.db, batch);
    } catch (e) {
      if (!this.closed) this.log(`recording pulls failed: ${(e as Error).message}`);
    }
  }

  wake(hostname: string) {
    const set = this.waiters.get(hostname);
    if (!set) return;
    this.waiters.delete(hostname);
    for (const w of set) w();
  }

  /**
   * Waits until `changed()` is true or the timeout passes. Woken by notifications; re-checks every
   * second regardless. Returns whether it changed.
   */
  async waitForChange(hostname: string, timeoutMs: number, changed: () => Promise<boolean>) {
    this.counters.longPolls++;
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, RECHECK_MS));
        const set = this.waiters.get(hostname) ?? new Set<() => void>();
        this.waiters.set(hostname, set);
        set.add(done);
        function done() {
          clearTimeout(timer);
          set.delete(done);
          resolve();
        }
      });
      if (await changed()) return true;
    }
    return false;
  }

  cached(hostname: string, version: number): string | null {
    const c = this.cache.get(hostname);
    if (!c || c.version !== version) return null;
    // Re-insert: Map order is the LRU order.
    this.cache.delete(hostname);
    this.cache.set(hostname, c);
    this.counters.cacheHits++;
    return c.body;
  }

  remember(hostname: string, version: number, body: string) {
    const old = this.cache.get(hostname);
    if (old) this.cacheBytes -= old.body.length;
    this.cache.delete(hostname);
    if (body.length > CACHE_BYTES / 4) return;
    this.cache.set(hostname, { version, body });
    this.cacheBytes += body.length;
    for (const [h, c] of this.cache) {
      if (this.cacheBytes <= CACHE_BYTES) break;
      this.cache.delete(h);
      this.cacheBytes -= c.body.length;
    }
  }
}
