// Watches the world from outside, four times a second: what each live streamer runs (its own API,
// signed like Central signs), which Central processes say they lead (their logs), and the lease epoch
// in the database. It records the invariants' numbers and reports violations as they happen.
import pg from 'pg';
import { clusterHeader } from '../test-kit/test-streamer.ts';
import type { ChaosStreamer, Member, World } from './world.ts';

const SAMPLE_MS = 250;
const LEADS = 'this process leads the fleet loops';
const STEPS_DOWN = 'no longer leading the fleet loops';

export interface Bounds {
  /** Longest a stream may run on two live streamers, not counting time the database is faulted. */
  doubleMs: number;
  /** Longest two live processes may both say they lead (a paused leader that woke up). */
  twoLeadersMs: number;
  /** Longest from a leader's kill or pause to another process leading (no database fault meanwhile). */
  takeoverMs: number;
}

export interface Takeover {
  ms: number;
  cause: string;
  dbFaulted: boolean;
}

/** What each live streamer ran at the last sample: name → title. */
export type Running = Map<string, Map<string, string>>;

export function leads(m: Member): boolean {
  const out = m.proc?.output() ?? '';
  return out.lastIndexOf(LEADS) > out.lastIndexOf(STEPS_DOWN);
}

export class Observer {
  readonly violations: string[] = [];
  readonly doubles: number[] = [];
  readonly takeovers: Takeover[] = [];
  maxTwoLeadersMs = 0;
  running: Running = new Map();
  private readonly doubleSince = new Map<string, number>();
  private twoLeadersSince: number | null = null;
  private twoLeadersReported = false;
  private lastEpoch = 0;
  private lastSample = 0;
  private leaderNames = '';
  private readonly startedAt = Date.now();
  private pending: { since: number; pid: number; cause: string; dbFaulted: boolean } | null = null;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly db: pg.Pool;

  constructor(
    private readonly world: World,
    private readonly bounds: Bounds,
    /** Whether a database fault is under way. */
    private readonly dbFaulted: () => boolean,
    private readonly log: (s: string) => void = () => {},
  ) {
    this.db = new pg.Pool({
      connectionString: world.dbUrl,
      max: 2,
      query_timeout: 1000,
      connectionTimeoutMillis: 1000,
    });
    this.db.on('error', () => {});
  }

