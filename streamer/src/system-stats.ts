// Host figures for server_stats: CPU busy share (from /proc/stat deltas), memory in use, and the
// bytes this process wrote to HTTP clients (output bandwidth). Sampled every 2 s so a stats request
// never blocks; integers, as Flussonic's schema requires.
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';

function cpuTimes(): { busy: number; total: number } | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Capacity of the fastest non-loopback interface that is up, in kbit/s (0 when unknown). */
function linkKbit(): number {
  try {
    let best = 0;
    for (const i of fs.readdirSync('/sys/class/net')) {
      if (i === 'lo') continue;
      const speed = Number(fs.readFileSync(`/sys/class/net/${i}/speed`, 'utf8'));
      if (Number.isFinite(speed) && speed > 0) best = Math.max(best, speed * 1000);
    }
    return best;
  } catch {
    return 0;
  }
}

export class SystemStats {
  cpuUsage = 0;
  outputKbit = 0;
  readonly totalBandwidth = linkKbit();
  private prevCpu = cpuTimes();
  private written = 0;
  private prevWritten = 0;
  private prevAt = Date.now();
  private readonly sockets = new Set<import('node:net').Socket>();
  private readonly timer: NodeJS.Timeout;

  constructor(server: http.Server) {
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => {
        this.written += s.bytesWritten - ((s as { counted?: number }).counted ?? 0);
        this.sockets.delete(s);
      });
    });
    this.timer = setInterval(() => this.sample(), 2000);
    this.timer.unref();
  }

  get memoryUsage(): number {
    return Math.round((1 - os.freemem() / os.totalmem()) * 100);
  }

  get clients(): number {
    return this.sockets.size;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const cpu = cpuTimes();
    if (cpu && this.prevCpu && cpu.total > this.prevCpu.total)
      this.cpuUsage = Math.round((100 * (cpu.busy - this.prevCpu.busy)) / (cpu.total - this.prevCpu.total));
    this.prevCpu = cpu;
    // Bytes written by open sockets since the last sample (closed ones were added on close).
    for (const s of this.sockets) {
      const counted = (s as { counted?: number }).counted ?? 0;
      this.written += s.bytesWritten - counted;
      (s as { counted?: number }).counted = s.bytesWritten;
    }
    const now = Date.now();
    const seconds = Math.max(0.001, (now - this.prevAt) / 1000);
    this.outputKbit = Math.round(((this.written - this.prevWritten) * 8) / 1000 / seconds);
    this.prevWritten = this.written;
    this.prevAt = now;
  }
}
