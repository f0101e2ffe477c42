// Property tests of the layouter's decision on random fleets: the state after applying the changes is
// safe (limits, placement rules, nothing on dead streamers), complete (whatever can be placed is) and a
// fixpoint (a second run changes nothing). The oracles below are written independently of the module.
// Reproduce a failure with the seed and path of the fast-check report:
//   FC_SEED=<seed> FC_PATH=<path> node --import tsx --test server/test/layouter.property.test.ts
// CENTRAL_PROPERTY_RUNS=<n> changes the number of runs (default 200).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  reconcile,
  type ChangeReason,
  type LayoutChange,
  type ReconcileInput,
  type StreamIn,
  type StreamerIn,
} from '../src/layouter/reconcile.ts';

const RUNS = Number(process.env.CENTRAL_PROPERTY_RUNS ?? 200);
const fcParams = {
  numRuns: RUNS,
  includeErrorInReport: true,
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
  ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
};

const NOW = 10_000_000;
const HOLD = 60_000;
// h12 and h13 are usually not in the fleet: layouts and preferences then point at deleted streamers.
const HOSTS = Array.from({ length: 14 }, (_, i) => `h${i}`);
const NAMESPACES = [null, null, 'a', 'b'];
const REASONS: ChangeReason[] = ['node_become_offline', 'node_deleted', 'stream_disabled', 'not_distributed'];

const labelsArb = fc.option(
  fc.record({ zone: fc.constantFrom('x', 'y'), tier: fc.constant('gold') }, { requiredKeys: [] }),
  { nil: null },
);
const streamerArb = fc.record({
  hostname: fc.constantFrom(...HOSTS.slice(0, 12)),
  role: fc.constantFrom('streamer', 'streamer', 'streamer', 'inference'),
  state: fc.constantFrom('online' as const, 'online' as const, 'suspect' as const, 'offline' as const),
  onlineSince: fc.option(fc.integer({ min: NOW - 2 * HOLD, max: NOW }), { nil: null }),
  channelLimit: fc.integer({ min: 0, max: 20 }),
  namespace: fc.constantFrom(...NAMESPACES),
  labels: labelsArb,
});
const layoutArb = fc.option(
  fc.record({
    ingest: fc.option(fc.constantFrom(...HOSTS), { nil: null }),
    failover_from: fc.option(fc.constantFrom(...HOSTS), { nil: null }),
    created_at: fc.nat(NOW),
    change_reason: fc.option(fc.constantFrom(...REASONS), { nil: null }),
    originator: fc.constantFrom('layouter' as const, 'other' as const),
  }),
  { nil: null },
);
const streamArb = fc.record({
  name: fc.integer({ min: 0, max: 999 }).map((n) => `s${n}`),
  disabled: fc.constantFrom(false, false, false, true),
  namespace: fc.constantFrom(...NAMESPACES),
  // `tag` is used by no streamer: it must not constrain placement.
  labels: fc.option(
    fc.record({ zone: fc.constantFrom('x', 'y'), tag: fc.constant('t') }, { requiredKeys: [] }),
    { nil: null },
  ),
  preferred: fc.option(fc.constantFrom(...HOSTS), { nil: null }),
  layout: layoutArb,
});
const inputArb = fc.record({
  streamers: fc.uniqueArray(streamerArb, { maxLength: 12, size: 'max', selector: (s) => s.hostname }),
  streams: fc.uniqueArray(streamArb, { maxLength: 150, size: 'max', selector: (s) => s.name }),
  seed: fc.integer(),
});

// A dense variant for the rules that interact through capacity (6, 7, 8): one namespace, no labels,
// few streamers with tiny limits, and streams that mostly sit somewhere and prefer somewhere else.
const FEW = HOSTS.slice(0, 5);
const denseArb = fc.record({
  streamers: fc.uniqueArray(
    fc.record({
      hostname: fc.constantFrom(...FEW),
      role: fc.constant('streamer'),
      state: fc.constantFrom('online' as const, 'online' as const, 'suspect' as const),
      onlineSince: fc.constantFrom(0, NOW),
      channelLimit: fc.integer({ min: 0, max: 4 }),
      namespace: fc.constant(null),
      labels: fc.constant(null),
    }),
    { minLength: 1, maxLength: 5, selector: (s) => s.hostname },
  ),
  streams: fc.uniqueArray(
    fc.record({
      name: fc.integer({ min: 0, max: 99 }).map((n) => `s${n}`),
      disabled: fc.constant(false),
      namespace: fc.constant(null),
      labels: fc.constant(null),
      preferred: fc.option(fc.constantFrom(...FEW), { nil: null }),
      layout: fc.option(
        fc.constantFrom(...FEW).map((ingest) => ({
          ingest,
          failover_from: null,
          created_at: 0,
          change_reason: null,
          originator: 'other' as const,
        })),
        { nil: null, freq: 12 },
      ),
    }),
    { maxLength: 25, size: 'max', selector: (s) => s.name },
  ),
  seed: fc.integer(),
});

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function inputOf(streams: StreamIn[], streamers: StreamerIn[], seed: number): ReconcileInput {
  return { streams, streamers, now: NOW, holdDownMs: HOLD, random: rng(seed) };
}

function apply(streams: StreamIn[], changes: LayoutChange[]): StreamIn[] {
  const byName = new Map(changes.map((c) => [c.name, c.layout]));
  return streams.map((s) => ({ ...s, layout: byName.get(s.name) ?? s.layout }));
}

