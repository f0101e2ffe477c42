// Media helpers for tests that run real ffmpeg: whether it is installed (a missing ffmpeg fails under
// CI=true and skips elsewhere, with a notice), and ffprobe's view of a media file.
import { execFileSync, spawnSync } from 'node:child_process';
import { patient } from './patience.ts';

let checked: boolean | null = null;

/** True when ffmpeg and ffprobe run; false (after a notice) outside CI; throws under CI=true. */
export function ffmpegAvailable(): boolean {
  if (checked !== null) return checked;
  checked = ['ffmpeg', 'ffprobe'].every((c) => spawnSync(c, ['-version'], { stdio: 'ignore' }).status === 0);
  if (!checked && process.env.CI === 'true')
    throw new Error('CI=true but ffmpeg/ffprobe are not installed (apt-get install ffmpeg)');
  if (!checked) console.log('# notice: ffmpeg is not installed; media tests skipped');
  return checked;
}

/** Distinct codec names of a media file's streams, e.g. ['h264', 'aac'] (MPEG-TS lists them per program too). */
export function probeCodecs(file: string): string[] {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file],
    { encoding: 'utf8', timeout: 15_000 },
  );
  // MPEG-TS files list their streams once more per program: keep each codec once.
  return [...new Set(out.split('\n').map((l) => l.trim().replace(/,$/, '')))].filter(Boolean);
}

/** Pids of running processes whose command line contains `needle` (from /proc). */
export function processesMatching(needle: string): number[] {
  const out = spawnSync('pgrep', ['-f', '--', needle], { encoding: 'utf8' });
  return out.stdout
    .split('\n')
    .map(Number)
    .filter((pid) => pid > 0 && pid !== process.pid);
}

/** Polls `fn` every 20 ms until it returns something truthy (at most patient(ms)), and returns that. */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false,
  ms: number,
): Promise<T> {
  const until = Date.now() + patient(ms);
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${patient(ms)} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A name → config map, as MediaManager.apply takes it. */
export function streams<T extends { name: string }>(...cfgs: T[]): Map<string, T> {
  return new Map(cfgs.map((c) => [c.name, c]));
}
