// The set of running streams: apply() makes it equal the wanted configs, one StreamRunner (one
// ffmpeg at a time) per stream, each writing HLS into its own directory under <root>/media.
import path from 'node:path';
import type { NetPolicy } from '@central/protocol/net-rules';
import type { Logger } from 'pino';
import { GuardProxy } from './guard-proxy.ts';
import type { InputRules } from './input-guard.ts';
import { mediaDir, mediaRoot } from './paths.ts';
import { reapOrphans } from './reaper.ts';
import { StreamRunner } from './runner.ts';
import { isRecord } from './units.ts';

export type StreamConfig = Record<string, unknown> & { name: string };

export interface StreamRunStats {
  status: 'running' | 'waiting' | 'error';
  /** Media progressed in the last ~5 s. */
  alive: boolean;
  /** kbit/s over the newest segments. */
  bitrate: number;
  /** Bytes written since the stream was opened on this streamer. */
  bytes_in: number;
  opened_at: number;
  started_at: number | null;
  lifetime: number;
  retry_count: number;
  input_index: number;
  url: string | null;
  source_error: string | null;
}

export interface ManagerOptions {
  root: string;
  log: Logger;
  /** The only directory file:// inputs may read (MEDIA_ROOT). Default: <root>/files. */
  filesRoot?: string;
  /** Address rules for network inputs (INPUT_ALLOW_CIDRS, INPUT_DENY_CIDRS). Default: allow all but
   * the always-denied addresses, as Central does. */
  policy?: NetPolicy;
  ffmpegPath?: string;
  /** Stall timeout: no progress for this long → treat the input as dead. Default 10_000. */
  stallMs?: number;
}

/**
 * The config fields that shape the ffmpeg command line. A change in any of them restarts the
 * stream; everything else (title, comment, labels, meta, position, named_by, static, stats…) is
 * just remembered. A new media feature must add its field here.
 */
const MEDIA_FIELDS = ['inputs', 'transcoder', 'segment_duration', 'segment_count', 'source_timeout'];

/** A canonical string of the media-relevant config (key order and input stats do not matter). */
export function mediaKey(cfg: Record<string, unknown>): string {
  const picked: Record<string, unknown> = {};
  for (const f of MEDIA_FIELDS) if (cfg[f] !== undefined) picked[f] = cfg[f];
  if (Array.isArray(picked.inputs))
    picked.inputs = picked.inputs.map((i: unknown) => {
      if (!isRecord(i)) return i;
      const { stats: _stats, ...rest } = i;
      return rest;
    });
  return stableJson(picked);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isRecord(v))
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

export class MediaManager {
  private readonly runners = new Map<string, StreamRunner>();
  private readonly keys = new Map<string, string>();
  /** Directories whose runner is still stopping: a successor waits before it cleans them. */
  private readonly leaving = new Map<string, Promise<void>>();
  private readonly root: string;
  private readonly log: Logger;
  private readonly rules: InputRules;
  private readonly proxy: GuardProxy;
  private closed = false;

  constructor(private readonly o: ManagerOptions) {
    this.root = path.resolve(o.root);
    this.log = o.log;
    const policy = o.policy ?? { allow: [], deny: [] };
    this.rules = { mediaRoot: path.resolve(o.filesRoot ?? path.join(this.root, 'files')), policy };
    this.proxy = new GuardProxy(policy, o.log);
  }

  /** Starts new streams, restarts changed ones, stops removed or disabled ones. Never throws. */
  apply(streams: Map<string, StreamConfig>): void {
    if (this.closed) return;
    for (const [name, runner] of [...this.runners]) {
      const cfg = streams.get(name);
      if (!cfg || cfg.disabled === true) this.remove(name, runner);
    }
    for (const [name, cfg] of streams) {
      try {
        if (cfg.disabled !== true && name !== '') this.upsert(name, cfg);
      } catch (err) {
        this.log.error({ stream: name, err: String(err) }, 'cannot apply stream config');
      }
    }
  }

  names(): string[] {
    return [...this.runners.keys()];
  }

  config(name: string): StreamConfig | undefined {
    return this.runners.get(name)?.config;
  }

  stats(name: string, now = Date.now()): StreamRunStats | undefined {
    return this.runners.get(name)?.stats(now);
  }

  dir(name: string): string | null {
    return this.runners.has(name) ? mediaDir(this.root, name) : null;
  }

  /** Pid of a stream's current ffmpeg (for tests and diagnostics). */
  pid(name: string): number | null {
    return this.runners.get(name)?.pid() ?? null;
  }

  async reapOrphans(): Promise<number> {
    const own = new Set([...this.runners.values()].flatMap((r) => r.pid() ?? []));
    const keep = new Set([...this.runners.keys()].map((n) => path.basename(mediaDir(this.root, n))));
    const programs = [path.basename(this.o.ffmpegPath ?? 'ffmpeg')];
    try {
      return await reapOrphans(mediaRoot(this.root), { exclude: own, keep, programs });
    } catch (err) {
      this.log.error({ err: String(err) }, 'cannot reap orphan ffmpeg processes');
      return 0;
    }
  }

  async stopAll(): Promise<void> {
    this.closed = true;
    for (const [name, runner] of [...this.runners]) this.remove(name, runner);
    await Promise.all(this.leaving.values());
    await this.proxy.close();
  }

  private upsert(name: string, cfg: StreamConfig): void {
    const key = mediaKey(cfg);
    const runner = this.runners.get(name);
    if (!runner) {
      const dir = mediaDir(this.root, name);
      const deps = {
        dir,
        rules: this.rules,
        proxy: this.proxy,
        log: this.log,
        ffmpegPath: this.o.ffmpegPath ?? 'ffmpeg',
        stallMs: this.o.stallMs ?? 10_000,
        after: this.leaving.get(dir),
      };
      this.runners.set(name, new StreamRunner(name, cfg, deps));
      this.log.info({ stream: name }, 'stream started');
    } else if (this.keys.get(name) !== key) runner.update(cfg);
    else runner.config = cfg;
    this.keys.set(name, key);
  }

  private remove(name: string, runner: StreamRunner): void {
    this.runners.delete(name);
    this.keys.delete(name);
    const dir = mediaDir(this.root, name);
    const done: Promise<void> = runner
      .stop()
      .catch((err: unknown) => this.log.error({ stream: name, err: String(err) }, 'cannot stop stream'))
      .finally(() => {
        if (this.leaving.get(dir) === done) this.leaving.delete(dir);
      });
    this.leaving.set(dir, done);
  }
}