/** The placement rule, restated: role, namespace, and labels on keys some streamer uses. */
function belongs(s: StreamIn, h: StreamerIn, fleet: StreamerIn[]): boolean {
  const used = (k: string) => fleet.some((f) => f.labels && k in f.labels);
  const labelsOk = Object.entries(s.labels ?? {}).every(([k, v]) => !used(k) || h.labels?.[k] === v);
  return h.role === 'streamer' && h.namespace === s.namespace && labelsOk;
}

function checkChanges(streams: StreamIn[], changes: LayoutChange[]): void {
  const names = new Set(streams.map((s) => s.name));
  const before = new Map(streams.map((s) => [s.name, s.layout?.ingest ?? null]));
  assert.equal(new Set(changes.map((c) => c.name)).size, changes.length, 'one change per stream');
  for (const c of changes) {
    assert.ok(names.has(c.name), `unknown stream ${c.name}`);
    assert.equal(c.before, before.get(c.name));
    assert.notEqual(c.layout.ingest, c.before, `${c.name}: a change that changes nothing`);
    assert.equal(c.layout.originator, 'layouter');
    assert.equal(c.layout.created_at, NOW);
  }
}

function checkState(input: StreamIn[], after: StreamIn[], fleet: StreamerIn[]): void {
  const hosts = new Map(fleet.map((h) => [h.hostname, h]));
  const count = new Map<string, number>();
  for (const s of after) {
    const at = s.layout?.ingest ?? null;
    if (at !== null) count.set(at, (count.get(at) ?? 0) + 1);
    assert.ok(!(s.disabled && at !== null), `${s.name}: disabled but on ${at}`);
  }
  if (!fleet.some((h) => h.state === 'online' && h.role === 'streamer')) {
    input.forEach((s, i) => s.disabled || assert.equal(after[i]!.layout, s.layout, 'rule 9: nothing moves'));
    return;
  }
  const room = (h: StreamerIn) => h.state === 'online' && (count.get(h.hostname) ?? 0) < h.channelLimit;
  input.forEach((was, i) => {
    const s = after[i]!;
    const at = s.layout?.ingest ?? null;
    if (at === null) {
      const spare = fleet.find((h) => room(h) && belongs(s, h, fleet));
      assert.ok(s.disabled || !spare, `${s.name}: unplaced although ${spare?.hostname} has room`);
      return;
    }
    const h = hosts.get(at);
    assert.ok(h && h.state !== 'offline', `${s.name}: on deleted or offline ${at}`);
    assert.ok(belongs(s, h, fleet), `${s.name}: does not belong on ${at}`);
    const moved = at !== (was.layout?.ingest ?? null);
    assert.ok(!moved || h.state === 'online', `${s.name}: newly placed on suspect ${at}`);
    const home = s.preferred === null ? undefined : hosts.get(s.preferred);
    const settled = home && home.state === 'online' && (home.onlineSince ?? NOW) <= NOW - HOLD;
    const waits = settled && at !== home.hostname && room(home) && belongs(s, home, fleet);
    assert.ok(!waits, `${s.name}: could return to ${s.preferred}`);
  });
  for (const h of fleet) {
    const n = count.get(h.hostname) ?? 0;
    assert.ok(h.state !== 'online' || n <= Math.max(0, h.channelLimit), `${h.hostname}: ${n} > limit`);
  }
}

function safeCompleteFixpoint({
  streamers,
  streams,
  seed,
}: {
  streamers: StreamerIn[];
  streams: StreamIn[];
  seed: number;
}) {
  const changes = reconcile(inputOf(streams, streamers, seed));
  checkChanges(streams, changes);
  const after = apply(streams, changes);
  checkState(streams, after, streamers);
  assert.deepEqual(reconcile(inputOf(after, streamers, seed + 1)), [], 'idempotence');
}

test('after applying the changes the layout is safe, complete and a fixpoint', () => {
  fc.assert(fc.property(inputArb, safeCompleteFixpoint), fcParams);
});

test('the same on dense fleets where limits and preferences interact', () => {
  // Small inputs, so cheap: ten times the runs, enough to meet chains of returns (A frees B's home).
  fc.assert(fc.property(denseArb, safeCompleteFixpoint), { ...fcParams, numRuns: 10 * RUNS });
});

test('the answer depends only on the input: the same random sequence gives the same changes', () => {
  fc.assert(
    fc.property(inputArb, ({ streamers, streams, seed }) => {
      const first = reconcile(inputOf(streams, streamers, seed));
      const shuffled = [...streams].reverse();
      assert.deepEqual(reconcile(inputOf(shuffled, streamers, seed)), first);
    }),
    fcParams,
  );
});

test('streams on healthy streamers where they belong stay, unless a limit or their preference moves them', () => {
  fc.assert(
    fc.property(inputArb, ({ streamers, streams, seed }) => {
      const hosts = new Map(streamers.map((h) => [h.hostname, h]));
      for (const c of reconcile(inputOf(streams, streamers, seed))) {
        const s = streams.find((x) => x.name === c.name)!;
        const was = c.before === null ? undefined : hosts.get(c.before);
        if (s.disabled || !was || was.state === 'offline' || !belongs(s, was, streamers)) continue;
        const why = c.layout.change_reason;
        const home = why === 'not_distributed' && c.layout.ingest === s.preferred;
        assert.ok(home || why === 'node_channel_limit_exceeded', `${s.name} moved: ${why}`);
      }
    }),
    fcParams,
  );
});