  start(): void {
    const loop = async () => {
      this.current = this.sample().catch(
        (e: Error) => void this.violations.push(`observer failed: ${e.stack}`),
      );
      await this.current;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), SAMPLE_MS);
    };
    void loop();
  }

  /** Seconds since the observer started, for the run's log. */
  elapsed(): string {
    return `+${((Date.now() - this.startedAt) / 1000).toFixed(1)}s`;
  }

  /** Stops sampling after one last sample, so that what the run's end saw is also recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
    await this.sample().catch(() => {});
    await this.db.end().catch(() => {});
  }

  /** A fault is about to hit the process that leads: time how long until another one does. */
  leaderHit(m: Member, cause: string): void {
    if (this.pending || !m.proc?.proc.pid) return;
    this.pending = { since: Date.now(), pid: m.proc.proc.pid, cause, dbFaulted: this.dbFaulted() };
  }

  leaders(): Member[] {
    return this.world.centrals.filter((c) => c.state === 'up' && leads(c));
  }

  /** Each live streamer's running streams (name → title); a streamer that does not answer is left out. */
  async streamerState(): Promise<Running> {
    const out: Running = new Map();
    await Promise.all(
      this.world.streamers
        .filter((s) => s.state === 'up')
        .map(async (s) => {
          const got = await readStreams(s);
          if (got) out.set(s.name, got);
        }),
    );
    return out;
  }

  private async sample(): Promise<void> {
    const now = Date.now();
    const dbFaulted = this.dbFaulted();
    this.running = await this.streamerState();
    const where = new Map<string, string[]>();
    for (const [host, streams] of this.running) {
      const s = this.world.streamers.find((x) => x.name === host)!;
      if (streams.size > s.channelLimit)
        this.violations.push(
          `${host} runs ${streams.size} streams, over its channel_limit ${s.channelLimit}`,
        );
      for (const name of streams.keys()) where.set(name, [...(where.get(name) ?? []), host]);
    }
    // Time counts only while the database answers: without it no streamer can learn of a move.
    const step = this.lastSample && !dbFaulted ? now - this.lastSample : 0;
    this.lastSample = now;
    for (const [name, hosts] of where) {
      if (hosts.length < 2) continue;
      const before = this.doubleSince.get(name) ?? 0;
      const total = before + step;
      this.doubleSince.set(name, total);
      if (total > this.bounds.doubleMs && before <= this.bounds.doubleMs)
        this.violations.push(`${name} ran on ${hosts.join(' and ')} for over ${this.bounds.doubleMs} ms`);
    }
    for (const [name, total] of this.doubleSince)
      if ((where.get(name)?.length ?? 0) < 2) {
        this.doubleSince.delete(name);
        this.doubles.push(total);
      }
    this.checkLeaders(now, dbFaulted);
    await this.checkEpoch();
  }

  private checkLeaders(now: number, dbFaulted: boolean): void {
    const leaders = this.leaders();
    const names = leaders.map((l) => `${l.name}/${l.proc?.proc.pid}`).join(' ') || 'none';
    if (names !== this.leaderNames) this.log(`    ${this.elapsed()} leading: ${names}`);
    this.leaderNames = names;
    if (leaders.length > 1) {
      this.twoLeadersSince ??= now;
      const ms = now - this.twoLeadersSince;
      this.maxTwoLeadersMs = Math.max(this.maxTwoLeadersMs, ms);
      if (ms > this.bounds.twoLeadersMs && !this.twoLeadersReported) {
        this.twoLeadersReported = true;
        this.violations.push(`${leaders.map((l) => l.name).join(' and ')} both lead for over ${ms} ms`);
      }
    } else {
      this.twoLeadersSince = null;
      this.twoLeadersReported = false;
    }
    const p = this.pending;
    if (!p) return;
    if (dbFaulted) p.dbFaulted = true;
    const other = leaders.find((l) => l.proc?.proc.pid !== p.pid);
    const same = leaders.find((l) => l.proc?.proc.pid === p.pid);
    if (other) {
      const ms = now - p.since;
      this.takeovers.push({ ms, cause: p.cause, dbFaulted: p.dbFaulted });
      if (!p.dbFaulted && ms > this.bounds.takeoverMs)
        this.violations.push(`takeover after ${p.cause} took ${ms} ms, over ${this.bounds.takeoverMs} ms`);
      this.pending = null;
    } else if (same) this.pending = null; // a short pause: it woke up still leading
  }

  private async checkEpoch(): Promise<void> {
    let epoch: number;
    try {
      const r = await this.db.query<{ epoch: string }>(
        `SELECT epoch FROM central_leases WHERE name = 'leader'`,
      );
      if (!r.rows[0]) return;
      epoch = Number(r.rows[0].epoch);
    } catch {
      return; // the database is faulted
    }
    if (epoch < this.lastEpoch)
      this.violations.push(`the lease epoch went back from ${this.lastEpoch} to ${epoch}`);
    this.lastEpoch = Math.max(this.lastEpoch, epoch);
  }

  get epoch(): number {
    return this.lastEpoch;
  }
}

async function readStreams(s: ChaosStreamer): Promise<Map<string, string> | null> {
  try {
    const res = await fetch(
      `http://127.0.0.1:${s.port}/streamer/api/v3/streams?limit=1000&select=name,title`,
      {
        headers: { authorization: clusterHeader(s.clusterKey, Date.now()) },
        signal: AbortSignal.timeout(1000),
      },
    );
    if (!res.ok) return null;
    const body = (await res.json()) as { streams: { name: string; title?: string }[] };
    return new Map(body.streams.map((x) => [x.name, x.title ?? '']));
  } catch {
    return null;
  }
}
