// Prometheus instruments of one Central process, on a registry of its own (never prom-client's global
// one), so that tests can build several apps in one process. main.ts makes one and hands it to the
// HTTP apps, the pull routes and the fleet loops; GET /metrics (system/metrics.ts) renders it.
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type PullResult = '200' | '304' | 'error';

/** What the fleet gauges show, read from the database at scrape time. */
export interface FleetCounts {
  streamers: Record<string, number>;
  streams: Record<string, number>;
  leaseEpoch: number;
}

export const STREAMER_STATES = ['online', 'suspect', 'offline'] as const;
export const STREAM_STATUSES = ['running', 'waiting', 'error', 'disabled'] as const;
const FLEET_CACHE_MS = 2000;

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop, GC): each set starts its own event-loop monitor. */
  processMetrics?: boolean;
  /** How long the fleet gauges' query result is reused; frequent scrapes stay cheap. */
  fleetCacheMs?: number;
  now?: () => number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly http: Histogram<'method' | 'route' | 'status_code'>;
  /** Label children by "method route status": the hot path does one Map lookup, not a label hash. */
  private readonly httpChildren = new Map<string, Histogram.Internal<string>>();
  private readonly pulls: Counter<'result'>;
  private readonly pullSeconds: Histogram;
  private readonly layoutSeconds: Histogram;
  private readonly layoutMoves: Counter<'reason'>;
  private readonly leaseHolder: Gauge;
  private readonly leaseEpoch: Gauge;
  private readonly streamers: Gauge<'state'>;
  private readonly streams: Gauge<'status'>;
  private fleetAt = -Infinity;
  private fleetLoad: Promise<void> | null = null;

  constructor(private readonly o: MetricsOptions = {}) {
    const registers = [this.registry];
    if (o.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'central_' });
    this.http = new Histogram({
      name: 'central_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      // Up to a minute: long-polled pulls are held open for as long as 60 s.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.pulls = new Counter({
      name: 'central_config_pulls_total',
      help: 'config_external stream list pulls by result (200, 304 not modified, error)',
      labelNames: ['result'],
      registers,
    });
    this.pullSeconds = new Histogram({
      name: 'central_config_pull_duration_seconds',
      help: 'Time Central spent answering a stream list pull, not counting the long-poll wait',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.layoutSeconds = new Histogram({
      name: 'central_layout_round_duration_seconds',
      help: 'Layouter rounds that computed a plan (read, reconcile, apply)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.layoutMoves = new Counter({
      name: 'central_layout_moves_total',
      help: 'Layouts written by the layouter, by change_reason (as in the layout history)',
      labelNames: ['reason'],
      registers,
    });
    this.leaseHolder = new Gauge({
      name: 'central_lease_holder',
      help: '1 while this process holds the fleet lease and runs the fleet loops, else 0',
      registers,
    });
    this.leaseEpoch = new Gauge({
      name: 'central_lease_epoch',
      help: 'Epoch of the fleet lease in the database (grows by one with every change of leader)',
      registers,
    });
    this.streamers = new Gauge({
      name: 'central_streamers',
      help: 'Streamers by health state',
      labelNames: ['state'],
      registers,
    });
    this.streams = new Gauge({
      name: 'central_streams',
      help: 'Streams by status (disabled ones only as disabled)',
      labelNames: ['status'],
      registers,
    });
    // Present from the first scrape, so that rate() and absent() behave before anything happened.
    for (const r of ['200', '304', 'error']) this.pulls.inc({ result: r }, 0);
    this.leaseHolder.set(0);
  }

  observeRequest(method: string, route: string, status: number, seconds: number) {
    const key = `${method} ${route} ${status}`;
    let child = this.httpChildren.get(key);
    if (!child) {
      child = this.http.labels(method, route, String(status));
      this.httpChildren.set(key, child);
    }
    child.observe(seconds);
  }

  observePull(result: PullResult, seconds: number) {
    this.pulls.inc({ result });
    this.pullSeconds.observe(seconds);
  }

  observeLayoutRound(seconds: number, moves: ReadonlyMap<string, number>) {
    this.layoutSeconds.observe(seconds);
    for (const [reason, n] of moves) this.layoutMoves.inc({ reason }, n);
  }

  setLeaseHolder(holding: boolean) {
    this.leaseHolder.set(holding ? 1 : 0);
  }

  /** Refreshes the fleet gauges with `load` unless they are fresher than the cache time. */
  async refreshFleet(load: () => Promise<FleetCounts>) {
    const now = this.o.now ? this.o.now() : performance.now();
    if (now - this.fleetAt < (this.o.fleetCacheMs ?? FLEET_CACHE_MS)) return;
    // Concurrent scrapes share one load.
    this.fleetLoad ??= load()
      .then((c) => {
        this.fleetAt = now;
        this.setFleet(c);
      })
      .finally(() => (this.fleetLoad = null));
    await this.fleetLoad;
  }

  private setFleet(c: FleetCounts) {
    for (const s of STREAMER_STATES) this.streamers.set({ state: s }, c.streamers[s] ?? 0);
    for (const s of STREAM_STATUSES) this.streams.set({ status: s }, c.streams[s] ?? 0);
    this.leaseEpoch.set(c.leaseEpoch);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
