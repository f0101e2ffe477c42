// The health poller (leader only; the only writer of observed state). Every STREAMS_STATS_FETCH_INTERVAL
// it reads each streamer's /config/stats and its stream list, with bounded concurrency; every tick it
// re-evaluates states from the poll results and the pull times any Central process recorded.
import type { FleetConfig } from '../config-fleet.ts';
import type { Db } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { StreamerClient, StreamerTarget } from '../lib/streamer-client.ts';
import { StreamerError } from '../lib/streamer-client.ts';
import {
  pruneSamples,
  readWatched,
  writeSamples,
  writeStatuses,
  writeStreamStatuses,
  type StatusWrite,
  type WatchedRow,
} from './repo.ts';
import {
  healthChecks,
  HISTORY_KEEP_MS,
  SAMPLE_EVERY_MS,
  statsSample,
  streamerState,
  type StatsSample,
  type StreamerState,
} from './state.ts';
import { StreamObservations } from './streams.ts';

const MAX_CONCURRENT_POLLS = 32;
const PRUNE_EVERY_MS = 60_000;

/** A streamer as the provisioner sees it: where it is, and which pull key it should carry. */
export interface FleetTarget extends StreamerTarget {
  pullKeyGeneration: number;
}

interface Host {
  target: FleetTarget;
  state: StreamerState;
  onlineSince: number | null;
  lastPollAt: number | null;
  lastPollOk: number | null;
  lastPollFailed: boolean;
  lastPullAt: number | null;
  stats: Record<string, unknown> | null;
  reachable: boolean;
  validKey: boolean;
  error: string | null;
  healthOk: boolean | null;
  healthChangedAt: number;
  nextPollAt: number;
  lastSampleAt: number;
  inFlight: boolean;
  dirty: boolean;
}

export interface HealthView {
  state: StreamerState;
  onlineSince: number | null;
}

const num = (v: string | number | null) => (v === null ? null : Number(v));

