// Runs the singleton loops (health poller, provisioner, layouter) in exactly one Central process: the
// holder of the `leader` lease. Every process tries to take the lease every second; the holder renews it
// every 2 s (TTL 8 s), so a dead leader is replaced within 9 s of its last renewal. Losing the lease, or
// going 7 s without renewing it (paused, cut off from the database), stops the loops at once; decision
// writes are fenced by the epoch regardless.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import {
  acquireLease,
  FLEET_LEASE,
  LEASE_RENEW_MS,
  LEASE_RETRY_MS,
  LEASE_TTL_MS,
  releaseLease,
  type LeaseState,
} from '../db/lease.ts';
import type { Db } from '../db/types.ts';
import { HealthPoller } from '../health/poller.ts';
import type { Clock } from '../lib/clock.ts';
import type { StreamerClient } from '../lib/streamer-client.ts';
import { Layouter } from '../layouter/loop.ts';
import type { Metrics } from '../metrics.ts';
import { Provisioner } from '../provisioner/provisioner.ts';

const TICK_MS = 500;
/** How much earlier than the database's expiry a leader steps down (clock rates, a write in flight). */
const LEASE_SAFETY_MS = 1000;

/** What the fleet loops need; the provisioner takes the same. */
export interface FleetDeps {
  db: Db;
  clock: Clock;
  config: Config;
  apiKey: string;
  client: StreamerClient;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  /** Lease and layout instruments; none in tests that do not look at them. */
  metrics?: Metrics;
}

interface Loops {
  poller: HealthPoller;
  provisioner: Provisioner;
  layouter: Layouter;
  timer: NodeJS.Timeout;
}

export class Fleet {
  readonly holder = randomUUID();
  private lease: LeaseState | null = null;
  private validUntil = 0;
  private loops: Loops | null = null;
  private leaseTimer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>)[] = [];
  private stopped = false;
  private ticking = false;

  constructor(private readonly deps: FleetDeps) {}

  async start() {
    const { db } = this.deps;
    const listen = async (channel: string, fn: (payload: string) => void) => {
      try {
        this.unlisten.push(await db.listen(channel, fn));
      } catch (e) {
        this.deps.log(`LISTEN ${channel} failed: ${(e as Error).message}; loops rely on polling`);
      }
    };
    await listen('central_layout', () => this.loops?.layouter.wake());
    await listen('central_streamers', (h) => {
      this.loops?.poller.pollSoon(h);
      void this.tick();
    });
    await this.renew();
  }

  private schedule(ms: number) {
    clearTimeout(this.leaseTimer);
    if (!this.stopped) this.leaseTimer = setTimeout(() => void this.renew(), ms);
  }

  private async renew() {
    const sentAt = performance.now();
    let renewed = false;
    try {
      const epoch = await acquireLease(this.deps.db, FLEET_LEASE, this.holder);
      if (epoch === null) this.demote('another process holds the lease');
      else {
        if (this.lease && this.lease.epoch !== epoch) this.demote('the lease changed hands meanwhile');
        this.lease = { name: FLEET_LEASE, holder: this.holder, epoch };
        // The database computed the expiry after we sent the request: it is at least this late.
        this.validUntil = sentAt + LEASE_TTL_MS - LEASE_SAFETY_MS;
        renewed = true;
        if (!this.loops) this.promote();
      }
    } catch (e) {
      // A failed renewal (the database restarting) keeps the loops while the lease is surely still
      // ours, and tries again sooner; expired() ends them in time if it never answers.
      if (!this.loops || this.expired()) this.demote(`renewing the lease failed: ${(e as Error).message}`);
      else this.deps.log(`renewing the lease failed: ${(e as Error).message}; retrying`);
    }
    this.schedule(this.loops && renewed ? LEASE_RENEW_MS : LEASE_RETRY_MS);
  }

  /**
   * Past the time our last renewal surely covers (its send time + TTL − 1 s, on this process's
   * monotonic clock): a process that was paused, or cannot reach the database, steps down by itself
   * before another can take over, so two processes never both run the loops.
   */
  private expired() {
    return performance.now() > this.validUntil;
  }

  private promote() {
    const { db, clock, config, client } = this.deps;
    const log = (m: string) => this.deps.log(m);
    const provisioner = new Provisioner(this.deps);
    const poller: HealthPoller = new HealthPoller({
      db,
      clock,
      fleet: config.fleet,
      client,
      since: clock.now(),
      provisionError: (h) => provisioner.errorOf(h),
      onStateChange: () => layouter.wake(),
      log,
    });
    const layouter: Layouter = new Layouter({
      db,
      clock,
      fleet: config.fleet,
      lease: () => this.lease,
      health: () => ({ version: poller.version, view: poller.view() }),
      log,
      ...(this.deps.metrics ? { metrics: this.deps.metrics } : {}),
    });
    const timer = setInterval(() => void this.tick(), TICK_MS);
    this.loops = { poller, provisioner, layouter, timer };
    this.deps.metrics?.setLeaseHolder(true);
    this.deps.log('this process leads the fleet loops', { epoch: this.lease?.epoch });
    void this.tick();
  }

  private demote(reason: string) {
    if (this.loops) {
      clearInterval(this.loops.timer);
      this.loops.layouter.stop();
      this.loops.poller.stop();
      this.loops.provisioner.stop();
      this.loops = null;
      this.deps.metrics?.setLeaseHolder(false);
      this.deps.log(`no longer leading the fleet loops: ${reason}`);
    }
    this.lease = null;
  }

  /** One round of the leader's loops: health first (it feeds the others), then provisioning, layout. */
  async tick() {
    if (this.loops && this.expired()) this.demote('the lease could not be renewed in time');
    const loops = this.loops;
    if (!loops || this.ticking) return;
    this.ticking = true;
    try {
      await loops.poller.tick();
      loops.provisioner.tick(loops.poller.targets());
      // Not awaited: a long layout round must not delay health evaluation.
      void loops.layouter.maybeRun();
    } catch (e) {
      this.deps.log(`fleet tick failed: ${(e as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.leaseTimer);
    const wasLeader = this.loops !== null;
    this.demote('shutting down');
    for (const u of this.unlisten) await u().catch(() => {});
    if (wasLeader) await releaseLease(this.deps.db, FLEET_LEASE, this.holder).catch(() => {});
  }
}
