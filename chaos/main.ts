// npm run chaos [-- --minutes N] [--seed S] [--runs N] [--phase-seconds P]
// Runs chaos runs (run-once.ts) one after another on one PostgreSQL server until the time or the
// number of runs is used up, run i with seed S+i. The first violation stops it with the seed to replay.
import { parseArgs } from 'node:util';
import { startPostgres } from '../test-kit/postgres.ts';
import { describe } from './faults.ts';
import { BOUNDS, runOnce, type RunResult } from './run-once.ts';
import { summarize } from './summary.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    seed: { type: 'string' },
    runs: { type: 'string' },
    'phase-seconds': { type: 'string', default: '45' },
  },
});
const number = (name: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name}: "${v}" is not a non-negative number`);
    process.exit(2);
  }
  return n;
};
const minutes = number('minutes', values.minutes);
const runs = number('runs', values.runs) ?? (minutes === undefined ? 1 : Infinity);
const until = minutes === undefined ? Infinity : Date.now() + minutes * 60_000;
const base = number('seed', values.seed) ?? Math.floor(Math.random() * 1_000_000);
const phaseMs = number('phase-seconds', values['phase-seconds'])! * 1000;

const pg = await startPostgres({ durable: true });
console.log(
  `# chaos: PostgreSQL ${pg.version}; seeds from ${base}; ${phaseMs / 1000} s of faults per run; bounds ${JSON.stringify(BOUNDS)}`,
);
const results: RunResult[] = [];
let failed: RunResult | null = null;
for (let i = 0; i < runs && Date.now() < until; i++) {
  const seed = base + i;
  const started = Date.now();
  const r = await runOnce(seed, pg, phaseMs, (s) => console.log(s));
  results.push(r);
  const take = r.takeovers.map((t) => `${(t.ms / 1000).toFixed(1)}s`).join(' ') || '-';
  console.log(
    `run ${i + 1} seed ${seed}: ${r.faults.length} faults, ${r.writes.acknowledged}/${r.writes.attempted} writes acknowledged, ` +
      `converged in ${r.convergeMs === null ? 'never' : `${(r.convergeMs / 1000).toFixed(1)} s`}, takeovers ${take}, ` +
      `${((Date.now() - started) / 1000).toFixed(0)} s: ${r.violations.length ? 'VIOLATED' : 'ok'}`,
  );
  if (r.violations.length) {
    failed = r;
    break;
  }
}
console.log(summarize(results));
await pg.stop();
if (failed) {
  console.log(`\nVIOLATIONS in the run with seed ${failed.seed}:`);
  for (const v of failed.violations) console.log(`- ${v}`);
  console.log(`faults: ${failed.faults.map(describe).join(', ')}`);
  console.log(`replay: npm run chaos -- --seed ${failed.seed} --runs 1 --phase-seconds ${phaseMs / 1000}`);
  process.exit(1);
}
