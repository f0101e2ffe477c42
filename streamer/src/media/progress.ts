// What a running ffmpeg has done: media time from its `-progress` output (is it alive?) and bytes
// from the segments it wrote (the hls muxer reports total_size=N/A, so the files are the truth).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PLAYLIST, SEGMENT_RE } from './paths.ts';

/** Media must have advanced this recently for a stream to count as alive. */
export const ALIVE_MS = 5_000;
/** Bitrate is averaged over at least this much media, newest segments first. */
const BITRATE_WINDOW_S = 4;

interface SegmentInfo {
  seq: number;
  bytes: number;
  durationS: number;
}

/** `seg-<n>.ts` entries of a playlist with their EXTINF durations. */
export function playlistSegments(text: string): { seq: number; file: string; durationS: number }[] {
  const out: { seq: number; file: string; durationS: number }[] = [];
  let duration = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8)) || 0;
    else if (line && !line.startsWith('#')) {
      const m = SEGMENT_RE.exec(line);
      if (m) out.push({ seq: Number(m[1]), file: line, durationS: duration });
      duration = 0;
    }
  }
  return out;
}

export class MediaProgress {
  /** Bytes of all segments written since the stream was opened. */
  bytesIn = 0;
  /** When media time last advanced in the current process (ms epoch), null before it did. */
  lastAdvanceAt: number | null = null;
  private firstAdvanceAt: number | null = null;
  private outTimeUs = Number.NEGATIVE_INFINITY;
  private partial = '';
  private lastSeq = -1;
  private recent: SegmentInfo[] = [];
  private scanning = false;

  /** A new ffmpeg process: its media clock starts over. Byte counts continue. */
  beginProcess(): void {
    this.lastAdvanceAt = null;
    this.firstAdvanceAt = null;
    this.outTimeUs = Number.NEGATIVE_INFINITY;
    this.partial = '';
  }

  /** Feeds `-progress` output; true when media time advanced. */
  feed(chunk: string, now: number): boolean {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    let advanced = false;
    for (const line of lines) {
      if (!line.startsWith('out_time_us=')) continue;
      const us = Number(line.slice(12));
      if (!Number.isFinite(us) || us <= this.outTimeUs) continue;
      this.outTimeUs = us;
      this.lastAdvanceAt = now;
      this.firstAdvanceAt ??= now;
      advanced = true;
    }
    return advanced;
  }

  alive(now: number): boolean {
    return this.lastAdvanceAt !== null && now - this.lastAdvanceAt < ALIVE_MS;
  }

  /** How long media has been flowing in the current process. */
  flowedMs(): number {
    return this.firstAdvanceAt === null || this.lastAdvanceAt === null
      ? 0
      : this.lastAdvanceAt - this.firstAdvanceAt;
  }

  /** kbit/s over the newest segments (at least ~4 s of media). */
  bitrateKbit(): number {
    let bytes = 0;
    let seconds = 0;
    for (let i = this.recent.length - 1; i >= 0 && seconds < BITRATE_WINDOW_S; i--) {
      bytes += this.recent[i]!.bytes;
      seconds += this.recent[i]!.durationS;
    }
    return seconds > 0 ? Math.round((bytes * 8) / seconds / 1000) : 0;
  }

  /** Counts segments that appeared in the playlist since the last scan. Never rejects. */
  async scan(dir: string): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      const text = await readFile(path.join(dir, PLAYLIST), 'utf8');
      const segs = playlistSegments(text);
      const newest = segs.at(-1)?.seq ?? -1;
      // A playlist started over (numbering from 0 again): everything in it is new.
      if (newest < this.lastSeq) this.lastSeq = -1;
      for (const s of segs) {
        if (s.seq <= this.lastSeq) continue;
        const bytes = await stat(path.join(dir, s.file)).then(
          (st) => st.size,
          () => 0,
        );
        this.bytesIn += bytes;
        this.recent.push({ seq: s.seq, bytes, durationS: s.durationS });
        this.lastSeq = s.seq;
      }
      if (this.recent.length > 32) this.recent = this.recent.slice(-16);
    } catch {
      // no playlist yet, or the directory is being removed: nothing to count
    } finally {
      this.scanning = false;
    }
  }
}
