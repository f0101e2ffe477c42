// Unit tests of the layouter's pure decision, one group per rule of server/src/layouter/reconcile.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  eligible,
  labelKeysInUse,
  loadOf,
  reconcile,
  type LayoutChange,
  type LayoutState,
  type ReconcileInput,
  type StreamIn,
  type StreamerIn,
} from '../src/layouter/reconcile.ts';

const NOW = 1_000_000;
const HOLD = 60_000;

function streamer(hostname: string, over: Partial<StreamerIn> = {}): StreamerIn {
  const base = { hostname, role: 'streamer', state: 'online' as const, onlineSince: 0, channelLimit: 10 };
  return { ...base, namespace: null, labels: null, ...over };
}
function layout(ingest: string | null, over: Partial<LayoutState> = {}): LayoutState {
  return { ingest, failover_from: null, created_at: 1, change_reason: null, originator: 'other', ...over };
}
function stream(name: string, over: Partial<StreamIn> = {}): StreamIn {
  const base = { name, disabled: false, namespace: null, labels: null };
  return { ...base, preferred: null, layout: null, ...over };
}
function run(streams: StreamIn[], streamers: StreamerIn[], over: Partial<ReconcileInput> = {}) {
  return reconcile({ streams, streamers, now: NOW, holdDownMs: HOLD, random: () => 0, ...over });
}
const on = (host: string | null, n: number, prefix = 's') =>
  Array.from({ length: n }, (_, i) => stream(`${prefix}${i}`, { layout: layout(host) }));
const ingests = (changes: LayoutChange[]) =>
  Object.fromEntries(changes.map((c) => [c.name, c.layout.ingest]));

describe('eligibility', () => {
  const keys = labelKeysInUse([streamer('a', { labels: { zone: 'x' } })]);
  test('namespace must be equal, null equals null', () => {
    assert.equal(eligible(stream('s'), streamer('a'), keys), true);
    assert.equal(eligible(stream('s', { namespace: 'n' }), streamer('a'), keys), false);
    assert.equal(eligible(stream('s', { namespace: 'n' }), streamer('a', { namespace: 'n' }), keys), true);
  });
  test('labels constrain only on keys some streamer uses; role must be streamer', () => {
    const zoned = stream('s', { labels: { zone: 'x', team: 'red' } });
    assert.equal(eligible(zoned, streamer('a', { labels: { zone: 'x' } }), keys), true);
    assert.equal(eligible(zoned, streamer('a', { labels: { zone: 'y' } }), keys), false);
    assert.equal(eligible(zoned, streamer('a'), keys), false);
    assert.equal(eligible(stream('s', { labels: { team: 'red' } }), streamer('a'), keys), true);
    assert.equal(eligible(stream('s'), streamer('a', { role: 'inference' }), keys), false);
  });
  test('load is count over limit', () => {
    assert.equal(loadOf(1, 3), loadOf(2, 6));
    assert.equal(loadOf(1, 0), Infinity);
  });
});

describe('placement (rule 7)', () => {
  test('a new stream goes to the least loaded streamer; the change is stamped', () => {
    const streams = [...on('a', 5), ...on('b', 2, 't'), stream('new')];
    const changes = run(streams, [streamer('a'), streamer('b', { channelLimit: 3 })]);
    assert.deepEqual(changes, [
      {
        name: 'new',
        before: null,
        layout: { ...layout('a'), created_at: NOW, change_reason: 'not_distributed', originator: 'layouter' },
      },
    ]);
  });
  test('the preferred streamer comes first while it has room, then the others', () => {
    const streams = [...on('a', 9), stream('p1', { preferred: 'a' }), stream('p2', { preferred: 'a' })];
    assert.deepEqual(ingests(run(streams, [streamer('a'), streamer('b')])), { p1: 'a', p2: 'b' });
  });
  test('only online streamers with room where the stream belongs; never-placed without a place: no change', () => {
    const streamers = [
      streamer('full', { channelLimit: 1 }),
      streamer('sus', { state: 'suspect' }),
      streamer('ns', { namespace: 'other' }),
    ];
    assert.deepEqual(run([...on('full', 1), stream('x', { preferred: 'sus' })], streamers), []);
  });
  test('equal loads are drawn at random: each streamer wins for some draw', () => {
    const fleet = [streamer('a'), streamer('b')];
    assert.equal(run([stream('x')], fleet, { random: () => 0 })[0]!.layout.ingest, 'a');
    assert.equal(run([stream('x')], fleet, { random: () => 0.99 })[0]!.layout.ingest, 'b');
  });
  test('counts include streams placed earlier in the same run, and limits hold', () => {
    const changes = run(on(null, 7), [
      streamer('a', { channelLimit: 3 }),
      streamer('b', { channelLimit: 3 }),
    ]);
    const per = (h: string) => changes.filter((c) => c.layout.ingest === h).length;
    assert.deepEqual([per('a'), per('b'), changes.length], [3, 3, 6]);
  });
  test('a stream still waiting after a failover keeps failover_from and the reason when placed', () => {
    const pending = layout(null, { failover_from: 'dead', change_reason: 'node_become_offline' });
    const [c] = run([stream('x', { layout: pending })], [streamer('a')]);
    assert.deepEqual(
      [c!.layout.ingest, c!.layout.failover_from, c!.layout.change_reason],
      ['a', 'dead', 'node_become_offline'],
    );
    const odd = layout(null, { failover_from: 'dead', change_reason: 'stream_disabled' });
    const [d] = run([stream('x', { layout: odd })], [streamer('a')]);
    assert.equal(d!.layout.change_reason, 'not_distributed');
  });
});

