// Live HTTP MPEG-TS: the HLS segments of a stream concatenated as they appear. Each segment is a
// standalone MPEG-TS (PAT/PMT first), so plain concatenation is a valid continuous transport stream.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';
import { isMissing, type Playlist, type PlaylistCache, type Segment } from './media-playlist.ts';

const CHUNK = 64 * 1024;

export interface LiveTsOptions {
  resolve(name: string): string | null;
  playlists: PlaylistCache;
  pollMs: number;
  /** End the response when no new segment appeared for this long: the source is gone. */
  idleMs: number;
}

/** Where a blocked writer is, so a watchdog can drop a client that stopped reading. */
interface Progress {
  blockedSince: number | null;
}

/** The segment to send after `next - 1`, or null when there is nothing new yet. */
export function pickNext(pl: Playlist, next: number | null): Segment | null {
  const first = pl.segments[0];
  const newest = pl.segments[pl.segments.length - 1];
  if (!first || !newest) return null;
  // Start live; after falling out of the window or a writer restart (sequence went back), rejoin live.
  if (next === null || first.seq > next || newest.seq < next - 1) return newest;
  // `>=`, not `===`: a URI the parser skipped leaves a gap that must not stall the client.
  return pl.segments.find((s) => s.seq >= next) ?? null;
}

/** One segment in bounded chunks; false when it was deleted before we could open it. */
async function* segmentChunks(
  path: string,
  signal: AbortSignal,
  p: Progress,
): AsyncGenerator<Buffer, boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
  // An open descriptor keeps the bytes readable even if ffmpeg deletes the file meanwhile.
  try {
    for (;;) {
      if (signal.aborted) return true;
      const { bytesRead, buffer } = await fh.read(Buffer.allocUnsafe(CHUNK), 0, CHUNK, null);
      if (bytesRead === 0) return true;
      p.blockedSince = Date.now();
      yield bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead);
      p.blockedSince = null;
    }
  } finally {
    await fh.close();
  }
}

async function* liveTs(
  name: string,
  o: LiveTsOptions,
  signal: AbortSignal,
  p: Progress,
): AsyncGenerator<Buffer> {
  let next: number | null = null;
  let lastNew = Date.now();
  while (!signal.aborted) {
    const dir = o.resolve(name);
    if (dir === null) return;
    const pl = await o.playlists.read(dir);
    const seg: Segment | null = pl && pickNext(pl, next);
    if (seg) {
      yield* segmentChunks(join(dir, seg.file), signal, p);
      next = seg.seq + 1;
      lastNew = Date.now();
      continue;
    }
    if (pl?.ended || Date.now() - lastNew > o.idleMs) return;
    await sleep(o.pollMs, undefined, { signal }).catch(() => undefined);
  }
}

/** Live clients, counted against a per-process cap, and stoppable all at once on shutdown. */
export class LiveClients {
  private readonly stops = new Set<() => void>();
  constructor(readonly max: number) {}
  get count(): number {
    return this.stops.size;
  }
  /** Registers a client's stop function; returns its release, or null when the cap is reached. */
  tryAdd(stop: () => void): (() => void) | null {
    if (this.stops.size >= this.max) return null;
    this.stops.add(stop);
    return () => this.stops.delete(stop);
  }
  /** Ends every live response, so a closing server is not held open by endless bodies. */
  stopAll(): void {
    for (const stop of [...this.stops]) stop();
  }
}

/**
 * Streams `name` to the client until it disconnects, the stream stops, or the client stops reading
 * for `stuckMs` (a stuck socket would otherwise pin a deleted segment's descriptor forever).
 */
export function sendLiveTs(
  reply: FastifyReply,
  name: string,
  o: LiveTsOptions & { stuckMs: number; clients: LiveClients },
): FastifyReply | null {
  const ac = new AbortController();
  let grace: NodeJS.Timeout | undefined;
  // Ending lets a reading client see a clean end; one that stopped reading is cut off shortly after.
  const release = o.clients.tryAdd(() => {
    ac.abort();
    grace ??= setTimeout(() => reply.raw.destroy(), 1000);
  });
  if (!release) return null;
  const progress: Progress = { blockedSince: null };
  const body = Readable.from(liveTs(name, o, ac.signal, progress), {
    objectMode: false,
    highWaterMark: CHUNK,
  });
  const watchdog = setInterval(
    () => {
      if (progress.blockedSince !== null && Date.now() - progress.blockedSince > o.stuckMs) {
        reply.log.info({ stream: name }, 'mpegts client stopped reading; dropping it');
        reply.raw.destroy();
      }
    },
    Math.min(5000, o.stuckMs),
  );
  reply.raw.once('close', () => {
    clearInterval(watchdog);
    clearTimeout(grace);
    ac.abort();
    body.destroy();
    release();
  });
  return (
    reply
      .header('Content-Type', 'video/mp2t')
      .header('Cache-Control', 'no-cache, no-store')
      .header('X-Accel-Buffering', 'no')
      // Not worth keeping alive after a live body; closing it lets a shutting-down server finish at once.
      .header('Connection', 'close')
      .send(body)
  );
}
