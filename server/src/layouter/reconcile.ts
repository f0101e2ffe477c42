// The layouter's decision: where each stream is ingested, given the fleet. Pure and level-triggered:
// the answer depends only on the input, so a crashed, repeated or concurrent run is harmless, and
// applying the answer and asking again gives no changes (until time passes a streamer's hold-down).
// Order of the passes matters for that fixpoint: moves away (rules 2-5), returns to the preferred
// streamer (8), trimming of lowered limits (6), placement (7). Counts only grow during placement, so a
// streamer that was full when a stream looked at it is still full at the end and the next run agrees.
// Returns come before trimming so that an over-full streamer first sheds the streams that want to go
// home, and so that no slot freed by a return is left for the next run to discover.

export type StreamerState = 'online' | 'suspect' | 'offline';
export type ChangeReason =
  | 'node_become_offline'
  | 'node_deleted'
  | 'stream_disabled'
  | 'node_channel_limit_exceeded'
  | 'namespace_mismatch'
  | 'node_misses_stream_required_labels'
  | 'not_distributed'
  | 'relayout_by_api';
export interface LayoutState {
  ingest: string | null;
  failover_from: string | null;
  created_at: number;
  change_reason: ChangeReason | null;
  originator: 'layouter' | 'other';
}
export interface StreamIn {
  name: string;
  disabled: boolean;
  namespace: string | null;
  labels: Record<string, string> | null;
  /** streamer_hostname */
  preferred: string | null;
  layout: LayoutState | null;
}
export interface StreamerIn {
  hostname: string;
  /** only 'streamer' ingests */
  role: string;
  state: StreamerState;
  /** ms when it last became online */
  onlineSince: number | null;
  channelLimit: number;
  namespace: string | null;
  labels: Record<string, string> | null;
}
export interface LayoutChange {
  name: string;
  before: string | null;
  layout: LayoutState;
}
export interface ReconcileInput {
  streams: StreamIn[];
  streamers: StreamerIn[];
  now: number;
  holdDownMs: number;
  /** [0, 1); breaks ties between equally loaded streamers */
  random: () => number;
}

/** Label keys some streamer carries: only these constrain placement, the others are plain tags. */
export function labelKeysInUse(streamers: readonly StreamerIn[]): Set<string> {
  const keys = new Set<string>();
  for (const s of streamers) for (const k of Object.keys(s.labels ?? {})) keys.add(k);
  return keys;
}

/** Why `stream` may not be ingested on `streamer`, or null when it may. */
export function mismatch(
  stream: StreamIn,
  streamer: StreamerIn,
  labelKeys: ReadonlySet<string>,
): ChangeReason | null {
  if (streamer.role !== 'streamer') return 'not_distributed';
  if (stream.namespace !== streamer.namespace) return 'namespace_mismatch';
  for (const [k, v] of Object.entries(stream.labels ?? {})) {
    if (labelKeys.has(k) && streamer.labels?.[k] !== v) return 'node_misses_stream_required_labels';
  }
  return null;
}

export function eligible(stream: StreamIn, streamer: StreamerIn, labelKeys: ReadonlySet<string>): boolean {
  return mismatch(stream, streamer, labelKeys) === null;
}

/** The product's load measure; the placement scan compares it cross-multiplied (same order, faster). */
export function loadOf(count: number, channelLimit: number): number {
  return channelLimit > 0 ? count / channelLimit : Infinity;
}

interface Host {
  readonly s: StreamerIn;
  /** copied from `s`: the placement scan reads it for every candidate of every stream */
  readonly limit: number;
  readonly online: boolean;
  /** online for at least the hold-down: streams that prefer it may come back */
  readonly canReturn: boolean;
  count: number;
  /** plans (name order) that stayed here after rules 3-5 */
  readonly residents: number[];
  /** plans elsewhere that would return here (rule 8), name order; `next` is the first not yet taken */
  readonly queue: number[];
  next: number;
}

interface Plan {
  readonly stream: StreamIn;
  readonly before: string | null;
  host: Host | null;
  reason: ChangeReason | null;
  failoverFrom: string | null;
  needsPlace: boolean;
}

