// The layouter loop (leader only; with POST /streams/layouts the only writer of layouts). Level-
// triggered: each round reads the whole desired state and the streamers' health, computes the plan
// with the pure reconcile(), and applies it in one fenced transaction. Rounds run when something
// changed (the layout sequence, a streamer state), when a hold-down ends, and at least every
// LAYOUTER_SLEEPING_INTERVAL; notifications only make them sooner.
import type { FleetConfig } from '../config-fleet.ts';
import { fence, type LeaseState } from '../db/lease.ts';
import type { Db } from '../db/types.ts';
import type { HealthView } from '../health/poller.ts';
import type { Clock } from '../lib/clock.ts';
import type { Metrics } from '../metrics.ts';
import { reconcile, type LayoutChange, type StreamerIn } from './reconcile.ts';
import { applyChangesByReason, layoutSeq, readStreamers, readStreams, type StreamerRow } from './repo.ts';

export function streamersIn(rows: StreamerRow[], health: Map<string, HealthView>): StreamerIn[] {
  return rows.map((r) => {
    const h = health.get(r.hostname);
    return {
      hostname: r.hostname,
      role: r.role,
      state: h?.state ?? 'offline',
      onlineSince: h?.onlineSince ?? null,
      channelLimit: r.channel_limit,
      namespace: r.namespace,
      labels: r.labels && typeof r.labels === 'object' ? r.labels : null,
    };
  });
}

export interface LayoutRound {
  changes: number;
  applied: number;
  ms: number;
}

export class Layouter {
  private lastSeq = '';
  private lastHealth = -1;
  private dueAt = 0;
  private running: Promise<void> | null = null;
  private again = false;
  private wakes = 0;
  private timer: NodeJS.Timeout | undefined;
  readonly counters = { rounds: 0, moves: 0, lastRoundMs: 0 };

  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      fleet: FleetConfig;
      lease: () => LeaseState | null;
      health: () => { version: number; view: Map<string, HealthView> };
      random?: () => number;
      log: (msg: string) => void;
      metrics?: Metrics;
    },
  ) {}

  /** Run a round soon (coalescing bursts of notifications). */
  wake() {
    this.wakes++;
    this.dueAt = 0;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.maybeRun();
    }, 20);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  async maybeRun(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.round()
      .catch((e: Error) => {
        this.lastSeq = '';
        this.deps.log(`layout round failed (retrying): ${e.message}`);
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          void this.maybeRun();
        }
      });
    return this.running;
  }

  private async round() {
    const { db, clock, fleet } = this.deps;
    const lease = this.deps.lease();
    if (!lease || !fleet.layouterEnabled) return;
    const seq = await layoutSeq(db);
    const health = this.deps.health();
    const now = clock.now();
    if (seq === this.lastSeq && health.version === this.lastHealth && now < this.dueAt) return;
    const started = Date.now();
    const wakes = this.wakes;
    // The sequence moves when a writer calls nextval, before it commits: a round may see the new value
    // without the rows. One follow-up round a second later picks up whatever was committed late.
    const followUp = seq !== this.lastSeq;
    // Read the sequence before the state: a change during the read makes the next round run again.
    this.lastSeq = seq;
    this.lastHealth = health.version;
    const [streams, rows] = await Promise.all([readStreams(db), readStreamers(db)]);
    const streamers = streamersIn(rows, health.view);
    const changes = reconcile({
      streams,
      streamers,
      now,
      holdDownMs: fleet.holdDownMs,
      random: this.deps.random ?? Math.random,
    });
    this.dueAt = Math.min(this.nextDue(streamers, now), followUp ? now + 1000 : Infinity);
    const moves = changes.length ? await this.apply(lease, changes, started) : new Map<string, number>();
    // A wake-up during the round (a commit notified meanwhile) must not be overwritten.
    if (this.wakes !== wakes) this.dueAt = 0;
    this.counters.rounds++;
    this.counters.lastRoundMs = Date.now() - started;
    this.deps.metrics?.observeLayoutRound(this.counters.lastRoundMs / 1000, moves);
  }

  /** Writes the plan in one fenced transaction; returns the changes written by reason. */
  private async apply(lease: LeaseState, changes: LayoutChange[], started: number) {
    const moves = await this.deps.db.transaction(async (tx) => {
      await fence(tx, lease);
      return applyChangesByReason(tx, changes);
    });
    const applied = [...moves.values()].reduce((a, b) => a + b, 0);
    this.counters.moves += applied;
    if (applied < changes.length) this.dueAt = 0;
    this.deps.log(`layout: ${applied} of ${changes.length} changes applied in ${Date.now() - started} ms`);
    return moves;
  }

  /** The next forced round: the sleeping interval, or sooner when a hold-down ends. */
  private nextDue(streamers: StreamerIn[], now: number): number {
    let due = now + this.deps.fleet.layouterIntervalMs;
    for (const s of streamers)
      if (s.state === 'online' && s.onlineSince !== null) {
        const ends = s.onlineSince + this.deps.fleet.holdDownMs;
        if (ends > now) due = Math.min(due, ends);
      }
    return due;
  }
}
