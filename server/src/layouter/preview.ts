// Dry runs of the layouter for the preview_layout_change endpoints: the current state with the given
// changes applied in memory, reconciled, nothing written. Health comes from the recorded states, so
// every Central process answers the same.
import type { Queryable } from '../db/types.ts';
import { reconcile, type LayoutChange, type StreamerIn, type StreamIn } from './reconcile.ts';
import { readStreamers, readStreams } from './repo.ts';
import { streamersIn } from './loop.ts';

async function readHealth(db: Queryable) {
  const r = await db.query<{ hostname: string; state: string; online_since: string | number | null }>(
    'SELECT hostname, state, online_since FROM streamer_status',
  );
  return new Map(
    r.rows.map((x) => [
      x.hostname,
      {
        state: x.state as StreamerIn['state'],
        onlineSince: x.online_since === null ? null : Number(x.online_since),
      },
    ]),
  );
}

export async function currentState(db: Queryable) {
  const [streams, rows, health] = await Promise.all([readStreams(db), readStreamers(db), readHealth(db)]);
  return { streams, streamers: streamersIn(rows, health) };
}

export function simulate(streams: StreamIn[], streamers: StreamerIn[], now: number, holdDownMs: number) {
  return reconcile({ streams, streamers, now, holdDownMs, random: Math.random });
}

/** A stream as the layouter sees it, after a (partial) config is applied on top of the current one. */
export function streamWith(
  current: StreamIn | undefined,
  name: string,
  body: Record<string, unknown>,
): StreamIn {
  const has = (k: string) => k in body;
  const labels = body.labels as Record<string, string> | null | undefined;
  return {
    name,
    disabled: has('disabled') ? body.disabled === true : (current?.disabled ?? false),
    namespace: has('namespace') ? ((body.namespace as string | null) ?? null) : (current?.namespace ?? null),
    labels: has('labels') ? (labels ?? null) : (current?.labels ?? null),
    preferred: has('streamer_hostname')
      ? ((body.streamer_hostname as string | null) ?? null)
      : (current?.preferred ?? null),
    layout: current?.layout ?? null,
  };
}

/** A streamer as the layouter sees it after a config change; a new one is assumed online. */
export function streamerWith(
  current: StreamerIn | undefined,
  hostname: string,
  body: Record<string, unknown>,
): StreamerIn {
  const has = (k: string) => k in body;
  return {
    hostname,
    role: has('role') ? String(body.role ?? 'streamer') : (current?.role ?? 'streamer'),
    state: current?.state ?? 'online',
    onlineSince: current ? current.onlineSince : 0,
    channelLimit: has('channel_limit') ? Number(body.channel_limit ?? 6000) : (current?.channelLimit ?? 6000),
    namespace: has('namespace') ? ((body.namespace as string | null) ?? null) : (current?.namespace ?? null),
    labels: has('labels')
      ? ((body.labels as Record<string, string> | null) ?? null)
      : (current?.labels ?? null),
  };
}

/** Per-streamer counts before and after the changes, for the streamer previews. */
export function countDeltas(streams: StreamIn[], changes: LayoutChange[]) {
  const before = new Map<string, number>();
  for (const s of streams)
    if (s.layout?.ingest) before.set(s.layout.ingest, (before.get(s.layout.ingest) ?? 0) + 1);
  const after = new Map(before);
  for (const c of changes) {
    if (c.before) after.set(c.before, (after.get(c.before) ?? 0) - 1);
    if (c.layout.ingest) after.set(c.layout.ingest, (after.get(c.layout.ingest) ?? 0) + 1);
  }
  return [...new Set([...before.keys(), ...after.keys()])]
    .filter((h) => (before.get(h) ?? 0) !== (after.get(h) ?? 0))
    .sort()
    .map((hostname) => {
      const b = before.get(hostname) ?? 0;
      const a = after.get(hostname) ?? 0;
      return { hostname, role: 'ingest', before: b, after: a, delta: a - b };
    });
}
