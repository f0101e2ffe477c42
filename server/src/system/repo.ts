// SQL of the monitoring endpoints: the fleet gauges of GET /metrics, one cheap query each.
import { leaseHolder } from '../db/lease.ts';
import type { Queryable } from '../db/types.ts';
import { streamCounts } from '../fleet/routes.ts';
import type { FleetCounts } from '../metrics.ts';

type Row = { key: string; n: number };
const counts = (rows: Row[]) => Object.fromEntries(rows.map((r) => [r.key, Number(r.n)]));

/** Streamers by health state (never polled: offline), streams by status, the fleet lease's epoch. */
export async function fleetCounts(db: Queryable, leaseName: string): Promise<FleetCounts> {
  const streamers = await db.query<Row>(
    `SELECT COALESCE(st.state, 'offline') AS key, count(*)::int AS n
     FROM streamers s LEFT JOIN streamer_status st ON st.hostname = s.hostname GROUP BY 1`,
    [],
    'metrics_streamers',
  );
  // The same buckets as GET /cluster/stats.
  const streams = await streamCounts(db);
  const lease = await leaseHolder(db, leaseName);
  return {
    streamers: counts(streamers.rows),
    streams: {
      running: streams.running,
      waiting: streams.waiting,
      error: streams.failing,
      disabled: streams.disabled,
    },
    leaseEpoch: lease?.epoch ?? 0,
  };
}
