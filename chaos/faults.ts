// The fault plan: three lanes (Central processes, streamers, the database), each a seeded sequence of
// episodes, so faults of different kinds overlap while at most one Central and one streamer are hurt
// at a time (the fleet keeps a majority of its Centrals and the capacity for every stream).
import type { Random } from './prng.ts';

export type FaultKind =
  'central-kill' | 'central-pause' | 'streamer-kill' | 'streamer-pause' | 'db-restart' | 'db-pause';

export interface Fault {
  /** ms after the fault phase starts. */
  at: number;
  kind: FaultKind;
  /** Member index; for Central faults -1 means "whichever process leads at that moment". */
  target: number;
  /** How long the member stays down or paused (ms); 0 for a restart of the database. */
  durationMs: number;
}

export interface PlanOptions {
  phaseMs: number;
  centrals: number;
  streamers: number;
}

function lane(
  r: Random,
  phaseMs: number,
  first: number,
  gap: [number, number],
  next: (at: number) => Fault,
): Fault[] {
  const out: Fault[] = [];
  for (let at = first; at < phaseMs;) {
    const f = next(at);
    out.push(f);
    at += f.durationMs + r.int(gap[0], gap[1]);
  }
  return out;
}

export function planFaults(r: Random, o: PlanOptions): Fault[] {
  const central = lane(r, o.phaseMs, r.int(2000, 6000), [3000, 9000], (at) => {
    const kill = r.chance(0.5);
    return {
      at,
      kind: kill ? 'central-kill' : 'central-pause',
      target: r.chance(0.6) ? -1 : r.int(0, o.centrals - 1),
      // Pauses run from well under to well past the lease (8 s).
      durationMs: kill ? r.int(1000, 8000) : r.int(1000, 14_000),
    };
  });
  const streamer = lane(r, o.phaseMs, r.int(0, 4000), [2000, 7000], (at) => {
    const kill = r.chance(0.5);
    return {
      at,
      kind: kill ? 'streamer-kill' : 'streamer-pause',
      target: r.int(0, o.streamers - 1),
      durationMs: r.int(1000, 10_000),
    };
  });
  const db = lane(r, o.phaseMs, r.int(4000, 15_000), [8000, 20_000], (at) => {
    const restart = r.chance(0.5);
    return {
      at,
      kind: restart ? 'db-restart' : 'db-pause',
      target: 0,
      durationMs: restart ? 0 : r.int(1000, 8000),
    };
  });
  return [...central, ...streamer, ...db].sort((a, b) => a.at - b.at);
}

export function describe(f: Fault): string {
  const who = f.target === -1 ? 'leader' : `#${f.target + 1}`;
  const target = f.kind.startsWith('db') ? '' : ` ${who}`;
  return `+${(f.at / 1000).toFixed(1)}s ${f.kind}${target}${f.durationMs ? ` for ${(f.durationMs / 1000).toFixed(1)}s` : ''}`;
}
