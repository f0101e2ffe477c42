// Runs Central as a real process (node --import tsx server/src/main.ts) for start-up and end-to-end
// tests; waits for its "central is ready" log line and reports the port it listens on.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/src/main.ts'), ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      CENTRAL_CONFIG: '/dev/null',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const ready = new Promise<{ http: number; https?: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Central not ready in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"http":(\d+)(?:,"https":(\d+))?[^\n]*"msg":"central is ready"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ http: Number(m[1]), ...(m[2] ? { https: Number(m[2]) } : {}) });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Central exited with ${code} before it was ready:\n${out}`));
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