describe('moves away (rules 2-5)', () => {
  test('rule 2: a disabled stream is removed; without an ingest nothing happens', () => {
    const streams = [stream('d1', { disabled: true, layout: layout('a', { failover_from: 'z' }) })];
    streams.push(stream('d2', { disabled: true, layout: layout(null) }), stream('d3', { disabled: true }));
    const changes = run(streams, [streamer('a')]);
    assert.deepEqual(
      changes.map((c) => [c.name, c.before, c.layout.ingest, c.layout.failover_from]),
      [['d1', 'a', null, null]],
    );
    assert.equal(changes[0]!.layout.change_reason, 'stream_disabled');
  });
  test('rule 3: an unknown streamer is a deleted node', () => {
    const [c] = run(on('gone', 1), [streamer('a')]);
    assert.deepEqual(c!.layout, {
      ...layout('a'),
      failover_from: 'gone',
      change_reason: 'node_deleted',
      created_at: NOW,
      originator: 'layouter',
    });
  });
  test('rule 4: streams leave an offline streamer; a suspect one keeps its streams but gets no new ones', () => {
    const streams = [...on('off', 2), ...on('sus', 2, 't'), stream('new')];
    const fleet = [
      streamer('off', { state: 'offline' }),
      streamer('sus', { state: 'suspect' }),
      streamer('a'),
    ];
    const changes = run(streams, fleet);
    assert.deepEqual(ingests(changes), { new: 'a', s0: 'a', s1: 'a' });
    assert.equal(changes.find((c) => c.name === 's0')!.layout.change_reason, 'node_become_offline');
    assert.equal(changes.find((c) => c.name === 's0')!.layout.failover_from, 'off');
  });
  test('rule 5: a stream that no longer belongs moves, and it is not a failover', () => {
    const streams = [
      stream('ns', { namespace: 'n', layout: layout('a') }),
      stream('lab', { labels: { zone: 'x' }, layout: layout('a') }),
      stream('role', { layout: layout('inf') }),
    ];
    const fleet = [
      streamer('a', { labels: { zone: 'y' } }),
      streamer('inf', { role: 'inference' }),
      streamer('n', { namespace: 'n' }),
      streamer('x', { labels: { zone: 'x' } }),
      streamer('b'),
    ];
    const changes = run(streams, fleet);
    const got = changes.map((c) => [c.name, c.layout.ingest, c.layout.change_reason, c.layout.failover_from]);
    assert.deepEqual(got, [
      ['lab', 'x', 'node_misses_stream_required_labels', null],
      ['ns', 'n', 'namespace_mismatch', null],
      ['role', 'a', 'not_distributed', null],
    ]);
  });
  test('a moved stream with nowhere to go is unassigned and keeps the reason of the move', () => {
    const [c] = run(on('off', 1), [
      streamer('off', { state: 'offline' }),
      streamer('a', { channelLimit: 0 }),
    ]);
    assert.deepEqual([c!.before, c!.layout.ingest, c!.layout.failover_from], ['off', null, 'off']);
    assert.equal(c!.layout.change_reason, 'node_become_offline');
  });
});

describe('lowered channel limit (rule 6)', () => {
  test('the excess moves: streams preferring another streamer first, then by name', () => {
    const streams = [stream('a1', { preferred: 'a', layout: layout('a') }), ...on('a', 3)];
    const changes = run(streams, [streamer('a', { channelLimit: 1 }), streamer('b')]);
    assert.deepEqual(ingests(changes), { s0: 'b', s1: 'b', s2: 'b' });
    assert.ok(changes.every((c) => c.layout.change_reason === 'node_channel_limit_exceeded'));
  });
  test('a suspect streamer over its limit sheds too', () => {
    const changes = run(on('sus', 3), [
      streamer('sus', { state: 'suspect', channelLimit: 2 }),
      streamer('b'),
    ]);
    assert.deepEqual(ingests(changes), { s0: 'b' });
  });
});

