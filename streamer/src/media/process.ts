// Spawning and ending ffmpeg processes. With util-linux setpriv, each ffmpeg gets
// PR_SET_PDEATHSIG=SIGKILL before exec, so it dies with the streamer even when the streamer is
// killed with SIGKILL and never gets to clean up.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export const SETPRIV = '/usr/bin/setpriv';
/** SIGTERM lets ffmpeg finish its playlist; after this long it gets SIGKILL. */
export const KILL_AFTER_MS = 3_000;

let setprivPresent: boolean | undefined;

function hasSetpriv(): boolean {
  setprivPresent ??= fs.existsSync(SETPRIV);
  return setprivPresent;
}

/**
 * ffmpeg's whole environment: never the streamer's own (it holds STREAMER_CLUSTER_KEY,
 * STREAMER_EDIT_AUTH, and http_proxy/no_proxy would steer ffmpeg around the input proxy).
 */
export function ffmpegEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH || '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' };
}

/** Starts ffmpeg in `cwd` with stdout (progress) and stderr (errors) piped. */
export function spawnFfmpeg(ffmpeg: string, args: string[], cwd: string): ChildProcess {
  const [cmd, argv] = hasSetpriv()
    ? [SETPRIV, ['--pdeathsig', 'KILL', '--', ffmpeg, ...args]]
    : [ffmpeg, args];
  return spawn(cmd, argv, { cwd, env: ffmpegEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** SIGTERM now, SIGKILL after KILL_AFTER_MS unless it has exited; returns the pending kill timer. */
export function terminate(child: ChildProcess): NodeJS.Timeout | null {
  if (child.exitCode !== null || child.signalCode !== null) return null;
  signal(child, 'SIGTERM');
  const timer = setTimeout(() => signal(child, 'SIGKILL'), KILL_AFTER_MS);
  timer.unref();
  return timer;
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    child.kill(sig);
  } catch {
    // already gone
  }
}