interface Fleet {
  readonly hosts: Map<string, Host>;
  readonly keys: ReadonlySet<string>;
  /** eligible online streamers by namespace, then constraining labels: once per kind of stream */
  readonly groups: Map<string | null, Map<string, Host[]>>;
  readonly random: () => number;
  readonly ties: Host[];
}

function byName(streams: readonly StreamIn[]): readonly StreamIn[] {
  for (let i = 1; i < streams.length; i++) {
    if (streams[i - 1]!.name > streams[i]!.name)
      return [...streams].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  return streams; // usually listed by name already: skip the sort
}

function buildFleet(input: ReconcileInput): Fleet {
  const hosts = new Map<string, Host>();
  const since = input.now - input.holdDownMs;
  for (const s of input.streamers) {
    if (hosts.has(s.hostname)) continue;
    const online = s.state === 'online';
    const canReturn = online && s.onlineSince !== null && s.onlineSince <= since;
    const limit = s.channelLimit;
    hosts.set(s.hostname, { s, limit, online, canReturn, count: 0, residents: [], queue: [], next: 0 });
  }
  const keys = labelKeysInUse(input.streamers);
  return { hosts, keys, groups: new Map(), random: input.random, ties: [] };
}

// One literal, no spread: a spread here made the whole run several times slower.
function change(p: Plan, ingest: string | null, now: number): LayoutChange {
  const layout: LayoutState = {
    ingest,
    failover_from: p.failoverFrom,
    created_at: now,
    change_reason: p.reason,
    originator: 'layouter',
  };
  return { name: p.stream.name, before: p.before, layout };
}

function moveAway(p: Plan, reason: ChangeReason, failoverFrom: string | null): void {
  p.host = null;
  p.reason = reason;
  p.failoverFrom = failoverFrom;
  p.needsPlace = true;
}

/** An enabled stream without a place. One still waiting after a failover keeps its origin and reason. */
function waiting(stream: StreamIn, before: string | null): Plan {
  const from = stream.layout?.failover_from ?? null;
  const was = stream.layout?.change_reason ?? null;
  const failover = from !== null && (was === 'node_become_offline' || was === 'node_deleted');
  const reason = failover ? was : 'not_distributed';
  return { stream, before, host: null, reason, failoverFrom: failover ? from : null, needsPlace: true };
}

/** Rules 2-5: what happens to the stream where it is now. */
function classify(stream: StreamIn, fleet: Fleet): Plan {
  const before = stream.layout?.ingest ?? null;
  if (stream.disabled) {
    return { stream, before, host: null, reason: 'stream_disabled', failoverFrom: null, needsPlace: false };
  }
  const p = waiting(stream, before);
  const host = before === null ? null : fleet.hosts.get(before);
  const why = host ? mismatch(stream, host.s, fleet.keys) : null;
  if (before === null) return p;
  if (!host) moveAway(p, 'node_deleted', before);
  else if (host.s.state === 'offline') moveAway(p, 'node_become_offline', before);
  else if (why) moveAway(p, why, null);
  else {
    p.host = host;
    p.needsPlace = false;
    host.count++;
  }
  return p;
}

/** Registers a staying stream with its streamer and, if it prefers another one, in that one's queue. */
function enlist(plans: Plan[], i: number, fleet: Fleet): void {
  const p = plans[i]!;
  if (!p.host) return;
  p.host.residents.push(i);
  const preferred = p.stream.preferred;
  if (preferred === null || preferred === p.host.s.hostname) return;
  const target = fleet.hosts.get(preferred);
  if (target?.canReturn && eligible(p.stream, target.s, fleet.keys)) target.queue.push(i);
}

/** Rule 8. A return frees a slot elsewhere that may let another stream return there, hence a worklist. */
function returnToPreferred(plans: Plan[], fleet: Fleet): void {
  const work = [...fleet.hosts.values()].filter((h) => h.queue.length > 0);
  for (let w = 0; w < work.length; w++) {
    const target = work[w]!;
    while (target.next < target.queue.length && target.count < target.limit) {
      const p = plans[target.queue[target.next++]!]!;
      const from = p.host!;
      from.count--;
      target.count++;
      p.host = target;
      p.reason = 'not_distributed';
      p.failoverFrom = null;
      if (from.next < from.queue.length) work.push(from);
    }
  }
}

/** Rule 6: a lowered limit sheds the excess, streams that prefer another streamer first. */
function trimOverLimit(plans: Plan[], fleet: Fleet): void {
  for (const h of fleet.hosts.values()) {
    const limit = Math.max(0, h.limit);
    if (h.count <= limit) continue;
    const here = h.residents.filter((i) => plans[i]!.host === h);
    const own = (i: number) => plans[i]!.stream.preferred === h.s.hostname;
    const order = [...here.filter((i) => !own(i)), ...here.filter(own)];
    for (const i of order.slice(0, h.count - limit)) moveAway(plans[i]!, 'node_channel_limit_exceeded', null);
    h.count = limit;
  }
}

function groupOf(stream: StreamIn, fleet: Fleet): Host[] {
  let byLabels = fleet.groups.get(stream.namespace);
  if (!byLabels) fleet.groups.set(stream.namespace, (byLabels = new Map()));
  let key = '';
  if (stream.labels !== null) {
    const pairs = Object.entries(stream.labels).filter(([k]) => fleet.keys.has(k));
    if (pairs.length) key = JSON.stringify(pairs.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  }
  let group = byLabels.get(key);
  if (!group) {
    group = [...fleet.hosts.values()].filter((h) => h.online && eligible(stream, h.s, fleet.keys));
    byLabels.set(key, group);
  }
  return group;
}

/** The least loaded streamer with room; equally loaded ones are drawn at random (the product's promise). */
function leastLoaded(group: readonly Host[], fleet: Fleet): Host | null {
  const ties = fleet.ties;
  // the best load as the fraction bestCount / bestLimit (1/0 = none yet); exact on integers
  let bestCount = 1;
  let bestLimit = 0;
  let n = 0;
  for (const h of group) {
    const c = h.count;
    const l = h.limit;
    if (c >= l) continue;
    const d = c * bestLimit - bestCount * l;
    if (d < 0) {
      bestCount = c;
      bestLimit = l;
      n = 0;
    }
    if (d <= 0) ties[n++] = h;
  }
  if (n <= 1) return n === 1 ? ties[0]! : null;
  return ties[Math.min(n - 1, Math.floor(fleet.random() * n))]!;
}

/** Rule 7: the preferred streamer if it can take the stream now, else the least loaded one. */
function place(p: Plan, fleet: Fleet): void {
  const pref = p.stream.preferred === null ? undefined : fleet.hosts.get(p.stream.preferred);
  const usePref = pref?.online && pref.count < pref.limit && eligible(p.stream, pref.s, fleet.keys);
  const host = usePref ? pref : leastLoaded(groupOf(p.stream, fleet), fleet);
  if (!host) return;
  host.count++;
  p.host = host;
}

export function reconcile(input: ReconcileInput): LayoutChange[] {
  const streams = byName(input.streams);
  const fleet = buildFleet(input);
  const anyOnline = [...fleet.hosts.values()].some((h) => h.online && h.s.role === 'streamer');
  // Rule 9: with nobody online the fleet view is more likely wrong than the whole fleet dead; keep all.
  if (!anyOnline) {
    return streams
      .filter((s) => s.disabled && (s.layout?.ingest ?? null) !== null)
      .map((s) => change(classify(s, fleet), null, input.now));
  }
  const plans = streams.map((s) => classify(s, fleet));
  for (let i = 0; i < plans.length; i++) enlist(plans, i, fleet);
  returnToPreferred(plans, fleet);
  trimOverLimit(plans, fleet);
  for (const p of plans) if (p.needsPlace) place(p, fleet);
  const changes: LayoutChange[] = [];
  for (const p of plans) {
    const ingest = p.host?.s.hostname ?? null;
    if (ingest !== p.before) changes.push(change(p, ingest, input.now));
  }
  return changes;
}
