// Reading the HLS playlist that a stream's ffmpeg writes. ffmpeg replaces index.m3u8 by rename, so
// a read always sees a whole playlist, never a half-written one.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const PLAYLIST = 'index.m3u8';
export const SEGMENT_RE = /^seg-\d{1,15}\.ts$/;

export interface Segment {
  /** Media sequence number: the identity of a segment across playlist versions. */
  seq: number;
  /** File name inside the stream's directory, always matching SEGMENT_RE. */
  file: string;
}

export interface Playlist {
  segments: Segment[];
  /** `#EXT-X-ENDLIST`: the writer finished; no segment will follow. */
  ended: boolean;
}

/**
 * Segments of a media playlist. URIs that are not our own segment names are skipped, so whatever a
 * playlist says, only files matching SEGMENT_RE inside the stream directory are ever opened.
 */
export function parsePlaylist(text: string): Playlist {
  let seq = 0;
  let ended = false;
  const segments: Segment[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) seq = Number(line.slice(22)) || 0;
    else if (line === '#EXT-X-ENDLIST') ended = true;
    else if (line !== '' && !line.startsWith('#')) {
      const file = line.split('?')[0]!.split('/').pop() ?? '';
      if (SEGMENT_RE.test(file)) segments.push({ seq, file });
      seq++;
    }
  }
  return { segments, ended };
}

/** The playlist text, or null when the file does not exist (yet). */
export async function readPlaylistText(dir: string): Promise<string | null> {
  try {
    return await readFile(join(dir, PLAYLIST), 'utf8');
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

interface Cached {
  at: number;
  value: Promise<Playlist | null>;
}

/**
 * Shares playlist reads between everyone polling the same directory: a hundred MPEG-TS viewers of
 * one stream cost one read per interval, not a hundred.
 */
export class PlaylistCache {
  private readonly entries = new Map<string, Cached>();
  constructor(private readonly maxAgeMs = 200) {}

  read(dir: string): Promise<Playlist | null> {
    const now = Date.now();
    const hit = this.entries.get(dir);
    if (hit && now - hit.at < this.maxAgeMs) return hit.value;
    if (this.entries.size > 1000) this.prune(now);
    const value = readPlaylistText(dir).then((t) => (t === null ? null : parsePlaylist(t)));
    const entry = { at: now, value };
    // A failed read must not be served from the cache to the next poller.
    value.catch(() => this.entries.get(dir) === entry && this.entries.delete(dir));
    this.entries.set(dir, entry);
    return value;
  }

  private prune(now: number): void {
    for (const [dir, e] of this.entries) if (now - e.at >= this.maxAgeMs) this.entries.delete(dir);
  }
}
