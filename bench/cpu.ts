// Where the cores went during a measured run, from Linux /proc (zeros elsewhere): the load generator
// (this process), the app under test, our PostgreSQL server, and everything else on the machine.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let hz = 0;
function ticksPerSecond() {
  if (!hz)
    try {
      hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      hz = 100;
    }
  return hz;
}

/** Parent pid and CPU seconds (user + system) of a process; null when it is gone. */
function procStat(pid: number | string): { ppid: number; seconds: number } | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), seconds: (Number(f[11]) + Number(f[12])) / ticksPerSecond() };
  } catch {
    return null;
  }
}

/** CPU seconds by pid of the postmaster and its children (ours only: other PostgreSQL servers may run). */
function postgresSeconds(postmaster: number): Map<string, number> {
  const out = new Map<string, number>();
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    const st = procStat(pid);
    if (st && (Number(pid) === postmaster || st.ppid === postmaster)) out.set(pid, st.seconds);
  }
  return out;
}

/** Backends come and go (pools close idle connections): sum the growth of the processes alive at the end. */
function grown(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [pid, s] of after) total += s - (before.get(pid) ?? 0);
  return total;
}

/** Busy CPU seconds of the whole machine, from the first line of /proc/stat. */
function machineSeconds(): number {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return (user + nice + system + irq + softirq + steal) / ticksPerSecond();
  } catch {
    return 0;
  }
}

export interface CpuSplit {
  loader: number;
  app: number;
  postgres: number;
  /** Everything else busy on the machine meanwhile (other jobs make the numbers unreliable). */
  other: number;
}

/**
 * CPU used, in cores, by this process (the load generator), the app under test, our PostgreSQL
 * (postmaster pid) and the rest of the machine.
 */
export function cpuMeter(appPid: number, postmaster: number) {
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  const a0 = procStat(appPid)?.seconds ?? 0;
  const p0 = postgresSeconds(postmaster);
  const m0 = machineSeconds();
  return (): CpuSplit => {
    const wall = (performance.now() - t0) / 1000;
    const u = process.cpuUsage(u0);
    const loader = (u.user + u.system) / 1e6 / wall;
    const app = ((procStat(appPid)?.seconds ?? a0) - a0) / wall;
    const postgres = grown(p0, postgresSeconds(postmaster)) / wall;
    const other = Math.max(0, (machineSeconds() - m0) / wall - loader - app - postgres);
    return { loader, app, postgres, other };
  };
}
