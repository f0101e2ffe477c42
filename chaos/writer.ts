// The writing client: through the balancer it keeps updating streams (each write carries a sequence
// number in `title`) and creating new ones, and remembers which writes were acknowledged. Writes to
// one stream are never concurrent, so after the run the stored sequence number of every stream must
// be at least the last acknowledged one: anything less is an acknowledged write lost.
import type { Random } from './prng.ts';
import type { World } from './world.ts';

const WORKERS = 3;
const PAUSE_MS = 40;

export interface WriterStats {
  attempted: number;
  acknowledged: number;
  failed: number;
  /** Failures by status (0 = no answer). */
  byStatus: Record<string, number>;
}

export class Writer {
  /** Last acknowledged sequence number per stream. */
  readonly acked = new Map<string, number>();
  /** Last attempted sequence number per stream (an unacknowledged write may still have landed). */
  readonly attempted = new Map<string, number>();
  readonly stats: WriterStats = { attempted: 0, acknowledged: 0, failed: 0, byStatus: {} };
  private readonly busy = new Set<string>();
  private running = false;
  private workers: Promise<void>[] = [];
  private created = 0;

  constructor(
    private readonly world: World,
    private readonly random: Random,
    private readonly names: string[],
    private readonly maxStreams: number,
  ) {}

  static body(name: string, seq: number) {
    return { name, inputs: [{ url: `fake://${name}` }], title: `v${seq}` };
  }

  start(): void {
    this.running = true;
    this.workers = Array.from({ length: WORKERS }, () => this.work());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private choose(): string | null {
    if (this.names.length < this.maxStreams && this.random.chance(0.05)) return `w${++this.created}`;
    const free = this.names.filter((n) => !this.busy.has(n));
    return free.length ? this.random.pick(free) : null;
  }

  private async work(): Promise<void> {
    while (this.running) {
      const name = this.choose();
      if (name) await this.write(name);
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  }

  private async write(name: string): Promise<void> {
    this.busy.add(name);
    const seq = (this.attempted.get(name) ?? 0) + 1;
    this.attempted.set(name, seq);
    this.stats.attempted++;
    const status = await this.world
      .api('PUT', `/streams/${name}`, Writer.body(name, seq), 15_000)
      .then((r) => r.status)
      .catch(() => 0); // no answer
    if (status >= 200 && status < 300) {
      this.acked.set(name, seq);
      this.stats.acknowledged++;
    } else {
      this.stats.failed++;
      this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
    }
    // Kept either way: a create whose answer was lost may have landed, and is checked like the others.
    if (!this.names.includes(name)) this.names.push(name);
    this.busy.delete(name);
  }
}
