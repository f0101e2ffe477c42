// Finding and killing ffmpeg processes that a previous run of a streamer left behind on the same
// data directory (possible when setpriv is missing, or the streamer ran under another parent).
// A process is ours when its command line or working directory lies inside <root>/media/.
import fs from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { PID_FILE } from './paths.ts';

export interface ReapOptions {
  /** Pids never to touch (this manager's own children). */
  exclude: ReadonlySet<number>;
  /** Stream directory names (inside the media root) to keep; every other one is removed. */
  keep: ReadonlySet<string>;
  /** Program names that identify ffmpeg in a /proc scan (basename of argv[0]). */
  programs: readonly string[];
}

/** Kills leftover ffmpeg processes of `mediaRoot`, waits for them, removes stale directories. */
export async function reapOrphans(mediaRoot: string, o: ReapOptions): Promise<number> {
  const marker = path.resolve(mediaRoot) + path.sep;
  const candidates = new Set([...(await pidFiles(mediaRoot)), ...scanProc(marker, o.programs)]);
  const killed: number[] = [];
  for (const pid of candidates) {
    if (pid === process.pid || o.exclude.has(pid) || !belongsTo(pid, marker)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // exited meanwhile, or not ours to signal
    }
  }
  await waitGone(killed, 3_000);
  await removeStale(mediaRoot, o.keep);
  return killed.length;
}

async function pidFiles(mediaRoot: string): Promise<number[]> {
  const dirs = await readdir(mediaRoot).catch(() => [] as string[]);
  const pids = await Promise.all(
    dirs.map((d) => readFile(path.join(mediaRoot, d, PID_FILE), 'utf8').then(Number, () => 0)),
  );
  return pids.filter((p) => Number.isInteger(p) && p > 1);
}

function procPids(): number[] {
  try {
    return fs
      .readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number);
  } catch {
    return []; // no /proc (not Linux): pid files are all there is
  }
}

function cmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** ffmpeg processes (by program name) whose command line mentions the media root. */
function scanProc(marker: string, programs: readonly string[]): number[] {
  const names = new Set([...programs, 'ffmpeg']);
  return procPids().filter((pid) => {
    const argv = cmdline(pid);
    return argv.length > 0 && names.has(path.basename(argv[0]!)) && argv.some((a) => a.startsWith(marker));
  });
}

/** Exited: no /proc entry, or a zombie waiting for its parent (which can no longer do harm). */
function gone(pid: number): boolean {
  try {
    // "pid (comm) S ...": comm may contain spaces and parentheses, the state follows the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true; // gone
  }
}

/** A live process whose command line or cwd is inside the media root. */
export function belongsTo(pid: number, marker: string): boolean {
  if (gone(pid)) return false;
  if (cmdline(pid).some((a) => a.includes(marker))) return true;
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`).startsWith(marker); // strictly inside a stream dir
  } catch {
    return false;
  }
}

async function waitGone(pids: number[], maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (pids.some((p) => !gone(p)) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function removeStale(mediaRoot: string, keep: ReadonlySet<string>): Promise<void> {
  const dirs = await readdir(mediaRoot).catch(() => [] as string[]);
  await Promise.all(
    dirs
      .filter((d) => !keep.has(d))
      .map((d) => rm(path.join(mediaRoot, d), { recursive: true, force: true })),
  );
}
