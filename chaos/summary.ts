// The totals of a chaos session: runs, faults by kind, writes, and the convergence, takeover and
// double-placement times measured.
import type { RunResult } from './run-once.ts';

function stats(xs: number[]): string {
  if (!xs.length) return 'none';
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s[Math.min(s.length - 1, Math.floor(q * s.length))]! / 1000).toFixed(1);
  return `n=${s.length} median ${at(0.5)} s, p90 ${at(0.9)} s, max ${at(1)} s`;
}

export function summarize(results: RunResult[]): string {
  const kinds = new Map<string, number>();
  for (const r of results) for (const f of r.faults) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  const faults = results.reduce((n, r) => n + r.faults.length, 0);
  const acked = results.reduce((n, r) => n + r.writes.acknowledged, 0);
  const attempted = results.reduce((n, r) => n + r.writes.attempted, 0);
  const takeovers = results.flatMap((r) => r.takeovers);
  const clean = takeovers.filter((t) => !t.dbFaulted);
  const byCause = (word: string) => clean.filter((t) => t.cause.includes(word)).map((t) => t.ms);
  const doubles = results.flatMap((r) => r.doubles).filter((ms) => ms > 0);
  return [
    `# chaos summary: ${results.length} runs, ${results.filter((r) => r.violations.length).length} with violations`,
    `# faults: ${faults} (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})`,
    `# writes: ${acked} acknowledged of ${attempted} attempted; acknowledged and lost: ${results.reduce((n, r) => n + r.violations.filter((v) => v.startsWith('acknowledged write lost')).length, 0)}`,
    `# convergence after the last fault: ${stats(results.flatMap((r) => (r.convergeMs === null ? [] : [r.convergeMs])))}`,
    `# takeover after kill -9 of the leader: ${stats(byCause('kill'))}`,
    `# takeover after SIGSTOP of the leader: ${stats(byCause('SIGSTOP'))}`,
    `# takeover with a database fault meanwhile: ${stats(takeovers.filter((t) => t.dbFaulted).map((t) => t.ms))}`,
    `# a stream on two live streamers (database time excluded): ${stats(doubles)}`,
    `# two processes saying they lead: max ${(Math.max(0, ...results.map((r) => r.maxTwoLeadersMs)) / 1000).toFixed(1)} s`,
  ].join('\n');
}
