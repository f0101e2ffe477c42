// The end-of-run checks. Convergence: every Central alive and ready, exactly one leading, every stream
// in the database running on exactly one live streamer with its stored config, none over its limit.
// Writes: every acknowledged write is stored (a later, unacknowledged one may have landed on top).
import { isReady } from './balancer.ts';
import { leads, type Observer } from './observer.ts';
import type { World } from './world.ts';
import type { Writer } from './writer.ts';

async function stored(observer: Observer): Promise<Map<string, string>> {
  const r = await observer.db.query<{ name: string; title: string | null }>(
    `SELECT name, config->>'title' AS title FROM streams`,
  );
  return new Map(r.rows.map((x) => [x.name, x.title ?? '']));
}

/** Why the world has not converged yet, or null when it has. */
export async function notConverged(world: World, observer: Observer): Promise<string | null> {
  for (const c of world.centrals) {
    if (c.state !== 'up') return `${c.name} is ${c.state}`;
    if (!(await isReady(c.port))) return `${c.name} is not ready`;
  }
  const leaders = world.centrals.filter(leads);
  if (leaders.length !== 1) return `${leaders.length} processes lead`;
  let streams: Map<string, string>;
  try {
    streams = await stored(observer);
  } catch (e) {
    return `the database does not answer: ${(e as Error).message}`;
  }
  const running = await observer.streamerState();
  for (const s of world.streamers) {
    const has = running.get(s.name);
    if (!has) return `${s.name} does not answer`;
    if (has.size > s.channelLimit) return `${s.name} runs ${has.size} streams, over ${s.channelLimit}`;
    for (const name of has.keys())
      if (!streams.has(name)) return `${s.name} runs ${name}, which is not stored`;
  }
  for (const [name, title] of streams) {
    const on = [...running].filter(([, has]) => has.has(name));
    if (on.length !== 1) return `${name} runs on ${on.length} streamers`;
    const [host, has] = on[0]!;
    if (has.get(name) !== title) return `${name} on ${host} has title ${has.get(name)}, stored ${title}`;
  }
  return null;
}

/** Waits for convergence: the time it took, or null and the last reason after `timeoutMs`. */
export async function converge(world: World, observer: Observer, timeoutMs: number) {
  const started = Date.now();
  let reason: string | null = 'not checked';
  while (Date.now() - started < timeoutMs) {
    reason = await notConverged(world, observer);
    if (reason === null) return { ms: Date.now() - started, at: Date.now(), reason };
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ms: null, at: null, reason };
}

export async function checkWrites(observer: Observer, writer: Writer): Promise<string[]> {
  const streams = await stored(observer);
  const out: string[] = [];
  for (const [name, seq] of writer.acked) {
    const title = streams.get(name);
    if (title === undefined) {
      out.push(`acknowledged write lost: ${name} (v${seq}) is not stored`);
      continue;
    }
    const got = Number(title.slice(1));
    if (got < seq)
      out.push(`acknowledged write lost: ${name} is stored as ${title}, v${seq} was acknowledged`);
    if (got > (writer.attempted.get(name) ?? 0)) out.push(`${name} is stored as ${title}, never written`);
  }
  return out;
}
