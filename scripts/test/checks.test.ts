// The type check and the linters, as tests of the run: they start alongside the other test files and,
// at a lower priority, use the CPU those leave idle while they wait on timers and other processes; a
// failure is a failed test with the tool's output. nice 5, not more: next to processes that keep every
// core busy they still get about a quarter of a core (weight 335 against 1024; with two busy loops
// each took 99-162 s of its 5 minutes), where nice 10 (110) would leave them a tenth of one.
// `npm run typecheck` and `npm run lint` run the same commands on their own.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');

/** Runs an npm script in its own process group; a test that times out stops it, tools included. */
function npmRun(script: string, signal: AbortSignal): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('nice', ['-n', '5', 'npm', 'run', '--silent', script], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const stopAll = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    signal.addEventListener('abort', stopAll);
    const done = (code: number, extra = '') => {
      signal.removeEventListener('abort', stopAll);
      resolve({ code, output: output + extra });
    };
    child.once('error', (e) => done(1, e.message)); // e.g. no `nice` here
    child.once('close', (code) => done(code ?? 1));
  });
}

for (const script of ['typecheck', 'lint']) {
  test(`npm run ${script} passes`, async (t) => {
    const { code, output } = await npmRun(script, t.signal);
    assert.equal(code, 0, `npm run ${script} failed:\n${output}`);
  });
}