describe('return to the preferred streamer (rule 8)', () => {
  const back = (onlineSince: number, over: Partial<StreamIn> = {}) =>
    run(
      [stream('x', { preferred: 'p', layout: layout('q', { failover_from: 'p' }), ...over })],
      [streamer('p', { onlineSince }), streamer('q')],
    );
  test('moves back once the preferred streamer has been online for the hold-down, not before', () => {
    assert.deepEqual(back(NOW - HOLD + 1), []);
    const [c] = back(NOW - HOLD);
    assert.deepEqual(
      [c!.before, c!.layout.ingest, c!.layout.change_reason, c!.layout.failover_from],
      ['q', 'p', 'not_distributed', null],
    );
  });
  test('no preferred streamer: no move back even with failover_from set', () => {
    assert.deepEqual(back(0, { preferred: null }), []);
  });
  test('not onto a full streamer or one where the stream does not belong; from a suspect one yes', () => {
    const x = stream('x', { preferred: 'p', layout: layout('q') });
    assert.deepEqual(run([x, ...on('p', 1)], [streamer('p', { channelLimit: 1 }), streamer('q')]), []);
    assert.deepEqual(run([x], [streamer('p', { namespace: 'n' }), streamer('q')]), []);
    assert.deepEqual(ingests(run([x], [streamer('p'), streamer('q', { state: 'suspect' })])), { x: 'p' });
  });
  test('a return frees room for another return', () => {
    const streams = [
      stream('toP', { preferred: 'p', layout: layout('q') }),
      stream('toQ', { preferred: 'q', layout: layout('r') }),
    ];
    const fleet = [streamer('p'), streamer('q', { channelLimit: 1 }), streamer('r')];
    assert.deepEqual(ingests(run(streams, fleet)), { toP: 'p', toQ: 'q' });
  });
});

describe('whole-run behaviour', () => {
  test('rule 9: with no streamer online only disabled streams are removed', () => {
    const streams = [...on('a', 2), stream('d', { disabled: true, layout: layout('a') }), stream('new')];
    const fleet = [streamer('a', { state: 'offline' }), streamer('b', { state: 'suspect' })];
    assert.deepEqual(ingests(run(streams, [...fleet, streamer('i', { role: 'inference' })])), { d: null });
  });
  test('changes come in name order whatever the input order, and repeat identically', () => {
    const streams = [stream('c'), stream('a'), stream('b')];
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) - 1) / 2147483646;
    const first = run(streams, [streamer('x'), streamer('y')], { random });
    seed = 7;
    assert.deepEqual(run(streams, [streamer('x'), streamer('y')], { random }), first);
    assert.deepEqual(
      first.map((c) => c.name),
      ['a', 'b', 'c'],
    );
  });
  test('100,000 streams on 200 streamers (timing logged, not asserted)', () => {
    // Literals of one shape, as a mapping from database rows produces (the helpers' spreads do not).
    const fleet: StreamerIn[] = Array.from({ length: 200 }, (_, i) => ({
      hostname: `h${String(i).padStart(3, '0')}`,
      role: 'streamer',
      state: i % 20 === 0 ? 'offline' : 'online',
      onlineSince: 0,
      channelLimit: 1000,
      namespace: null,
      labels: { zone: `z${i % 4}` },
    }));
    const streams: StreamIn[] = Array.from({ length: 100_000 }, (_, i) => ({
      name: `s${String(i).padStart(6, '0')}`,
      disabled: false,
      namespace: null,
      labels: i % 3 === 0 ? { zone: `z${i % 4}` } : null,
      preferred: i % 10 === 0 ? fleet[i % 200]!.hostname : null,
      layout: i % 2 === 0 ? layout(fleet[(i * 7) % 200]!.hostname) : null,
    }));
    const timed = () => {
      const started = performance.now();
      const changes = run(streams, fleet, { random: Math.random });
      return { ms: (performance.now() - started).toFixed(0), changes: changes.length };
    };
    const [cold, warm] = [timed(), timed()]; // the first run includes compiling the module's hot loops
    console.log(`# reconcile 100k streams x 200 streamers: ${cold.ms} ms cold, ${warm.ms} ms warm`);
    assert.equal(cold.changes, warm.changes);
    assert.ok(cold.changes > 0);
  });
});
