// The type check and the linters, as tests of the run: they start alongside the other test files and,
// at a lower priority, use the CPU those leave idle while they wait on timers and other processes; a
// failure is a failed test with the tool's output. nice 5, not more: next to processes that keep every
// core busy they still get about a quarter of a core (weight 335 against 1024); at nice 10 (110) a
// tenth, and their 74 s of CPU would outlast the file's 10 minutes. `npm run typecheck` and
// `npm run lint` run the same commands on their own.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');

function npmRun(script: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'nice',
      ['-n', '5', 'npm', 'run', '--silent', script],
      { cwd: root, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

for (const script of ['typecheck', 'lint']) {
  test(`npm run ${script} passes`, async () => {
    const { code, output } = await npmRun(script);
    assert.equal(code, 0, `npm run ${script} failed:\n${output}`);
  });
}
