// CPU and memory of a process together with all its descendants (the streamer and its ffmpegs), from
// Linux /proc (zeros elsewhere). bench/cpu.ts meters single processes; a streamer's cost is mostly in
// children that come and go with its streams, so this walks the whole tree at both ends of a window.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

function getconf(name: string, dflt: number): number {
  try {
    return Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim()) || dflt;
  } catch {
    return dflt;
  }
}
const HZ = getconf('CLK_TCK', 100);
const PAGE = getconf('PAGESIZE', 4096);

interface Proc {
  pid: number;
  ppid: number;
  /** user + system CPU seconds */
  seconds: number;
  /** resident set, bytes */
  rss: number;
}

function readStat(pid: number): Proc | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(f[11]) + Number(f[12])) / HZ;
    return { pid, ppid: Number(f[1]), seconds, rss: Number(f[21]) * PAGE };
  } catch {
    return null; // exited meanwhile
  }
}

/** `root` and every descendant, by pid: one scan of /proc following ppid links (the `children` files
 * under /proc/<pid>/task need a kernel option, and miss grandchildren). */
export function processTree(root: number): Map<number, Proc> {
  let pids: number[];
  try {
    pids = fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return new Map();
  }
  const kids = new Map<number, Proc[]>();
  let top: Proc | null = null;
  for (const pid of pids) {
    const p = readStat(pid);
    if (!p) continue;
    if (pid === root) top = p;
    kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), p]);
  }
  const out = new Map<number, Proc>();
  const queue = top ? [top] : [];
  while (queue.length) {
    const p = queue.shift()!;
    out.set(p.pid, p);
    queue.push(...(kids.get(p.pid) ?? []));
  }
  return out;
}

/** Proportional set size: shared pages (ffmpeg's libraries, the source file's cache) split among
 * their users, so summing it over processes does not count them many times as RSS does. */
function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine, from the first line of /proc/stat. */
function machineSeconds(): number {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return (user + nice + system + irq + softirq + steal) / HZ;
  } catch {
    return 0;
  }
}

export interface TreeUsage {
  /** Cores (1 = one core busy the whole window) used by the tree, its root, and the descendants. */
  total: number;
  root: number;
  children: number;
  /** Cores used by everything else on the machine, this benchmark process excluded. */
  other: number;
  /** Descendants alive at the end of the window. */
  processes: number;
  /** Bytes at the end of the window, summed over the tree. */
  rss: number;
  pss: number;
}

/** Starts a window now; the returned function closes it. Processes that exit inside the window lose
 * their time (steady state: none do); ones that start inside it count from zero. */
export function treeMeter(root: number): () => TreeUsage {
  const t0 = performance.now();
  const before = processTree(root);
  const m0 = machineSeconds();
  const self0 = process.cpuUsage();
  return () => {
    const after = processTree(root);
    const wall = (performance.now() - t0) / 1000;
    const grown = (p: Proc) => (p.seconds - (before.get(p.pid)?.seconds ?? 0)) / wall;
    let [rootCores, children, rss, pssSum] = [0, 0, 0, 0];
    for (const p of after.values()) {
      if (p.pid === root) rootCores = grown(p);
      else children += grown(p);
      rss += p.rss;
      pssSum += pss(p.pid);
    }
    const self = process.cpuUsage(self0);
    const bench = (self.user + self.system) / 1e6 / wall;
    const total = rootCores + children;
    const other = Math.max(0, (machineSeconds() - m0) / wall - total - bench);
    return {
      total,
      root: rootCores,
      children,
      other,
      processes: Math.max(0, after.size - 1),
      rss,
      pss: pssSum,
    };
  };
}
