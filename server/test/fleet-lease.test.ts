// A leader cut off from its database (every query hangs: a frozen network path, a paused server)
// stops the fleet loops by itself before its lease expires in the database, so that it never runs them
// alongside the process that takes over; once the database answers again, it leads again.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { testConfig, TEST_API_KEY } from '../../test-kit/app.ts';
import { testPostgres } from '../../test-kit/backends.ts';
import { waitUntil } from '../../test-kit/fleet.ts';
import { migrate } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { Fleet } from '../src/fleet/leader.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createStreamerClient } from '../src/lib/streamer-client.ts';

/** A TCP relay to PostgreSQL that can stop passing bytes, so every query on it hangs without an error. */
async function freezableRelay(port: number) {
  const pairs: net.Socket[][] = [];
  let frozen = false;
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, '127.0.0.1');
    for (const [a, b] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      a.on('data', (d) => b.write(d));
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
    if (frozen) {
      inbound.pause();
      outbound.pause();
    }
    pairs.push([inbound, outbound]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze(on: boolean) {
      frozen = on;
      for (const s of pairs.flat())
        if (on) s.pause();
        else s.resume();
    },
    close() {
      for (const s of pairs.flat()) s.destroy();
      server.close();
    },
  };
}

test('a leader whose database stops answering steps down before its lease expires, and leads again after', async (t) => {
  const server = await testPostgres();
  if (!server) return t.skip('PostgreSQL is not installed here');
  const direct = await server.createDatabase('lease_self');
  const straight = await openPostgres(direct, { retries: 0 }); // not through the relay
  await migrate(straight);
  const relay = await freezableRelay(server.port);
  const url = new URL(direct);
  url.port = String(relay.port);
  const db = await openPostgres(url.toString(), { retries: 0 });
  const logs: string[] = [];
  const client = createStreamerClient({ timeoutMs: 1000, policy: { allow: [], deny: [] } });
  const fleet = new Fleet({
    db,
    clock: systemClock,
    config: testConfig({ databaseUrl: url.toString() }),
    apiKey: TEST_API_KEY,
    client,
    log: (m) => logs.push(m),
  });
  after(async () => {
    relay.freeze(false);
    await fleet.stop();
    client.close();
    await db.close();
    relay.close();
    await straight.close();
  });
  await fleet.start();
  const LEADS = 'this process leads the fleet loops';
  await waitUntil(() => logs.includes(LEADS), 20_000, 'leading');

  relay.freeze(true);
  const STEPPED_DOWN = 'no longer leading the fleet loops: the lease could not be renewed in time';
  await waitUntil(() => logs.includes(STEPPED_DOWN), 20_000, 'the leader to step down by itself');
  const left = await straight.query<{ ms: number }>(
    `SELECT (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::int AS ms FROM central_leases`,
  );
  t.diagnostic(`stepped down ${left.rows[0]!.ms} ms before the lease expired in the database`);
  assert.ok(left.rows[0]!.ms > 0, 'stepped down before the lease expired');

  relay.freeze(false);
  await waitUntil(
    () => logs.lastIndexOf(LEADS) > logs.indexOf(STEPPED_DOWN),
    30_000,
    'leading again once the database answers',
  );
});
