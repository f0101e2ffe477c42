// The fault suite's short form: fixed seeds whose plans hold every kind of fault (kill -9 and SIGSTOP
// of Central, the leader among them past its lease; kill and SIGSTOP of streamers; pg_ctl restart -m
// immediate and SIGSTOP of PostgreSQL), each run checked for every invariant. `npm run chaos` runs
// the long form. The checkers are tried on a world broken on purpose, so that they can fail.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { findPgBin, startPostgres, type PgServer } from '../../test-kit/postgres.ts';
import { waitUntil } from '../../test-kit/fleet.ts';
import { checkWrites, converge, notConverged } from '../checks.ts';
import { describe } from '../faults.ts';
import { Observer } from '../observer.ts';
import { Random } from '../prng.ts';
import { BOUNDS, plan, runOnce, setUp } from '../run-once.ts';
import { World } from '../world.ts';
import { Writer } from '../writer.ts';

const SEEDS = [32, 38];
const PHASE_MS = 30_000;
const ALL_KINDS = [
  'central-kill',
  'central-pause',
  'streamer-kill',
  'streamer-pause',
  'db-restart',
  'db-pause',
];

let pg: PgServer | null = null;
before(async () => {
  // Its own server: the suite restarts and pauses it, which the shared test server must not see.
  if (findPgBin()) pg = await startPostgres({ durable: true });
  else console.log('# notice: PostgreSQL is not installed; the fault suite is skipped');
});
after(async () => pg?.stop());

test('the fixed seeds hold every kind of fault, the leader killed and paused past its lease', () => {
  const faults = SEEDS.flatMap((s) => plan(s, PHASE_MS));
  assert.deepEqual(
    ALL_KINDS.filter((k) => !faults.some((f) => f.kind === k)),
    [],
  );
  assert.ok(faults.some((f) => f.kind === 'central-kill' && f.target === -1));
  assert.ok(faults.some((f) => f.kind === 'central-pause' && f.target === -1 && f.durationMs > 9000));
  assert.deepEqual(plan(SEEDS[0]!, PHASE_MS), plan(SEEDS[0]!, PHASE_MS), 'a seed replays its plan');
});

for (const seed of SEEDS)
  test(`chaos run with seed ${seed}: no invariant violated`, async (t) => {
    if (!pg) return t.skip('PostgreSQL is not installed');
    const r = await runOnce(seed, pg, PHASE_MS, (s) => t.diagnostic(s));
    t.diagnostic(
      `${r.writes.acknowledged}/${r.writes.attempted} writes acknowledged; converged in ${r.convergeMs} ms; ` +
        `takeovers ${r.takeovers.map((x) => `${x.ms} ms (${x.cause})`).join(', ') || 'none'}`,
    );
    const replay = `replay: npm run chaos -- --seed ${seed} --runs 1 --phase-seconds ${PHASE_MS / 1000}`;
    assert.deepEqual(r.violations, [], `${r.faults.map(describe).join(', ')}\n${replay}`);
    assert.ok(r.writes.acknowledged > 100, 'the client kept writing');
    assert.ok(r.convergeMs !== null && r.convergeMs <= BOUNDS.convergeMs);
  });

test('the checkers catch what they look for', async (t) => {
  if (!pg) return t.skip('PostgreSQL is not installed');
  const exits: string[] = [];
  const world = new World({
    pg,
    centrals: 1,
    streamers: 2,
    channelLimit: 8,
    onUnexpectedExit: (w) => exits.push(w),
  });
  let observer: Observer | null = null;
  after(async () => {
    await observer?.stop();
    await world.stop();
  });
  await world.start();
  observer = new Observer(world, BOUNDS, () => false);
  const names = await setUp(world, 6);
  observer.start();
  assert.ok((await converge(world, observer, 60_000)).ms !== null, 'the small world converges');

  const s1 = world.streamers[0]!;
  world.pause(s1);
  assert.equal(await notConverged(world, observer), 's1 does not answer');
  world.resume(s1);

  const writer = new Writer(world, new Random(1), names, 6);
  writer.acked.set('c1', 3);
  writer.attempted.set('c1', 3);
  assert.deepEqual(await checkWrites(observer, writer), [
    'acknowledged write lost: c1 is stored as v0, v3 was acknowledged',
  ]);

  const busiest = world.streamers.reduce((a, b) =>
    (observer!.running.get(a.name)?.size ?? 0) >= (observer!.running.get(b.name)?.size ?? 0) ? a : b,
  );
  busiest.channelLimit = 0;
  await waitUntil(
    () => observer!.violations.some((v) => v.includes('over its channel_limit 0')),
    10_000,
    'over limit seen',
  );

  await observer.db.query(`UPDATE central_leases SET epoch = 0`);
  await waitUntil(
    () => observer!.violations.some((v) => v.includes('epoch went back')),
    10_000,
    'epoch seen going back',
  );

  world.centrals[0]!.proc!.proc.kill('SIGKILL'); // not through world.kill: an exit no fault caused
  await waitUntil(() => exits.length === 1, 10_000, 'the unexpected exit reported');
  assert.match(exits[0]!, /central-1 exited by itself/);
});
