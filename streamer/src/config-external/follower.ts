// Follows Central: pulls the static stream list, keeps the last good one (in memory and on disk) when
// Central is unreachable, and manages dynamic streams: a name a viewer asks for is looked up on
// `/dynamic-streams`, runs while it is watched, and is re-checked on `/update-streams` (a name Central
// no longer returns stops at once, as the protocol says).
import type { Logger } from 'pino';
import type { StreamerState } from '../state.ts';
import {
  ConfigExternalPoller,
  createAgents,
  destroyAgents,
  type Agents,
  type ExternalStatus,
  type PullResult,
  type StreamConfig,
} from './poller.ts';

const MAX_LOOKUPS = 16;

export interface FollowerOptions {
  hostname: string;
  intervalMs: number;
  longPoll: boolean;
  state: StreamerState;
  log: Logger;
  /** Called with the whole external set (static + dynamic) whenever it changes. */
  onStreams(streams: Map<string, StreamConfig>): void;
  /** Dynamic streams nobody watched for this long stop; default 60 s. */
  dynamicIdleMs?: number;
}

export class Follower {
  private url: string | null = null;
  private agents: Agents | null = null;
  private poller: ConfigExternalPoller | null = null;
  private static = new Map<string, StreamConfig>();
  private readonly dynamic = new Map<string, { config: StreamConfig; lastSeen: number }>();
  private readonly lookups = new Map<string, Promise<boolean>>();
  private lastStatus: ExternalStatus | null = null;
  private lastUpdateCheck = 0;
  private sweep: NodeJS.Timeout | null = null;
  /** The stream list is known: pulled, or restored from the last pull on disk. */
  ready = false;

  constructor(private readonly o: FollowerOptions) {}

  get configExternal(): string | null {
    return this.url;
  }

  /** config_external.status for server_stats; null when config_external is not set. */
  get status(): ExternalStatus | null {
    return this.url === null ? null : (this.lastStatus ?? { status: 'loaded' });
  }

  get failing(): boolean {
    return this.lastStatus?.status === 'error';
  }

  /** Starts (or restarts, or with null stops) following. Restores the last pulled list first. */
  follow(url: string | null): void {
    if (url === this.url && (this.poller || url === null)) {
      if (url === null) this.ready = true;
      return;
    }
    const first = this.url === null && this.agents === null;
    this.stopPolling();
    this.url = url;
    this.lastStatus = null;
    this.dynamic.clear();
    if (url === null) {
      this.static = new Map();
      this.o.state.clearPulled();
      this.ready = true;
      this.publish();
      return;
    }
    this.ready = false;
    if (first) {
      this.static = this.o.state.loadPulled();
      this.ready = this.static.size > 0;
      if (this.ready) this.o.log.info({ streams: this.static.size }, 'resuming the last pulled stream list');
    } else this.static = new Map();
    this.publish();
    this.agents = createAgents();
    this.poller = new ConfigExternalPoller({
      url,
      hostname: this.o.hostname,
      intervalMs: this.o.intervalMs,
      longPoll: this.o.longPoll,
      agents: this.agents,
      onResult: (r) => this.onPull(r),
    });
    this.poller.start();
    this.sweep = setInterval(() => this.dropIdle(Date.now()), 5000);
    this.sweep.unref();
  }

  stop(): void {
    this.stopPolling();
  }

  /** Marks a dynamic stream as watched (media requests call it). */
  touch(name: string, now = Date.now()): void {
    const d = this.dynamic.get(name);
    if (d) d.lastSeen = now;
  }

  /**
   * A viewer asked for `name`, which is not running here: ask Central. Resolves true when Central
   * returned it (it is started). Concurrent requests for one name share one lookup.
   */
  requestDynamic(name: string): Promise<boolean> {
    if (!this.poller || !this.ready || this.static.has(name)) return Promise.resolve(false);
    if (this.dynamic.has(name)) return Promise.resolve(true);
    if (!this.poller.serverFeatures.dynamicStreams) return Promise.resolve(false);
    let p = this.lookups.get(name);
    // Viewers choose the names: bound the lookups they can make this streamer send to Central.
    if (!p && this.lookups.size >= MAX_LOOKUPS) return Promise.resolve(false);
    if (!p) {
      p = this.lookupDynamic(name).finally(() => this.lookups.delete(name));
      this.lookups.set(name, p);
    }
    return p;
  }

  private async lookupDynamic(name: string): Promise<boolean> {
    const poller = this.poller!;
    const r = await poller.lookup('dynamic', [name]);
    if (poller !== this.poller) return false;
    if (r.kind === 'error') {
      this.o.log.warn({ stream: name, error: r.message }, 'dynamic stream lookup failed');
      return false;
    }
    const config = r.streams.get(name);
    if (!config) return false;
    this.dynamic.set(name, { config: { ...config, static: false }, lastSeen: Date.now() });
    this.publish();
    return true;
  }

  private onPull(r: PullResult): void {
    if (r.kind === 'error') {
      if (!this.failing)
        this.o.log.warn({ error: r.message }, 'config_external: pull failed; keeping streams');
      this.lastStatus = r.status;
      return;
    }
    if (this.failing) this.o.log.info('config_external: pulls work again');
    this.lastStatus = { status: 'loaded' };
    if (r.kind === 'full') {
      this.static = r.streams;
      this.ready = true;
      for (const name of r.streams.keys()) this.dynamic.delete(name);
      try {
        this.o.state.savePulled(r.streams);
      } catch (e) {
        this.o.log.error({ err: e }, 'cannot save the pulled stream list');
      }
      this.publish();
    }
    void this.checkDynamic(Date.now());
  }

  /** Re-checks running dynamic streams at most once per poll interval. */
  private async checkDynamic(now: number): Promise<void> {
    const poller = this.poller;
    if (!poller || !this.dynamic.size || now - this.lastUpdateCheck < this.o.intervalMs) return;
    this.lastUpdateCheck = now;
    const names = [...this.dynamic.keys()];
    const r = await poller.lookup('update', names);
    if (poller !== this.poller || r.kind === 'error') return;
    for (const name of names) {
      const config = r.streams.get(name);
      const d = this.dynamic.get(name);
      if (!d) continue;
      if (config) d.config = { ...config, static: false };
      else this.dynamic.delete(name);
    }
    this.publish();
  }

  private dropIdle(now: number): void {
    const idle = this.o.dynamicIdleMs ?? 60_000;
    let changed = false;
    for (const [name, d] of this.dynamic)
      if (now - d.lastSeen > idle) changed = this.dynamic.delete(name) || changed;
    if (changed) this.publish();
  }

  private publish(): void {
    const all = new Map(this.static);
    for (const [name, d] of this.dynamic) if (!all.has(name)) all.set(name, d.config);
    this.o.onStreams(all);
  }

  private stopPolling(): void {
    this.poller?.stop();
    this.poller = null;
    if (this.agents) destroyAgents(this.agents);
    this.agents = null;
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
  }
}
