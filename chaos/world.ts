// One chaos run's world: a database on the shared PostgreSQL server, Central processes behind the
// balancer, fake streamers as processes of their own, and the faults the plan injects into them.
// Every process is real, so kill -9 and SIGSTOP are the kernel's, not a simulation.
import { randomBytes } from 'node:crypto';
import { TEST_API_KEY } from '../test-kit/app.ts';
import { tempDir } from '../test-kit/backends.ts';
import { spawnReady, STREAMER_READY, type CentralProcess } from '../test-kit/central-process.ts';
import { FAST_FLEET_ENV, freePort, startCentral } from '../test-kit/fleet.ts';
import type { PgServer } from '../test-kit/postgres.ts';
import { Balancer } from './balancer.ts';

const STREAMER_MAIN = 'chaos/streamer-main.ts'; // spawnReady resolves it from the repository root

export type ProcState = 'up' | 'paused' | 'dead';

export interface Member {
  name: string;
  port: number;
  proc: CentralProcess | null;
  state: ProcState;
}

export interface ChaosStreamer extends Member {
  clusterKey: string;
  channelLimit: number;
}

export interface WorldOptions {
  pg: PgServer;
  centrals: number;
  streamers: number;
  channelLimit: number;
  /** Called when a process exits that no fault killed: an invariant violation. */
  onUnexpectedExit: (what: string) => void;
}

export class World {
  readonly centrals: Member[] = [];
  readonly streamers: ChaosStreamer[] = [];
  balancer!: Balancer;
  dbUrl = '';
  private centralEnv: Record<string, string> = {};
  private stopped = false;

  constructor(private readonly o: WorldOptions) {}

  async start(): Promise<void> {
    this.dbUrl = await this.o.pg.createDatabase('chaos');
    const ports = await Promise.all(Array.from({ length: this.o.centrals }, () => freePort()));
    this.balancer = new Balancer(ports);
    await this.balancer.start();
    this.centralEnv = { DATABASE_URL: this.dbUrl, API_URL: this.balancer.url, ...FAST_FLEET_ENV };
    for (const [i, port] of ports.entries())
      this.centrals.push({ name: `central-${i + 1}`, port, proc: null, state: 'dead' });
    for (let i = 1; i <= this.o.streamers; i++)
      this.streamers.push({
        name: `s${i}`,
        port: await freePort(),
        proc: null,
        state: 'dead',
        clusterKey: randomBytes(12).toString('hex'),
        channelLimit: this.o.channelLimit,
      });
    // One at a time: the first to start leads, and the start-up of each is not slowed by the others.
    for (const c of this.centrals) await this.startCentral(c);
    // All settled before a failure is thrown, so that stop() knows every process that did start.
    const started = await Promise.allSettled(this.streamers.map((s) => this.startStreamer(s)));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async api(method: string, path: string, body?: unknown, timeoutMs = 10_000) {
    const res = await fetch(`${this.balancer.url}/central/api/v3${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  }

  async startCentral(c: Member): Promise<void> {
    const running = await startCentral({ CENTRAL_DIR: tempDir(), ...this.centralEnv }, c.port);
    this.adopt(c, running.process);
  }

  async startStreamer(s: ChaosStreamer): Promise<void> {
    const args = [s.name, s.clusterKey, String(s.port)];
    const proc = spawnReady('streamer', STREAMER_MAIN, {}, args, STREAMER_READY, 60_000);
    await proc.ready.catch(async (e) => {
      await proc.stop('SIGKILL'); // one that hangs before it is ready is not left behind
      throw e;
    });
    this.adopt(s, proc);
  }

  private adopt(m: Member, proc: CentralProcess) {
    if (this.stopped) return void proc.stop('SIGKILL'); // a heal that finished after the run ended
    m.proc = proc;
    m.state = 'up';
    void proc.exited.then((code) => {
      if (m.proc !== proc) return;
      const wasState = m.state;
      m.state = 'dead';
      if (wasState !== 'dead')
        this.o.onUnexpectedExit(`${m.name} exited by itself (code ${code}):\n${proc.output().slice(-3000)}`);
    });
  }

  kill(m: Member): void {
    if (!m.proc || m.state === 'dead') return;
    m.state = 'dead';
    m.proc.proc.kill('SIGKILL'); // ends a stopped process too
  }

  pause(m: Member): void {
    if (!m.proc || m.state !== 'up') return;
    m.state = 'paused';
    m.proc.proc.kill('SIGSTOP');
  }

  resume(m: Member): void {
    if (!m.proc || m.state !== 'paused') return;
    m.proc.proc.kill('SIGCONT');
    m.state = 'up';
  }

  /** Brings a member back: resumes a paused one, starts a killed one on its old port. */
  async heal(m: Member): Promise<void> {
    if (m.state === 'paused') return this.resume(m);
    if (m.state !== 'dead') return;
    await m.proc?.exited;
    if ('clusterKey' in m) await this.startStreamer(m as ChaosStreamer);
    else await this.startCentral(m);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const m of [...this.centrals, ...this.streamers]) {
      if (m.state === 'paused') m.proc?.proc.kill('SIGCONT');
      m.state = 'dead';
      await m.proc?.stop('SIGKILL');
    }
    await this.balancer?.stop();
  }
}
