// Where a stream's media lives on disk. Names become one path segment each: encodeURIComponent
// keeps '/' and other specials out of the path, and a leading '.' is escaped so that "." and ".."
// can never name the media root or its parent.
import fs from 'node:fs';
import path from 'node:path';

export const PLAYLIST = 'index.m3u8';
export const PID_FILE = 'ffmpeg.pid';
/** ffmpeg's segment template; the HTTP layer serves exactly `seg-<n>.ts`. */
export const SEGMENT_TEMPLATE = 'seg-%d.ts';
export const SEGMENT_RE = /^seg-(\d{1,15})\.ts$/;

/** `<root>/media`: every stream directory lives directly below it. */
export function mediaRoot(root: string): string {
  return path.join(root, 'media');
}

/** The media directory of a stream: <root>/media/<encodeURIComponent(name), a leading '.' as %2E>. */
export function mediaDir(root: string, name: string): string {
  const enc = encodeURIComponent(name).replace(/^\./, '%2E');
  return path.join(mediaRoot(root), enc);
}

/** Before ffmpeg continues a playlist: drop half-written files and segments the playlist forgot
 * (ffmpeg only deletes segments it listed itself, so these would otherwise stay forever). */
export function removeStaleFiles(dir: string): void {
  try {
    const listed = new Set(
      fs
        .readFileSync(path.join(dir, PLAYLIST), 'utf8')
        .split('\n')
        .map((l) => l.trim()),
    );
    for (const f of fs.readdirSync(dir)) {
      if (f.endsWith('.tmp') || (SEGMENT_RE.test(f) && !listed.has(f)))
        fs.rmSync(path.join(dir, f), { force: true });
    }
  } catch {
    // a missing file here only costs disk space
  }
}
