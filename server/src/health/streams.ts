// Stream observations from every streamer's list, merged per stream name: `running_on` is every
// streamer that reports it running; the other fields come from the best report. Reports are indexed by
// name, so merging a stream costs only its own reports; a report that did not change in a way that
// matters (status, alive, bitrate by more than 10%) marks nothing, so a steady fleet of 100,000 streams
// costs neither merges nor writes.
import type { SanitizedStreamStats, StreamerStreamItem } from '../lib/streamer-client.ts';
import type { StreamStatusWrite } from './repo.ts';

const RANK: Record<string, number> = { running: 3, waiting: 2, error: 1 };

function material(a: SanitizedStreamStats, b: SanitizedStreamStats): boolean {
  if (a.status !== b.status || a.alive !== b.alive) return true;
  const x = a.bitrate ?? 0;
  const y = b.bitrate ?? 0;
  return Math.abs(x - y) > Math.max(x, 1) * 0.1;
}

export class StreamObservations {
  /** name → streamer → its report */
  private byName = new Map<string, Map<string, SanitizedStreamStats>>();
  /** streamer → the names it reported last */
  private byHost = new Map<string, Set<string>>();
  private dirty = new Set<string>();
  private written = new Set<string>();

  /** A streamer's complete list (null: it is offline, its reports no longer count). */
  report(hostname: string, items: StreamerStreamItem[] | null) {
    const old = this.byHost.get(hostname) ?? new Set<string>();
    const now = new Set<string>();
    for (const it of items ?? []) {
      now.add(it.name);
      const stats = it.stats ?? {};
      let reports = this.byName.get(it.name);
      if (!reports) this.byName.set(it.name, (reports = new Map()));
      const prev = reports.get(hostname);
      reports.set(hostname, stats);
      if (!prev || material(prev, stats)) this.dirty.add(it.name);
    }
    for (const name of old)
      if (!now.has(name)) {
        const reports = this.byName.get(name);
        reports?.delete(hostname);
        if (reports && !reports.size) this.byName.delete(name);
        this.dirty.add(name);
      }
    if (items) this.byHost.set(hostname, now);
    else this.byHost.delete(hostname);
  }

  forget(hostname: string) {
    this.report(hostname, null);
  }

  private merge(name: string): { stats: Record<string, unknown>; lifetime: number | null } | null {
    const reports = this.byName.get(name);
    if (!reports) return null;
    let best: SanitizedStreamStats | null = null;
    const runningOn: string[] = [];
    for (const [host, s] of reports) {
      if (s.status === 'running' || (s.status === undefined && s.alive)) runningOn.push(host);
      if (!best || (RANK[s.status ?? ''] ?? 0) > (RANK[best.status ?? ''] ?? 0)) best = s;
    }
    if (!best) return null;
    const status = best.status ?? (runningOn.length ? 'running' : 'waiting');
    const stats: Record<string, unknown> = { ...best, status, running_on: runningOn.sort() };
    if (stats.alive === undefined) stats.alive = status === 'running';
    delete stats.lifetime;
    const lifetime = status === 'running' && typeof best.lifetime === 'number' ? best.lifetime : null;
    return { stats, lifetime };
  }

  /** The changes to write since the last call; a lifetime becomes a start time with `now`. */
  drain(now: number): { upserts: StreamStatusWrite[]; deletes: string[] } {
    const upserts: StreamStatusWrite[] = [];
    const deletes: string[] = [];
    for (const name of this.dirty) {
      const m = this.merge(name);
      if (!m) {
        if (this.written.delete(name)) deletes.push(name);
        continue;
      }
      this.written.add(name);
      upserts.push({ name, stats: m.stats, runningSince: m.lifetime === null ? null : now - m.lifetime });
    }
    this.dirty.clear();
    return { upserts, deletes };
  }
}
