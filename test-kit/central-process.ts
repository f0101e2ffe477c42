// Runs Central or the open streamer as a real process for start-up and end-to-end tests; waits for its
// ready log line and reports the port it listens on. Under `npm test` a program is its bundle in dist/
// (built once per run, CENTRAL_TEST_BUNDLES); a test file run on its own starts the sources with tsx.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PROGRAMS } from '../scripts/programs.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Processes started here that have not exited. */
const running = new Set<ChildProcess>();
// In a test file, none outlives it: a hook that failed half-way (one of two streamers did not start)
// cannot leave a process behind that keeps the file from ending.
if (process.env.NODE_TEST_CONTEXT)
  after(() => {
    for (const proc of running) proc.kill('SIGKILL');
  });

/** The bundle scripts/build.ts makes of each program. */
const BUNDLES = new Map(PROGRAMS.map((p) => [p.entry, p.outfile]));

/**
 * V8 flags for the short-lived processes of a test run. `--liftoff-only` keeps WebAssembly in its
 * baseline compiler: PGlite's 9 MB module is otherwise recompiled by the optimizing tier in every
 * process, which made a Central on the embedded database use 6.7 s of CPU to become ready (2.7 s
 * with the flag) and 200 small queries cost 1.6 s of CPU (0.25 s); queries run as fast after that.
 * It changes how V8 compiles, not what the program does.
 */
export const TEST_NODE_FLAGS = ['--liftoff-only'];

/** `node` arguments that start a program (a path from the repository root). */
export function programArgs(entry: string): string[] {
  const dir = process.env.CENTRAL_TEST_BUNDLES;
  const bundle = BUNDLES.get(entry);
  return [
    ...TEST_NODE_FLAGS,
    ...(dir && bundle ? [path.join(dir, bundle)] : ['--import', 'tsx', path.join(ROOT, entry)]),
  ];
}

export interface CentralProcess {
  proc: ChildProcess;
  /** Resolves with the HTTP (and HTTPS) port once ready; rejects if the process exits first. */
  ready: Promise<{ http: number; https?: number }>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnCentral(
  env: Record<string, string>,
  args: string[] = [],
  timeoutMs = 60_000,
): CentralProcess {
  const ready = /"http":(\d+)(?:,"https":(\d+))?[^\n]*"msg":"central is ready"/;
  return spawnReady(
    'Central',
    'server/src/main.ts',
    { CENTRAL_CONFIG: '/dev/null', ...env },
    args,
    ready,
    timeoutMs,
  );
}

/** The line a streamer (ours, or the fault suite's) logs once it listens, with its port. */
export const STREAMER_READY = /"port":(\d+)[^\n]*"msg":"streamer [^"]* listening/;

/** The open streamer; ready when it logs the port it listens on. */
export function spawnStreamer(env: Record<string, string>, args: string[] = []): CentralProcess {
  return spawnReady(
    'streamer',
    'streamer/src/main.ts',
    { STREAMER_CONFIG: '/dev/null', ...env },
    args,
    STREAMER_READY,
    60_000,
  );
}

export function spawnReady(
  what: string,
  entry: string,
  env: Record<string, string>,
  args: string[],
  readyLine: RegExp,
  timeoutMs: number,
): CentralProcess {
  const proc = spawn(process.execPath, [...programArgs(entry), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  let out = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const ready = new Promise<{ http: number; https?: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what} not ready in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = readyLine.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ http: Number(m[1]), ...(m[2] ? { https: Number(m[2]) } : {}) });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready:\n${out}`));
    });
  });
  ready.catch(() => {});
  return {
    proc,
    ready,
    exited,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** `<program> --check-config --config FILE` run to completion: its exit code and everything it printed. */
export function checkConfigRun(program: 'central' | 'streamer', file: string) {
  const entry = program === 'central' ? 'server/src/main.ts' : 'streamer/src/main.ts';
  const r = spawnSync(process.execPath, [...programArgs(entry), '--check-config', '--config', file], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The getting-started guide's request (Basic admin:admin), sent over real HTTP to a Central. */
export async function guideRequest(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/streamer/api/v3/streams/STREAM_NAME`, {
    method: 'PUT',
    headers: { Authorization: 'Basic YWRtaW46YWRtaW4=', 'Content-Type': 'application/json' },
    body: '{"name": "STREAM_NAME", "inputs": [{"url": "fake://fake"}]}',
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
