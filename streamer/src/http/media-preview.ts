// preview.jpg: the first frame of a stream's newest segment, made by ffmpeg on demand. Thumbnails are
// polled by dashboards, so results are cached briefly and extractions are shared and rationed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ffmpegEnv } from '../media/process.ts';

export interface PreviewOptions {
  ffmpegPath: string;
  cacheMs: number;
  timeoutMs: number;
  maxBytes: number;
  /** Extractions running at once; the rest wait in a queue. */
  concurrency: number;
  /** Waiting extractions beyond this are refused rather than queued without bound. */
  maxQueued: number;
}

export class PreviewBusyError extends Error {}

interface Entry {
  at: number;
  jpeg: Promise<Buffer>;
}

/** A counting semaphore with a bounded queue. */
class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly limit: number,
    private readonly maxQueued: number,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      if (this.waiting.length >= this.maxQueued) throw new PreviewBusyError('too many previews pending');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so `running` never dips and lets a newcomer jump in.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** Runs ffmpeg on one file and collects the JPEG it writes to stdout, within time and size limits. */
export function extractFrame(segment: string, o: PreviewOptions): Promise<Buffer> {
  // Segments are MPEG-TS files this streamer wrote; ffmpeg may open nothing else.
  const only = ['-protocol_whitelist', 'file', '-format_whitelist', 'mpegts'];
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', ...only, '-i', segment];
  args.push('-an', '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', 'pipe:1');
  return new Promise((resolve, reject) => {
    const child = spawn(o.ffmpegPath, args, { env: ffmpegEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let failure: Error | null = null;
    const fail = (err: Error) => {
      failure ??= err;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => fail(new Error(`ffmpeg took longer than ${o.timeoutMs} ms`)), o.timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > o.maxBytes) fail(new Error(`preview is larger than ${o.maxBytes} bytes`));
      else chunks.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 2000) stderr += b.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      const jpeg = Buffer.concat(chunks);
      if (failure) reject(failure);
      else if (code !== 0 || jpeg.length < 2 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8)
        reject(new Error(`ffmpeg exited with ${code}: ${stderr.trim().slice(0, 500)}`));
      else resolve(jpeg);
    });
  });
}

export class Previews {
  private readonly cache = new Map<string, Entry>();
  private readonly gate: Gate;
  private prunedAt = 0;
  constructor(private readonly o: PreviewOptions) {
    this.gate = new Gate(o.concurrency, o.maxQueued);
  }

  /**
   * The preview of the stream in `dir` from its segment `file`. Callers within `cacheMs` share one
   * result, including one still being extracted; failures are not cached.
   */
  get(dir: string, file: string): Promise<Buffer> {
    const now = Date.now();
    const hit = this.cache.get(dir);
    if (hit && now - hit.at < this.o.cacheMs) return hit.jpeg;
    // Sweeping once per cache period keeps memory bounded by the streams previewed lately.
    if (now - this.prunedAt >= this.o.cacheMs) this.prune(now);
    const jpeg = this.gate.run(() => extractFrame(join(dir, file), this.o));
    const entry = { at: now, jpeg };
    jpeg.catch(() => this.cache.get(dir) === entry && this.cache.delete(dir));
    this.cache.set(dir, entry);
    return jpeg;
  }

  private prune(now: number): void {
    this.prunedAt = now;
    for (const [dir, e] of this.cache) if (now - e.at >= this.o.cacheMs) this.cache.delete(dir);
  }
}