export class HealthPoller {
  private hosts = new Map<string, Host>();
  private inFlight = 0;
  private streams = new StreamObservations();
  private lastTickAt = 0;
  private samples: StatsSample[] = [];
  private lastPruneAt = 0;
  private stopped = false;
  /** A demoted leader's poller starts nothing more (polls in flight just end). */
  stop() {
    this.stopped = true;
  }
  /** Moves whenever a streamer changes state: the layouter compares it to skip idle rounds. */
  version = 0;

  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      fleet: FleetConfig;
      client: StreamerClient;
      since: number;
      provisionError: (hostname: string) => string | null;
      onStateChange: () => void;
      log: (msg: string) => void;
    },
  ) {}

  view(): Map<string, HealthView> {
    return new Map([...this.hosts].map(([h, x]) => [h, { state: x.state, onlineSince: x.onlineSince }]));
  }

  targets(): FleetTarget[] {
    return [...this.hosts.values()].map((h) => h.target);
  }

  /** Brings the streamer list and pull times up to date, starts due polls, re-evaluates states. */
  async tick() {
    const { clock, fleet } = this.deps;
    const now = clock.now();
    // A tick that comes far too late means this process was stalled: no streamer is demoted on it.
    const stalled =
      this.lastTickAt > 0 && now - this.lastTickAt > fleet.statsIntervalMs + fleet.fetchTimeoutMs;
    this.lastTickAt = now;
    this.sync(await readWatched(this.deps.db), now);
    this.startDue();
    this.evaluate(now, stalled);
    await this.flush(now);
  }

  private sync(rows: WatchedRow[], now: number) {
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.hostname);
      const target = {
        hostname: r.hostname,
        api_url: r.api_url,
        cluster_key: r.cluster_key,
        pullKeyGeneration: Number(r.pull_key_generation),
      };
      const h = this.hosts.get(r.hostname);
      if (h) {
        h.target = target;
        h.lastPullAt = Math.max(h.lastPullAt ?? 0, num(r.last_pull_at) ?? 0) || null;
        continue;
      }
      // First sight (or a new leader): start from what the previous leader recorded.
      this.hosts.set(r.hostname, {
        target,
        state: (r.state as StreamerState | null) ?? 'offline',
        onlineSince: num(r.online_since),
        lastPollAt: null,
        lastPollOk: num(r.last_poll_ok),
        lastPollFailed: false,
        lastPullAt: num(r.last_pull_at),
        stats: r.stats,
        reachable: true,
        validKey: true,
        error: null,
        healthOk: null,
        healthChangedAt: now,
        // First polls spread over a whole interval: later ones keep the spacing, so the fleet's answers
        // arrive evenly instead of in one burst that stalls everything else.
        nextPollAt: now + Math.floor(Math.random() * this.deps.fleet.statsIntervalMs),
        lastSampleAt: -Infinity,
        inFlight: false,
        dirty: true,
      });
    }
    for (const hostname of [...this.hosts.keys()])
      if (!seen.has(hostname)) {
        this.hosts.delete(hostname);
        this.streams.forget(hostname);
        this.version++;
      }
  }

  /**
   * Starts the most overdue polls while there are free slots; called each tick and whenever a poll
   * ends, so that every streamer gets its turn however long polls take.
   */
  private startDue() {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const free = MAX_CONCURRENT_POLLS - this.inFlight;
    if (free <= 0) return;
    const due = [...this.hosts].filter(([, h]) => !h.inFlight && h.nextPollAt <= now);
    due.sort((a, b) => a[1].nextPollAt - b[1].nextPollAt);
    for (const [hostname, h] of due.slice(0, free)) void this.poll(hostname, h);
  }

  /** Polls one streamer now (also used to check a streamer right after it is saved). */
  pollSoon(hostname: string) {
    const h = this.hosts.get(hostname);
    if (h) h.nextPollAt = 0;
  }

  private async poll(hostname: string, h: Host) {
    const { clock, client, fleet } = this.deps;
    h.inFlight = true;
    this.inFlight++;
    const started = clock.now();
    try {
      const stats = (await client.getStats(h.target)) as unknown as Record<string, unknown>;
      const streams = await client.listAllStreams(h.target);
      if (!this.hosts.has(hostname)) return;
      // Let requests waiting behind this answer (pulls) go first: merging a large list takes a while.
      await new Promise((r) => setImmediate(r));
      Object.assign(h, { stats, reachable: true, validKey: true, error: null, lastPollFailed: false });
      h.lastPollOk = clock.now();
      this.streams.report(hostname, streams);
      if (h.lastPollOk - h.lastSampleAt >= SAMPLE_EVERY_MS) {
        h.lastSampleAt = h.lastPollOk;
        this.samples.push(statsSample(hostname, h.lastPollOk, stats));
      }
    } catch (e) {
      const err = e instanceof StreamerError ? e : null;
      h.lastPollFailed = true;
      h.validKey = err?.code !== 'unauthorized';
      h.reachable = err?.code === 'unauthorized' || err?.code === 'http_status';
      h.error = err ? err.message : 'unexpected error while polling';
      if (!err) this.deps.log(`polling ${hostname} failed: ${(e as Error).message}`);
    } finally {
      h.lastPollAt = started;
      h.nextPollAt = started + fleet.statsIntervalMs;
      h.inFlight = false;
      h.dirty = true;
      this.inFlight--;
      this.startDue();
    }
  }

  private evaluate(now: number, stalled: boolean) {
    const { fleet } = this.deps;
    let changed = false;
    for (const [hostname, h] of this.hosts) {
      let next = streamerState(h, now, fleet.deadTimeoutMs, this.deps.since);
      if (stalled && rank(next) < rank(h.state)) next = h.state;
      if (next !== h.state) {
        // Operators follow the fleet in the log: every change of state, with the last poll error.
        this.deps.log(`streamer ${hostname} is ${next} (was ${h.state})${h.error ? `: ${h.error}` : ''}`);
        if (next === 'online' && h.state === 'offline') h.onlineSince = now;
        if (next === 'offline') {
          h.onlineSince = null;
          this.streams.forget(hostname);
        }
        h.state = next;
        h.dirty = true;
        changed = true;
      }
      if (h.state === 'online' && h.onlineSince === null) h.onlineSince = now;
      const health = healthChecks({
        reachable: h.reachable,
        validClusterKey: h.validKey,
        stats: h.stats,
        provisionError: this.deps.provisionError(hostname),
        pollError: h.error,
        now,
      });
      if (health.ok !== h.healthOk) {
        h.healthOk = health.ok;
        h.healthChangedAt = now;
        h.dirty = true;
      }
      // A streamer in contact but never polled successfully still shows why (e.g. a wrong cluster key).
      if (h.dirty && (h.stats || h.state !== 'offline'))
        h.stats = {
          ...(h.stats ?? { hostname }),
          healthcheck_status: {
            status: health.ok ? 'ok' : 'error',
            status_changed_at: h.healthChangedAt,
            checks: health.checks,
          },
        };
    }
    if (changed) {
      this.version++;
      this.deps.onStateChange();
    }
  }

  private async flush(now: number) {
    const writes: StatusWrite[] = [];
    for (const [hostname, h] of this.hosts) {
      if (!h.dirty) continue;
      h.dirty = false;
      writes.push({
        hostname,
        state: h.state,
        onlineSince: h.onlineSince,
        lastPollAt: h.lastPollAt,
        lastPollOk: h.lastPollOk,
        stats: h.stats,
        error: h.error,
      });
    }
    await writeStatuses(this.deps.db, writes, now);
    const { upserts, deletes } = this.streams.drain(now);
    await writeStreamStatuses(this.deps.db, upserts, deletes, now);
    await this.writeHistory(now);
  }

  /** The samples of the polls that ended since the last round, in one statement; old ones pruned. */
  private async writeHistory(now: number) {
    const samples = this.samples;
    this.samples = [];
    await writeSamples(this.deps.db, samples, SAMPLE_EVERY_MS);
    if (now - this.lastPruneAt >= PRUNE_EVERY_MS) {
      this.lastPruneAt = now;
      await pruneSamples(this.deps.db, now - HISTORY_KEEP_MS);
    }
  }
}

const rank = (s: StreamerState) => (s === 'online' ? 2 : s === 'suspect' ? 1 : 0);
