// Stream observations from every streamer's list, merged per stream name: `running_on` is every
// streamer that reports it running; the other fields come from the best report. Only material changes
// are written (status, alive, running_on, bitrate by more than 10%, or a minute passed), so 100,000
// steady streams cost no writes.
import type { SanitizedStreamStats, StreamerStreamItem } from '../lib/streamer-client.ts';
import type { StreamStatusWrite } from './repo.ts';

const REFRESH_MS = 60_000;
const RANK: Record<string, number> = { running: 3, waiting: 2, error: 1 };

interface Written {
  key: string;
  bitrate: number;
  at: number;
}

export class StreamObservations {
  private byHost = new Map<string, Map<string, SanitizedStreamStats>>();
  private dirty = new Set<string>();
  private written = new Map<string, Written>();

  /** A streamer's complete list (null: it is offline, its reports no longer count). */
  report(hostname: string, items: StreamerStreamItem[] | null) {
    const old = this.byHost.get(hostname);
    for (const name of old?.keys() ?? []) this.dirty.add(name);
    if (!items) {
      this.byHost.delete(hostname);
      return;
    }
    const next = new Map<string, SanitizedStreamStats>();
    for (const it of items) {
      next.set(it.name, it.stats ?? {});
      this.dirty.add(it.name);
    }
    this.byHost.set(hostname, next);
  }

  forget(hostname: string) {
    this.report(hostname, null);
    this.byHost.delete(hostname);
  }

  private merge(name: string): { stats: Record<string, unknown>; runningSince: number | null } | null {
    let best: SanitizedStreamStats | null = null;
    const runningOn: string[] = [];
    for (const [host, streams] of this.byHost) {
      const s = streams.get(name);
      if (!s) continue;
      if (s.status === 'running' || (s.status === undefined && s.alive)) runningOn.push(host);
      if (!best || (RANK[s.status ?? ''] ?? 0) > (RANK[best.status ?? ''] ?? 0)) best = s;
    }
    if (!best) return null;
    const status = best.status ?? (runningOn.length ? 'running' : 'waiting');
    const stats: Record<string, unknown> = { ...best, status, running_on: runningOn.sort() };
    if (stats.alive === undefined) stats.alive = status === 'running';
    const lifetime = typeof best.lifetime === 'number' ? best.lifetime : null;
    delete stats.lifetime;
    return { stats, runningSince: status === 'running' && lifetime !== null ? lifetime : null };
  }

  /** The changes to write since the last call; runningSince is turned into a time with `now`. */
  drain(now: number): { upserts: StreamStatusWrite[]; deletes: string[] } {
    const upserts: StreamStatusWrite[] = [];
    const deletes: string[] = [];
    for (const name of this.dirty) {
      const m = this.merge(name);
      const prev = this.written.get(name);
      if (!m) {
        if (prev) deletes.push(name);
        this.written.delete(name);
        continue;
      }
      const s = m.stats;
      const key = JSON.stringify([s.status, s.alive, s.running_on, s.error ?? null]);
      const bitrate = typeof s.bitrate === 'number' ? s.bitrate : 0;
      const material =
        !prev ||
        prev.key !== key ||
        Math.abs(bitrate - prev.bitrate) > Math.max(prev.bitrate, 1) * 0.1 ||
        now - prev.at > REFRESH_MS;
      if (!material) continue;
      this.written.set(name, { key, bitrate, at: now });
      upserts.push({ name, stats: s, runningSince: m.runningSince === null ? null : now - m.runningSince });
    }
    this.dirty.clear();
    return { upserts, deletes };
  }
}
