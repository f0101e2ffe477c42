// What the streamer must remember across restarts, in its data directory:
// - config.json: settings written through the API (PUT /config by Central's provisioning: cluster_key,
//   config_external; local streams written with PUT /streams/{name}) and the permanent server_id.
//   They take precedence over the file and the environment, as Flussonic rewrites its own config file.
// - pulled-streams.json: the last stream list pulled from Central, so a restart while Central is
//   unreachable still runs what Central last asked for.
// Both are written atomically (temporary file, fsync, rename, fsync of the directory), mode 0600:
// config.json holds the cluster key.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { StreamConfig } from './config-external/poller.ts';

export interface SavedConfig {
  server_id: string;
  cluster_key?: string;
  /** null: switched off through the API (wins over CONFIG_EXTERNAL in the file). */
  config_external?: string | null;
  streams?: Record<string, StreamConfig>;
  /** Digests of the file/environment values in force when the API values were written. */
  configured?: { cluster_key: string; config_external: string };
}

export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeFileSync(fd, JSON.stringify(value));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dirFd = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file}: cannot read (${(e as Error).message}); fix or delete it`, { cause: e });
  }
}

const digest = (v: string | null) => crypto.createHash('sha256').update(JSON.stringify(v)).digest('hex');

function isStreamMap(v: unknown): v is Record<string, StreamConfig> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export class StreamerState {
  readonly configFile: string;
  readonly pulledFile: string;
  saved: SavedConfig;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
    this.configFile = path.join(dir, 'config.json');
    this.pulledFile = path.join(dir, 'pulled-streams.json');
    const v = readJson(this.configFile) as Partial<SavedConfig> | undefined;
    if (v !== undefined && (typeof v !== 'object' || v === null || typeof v.server_id !== 'string'))
      throw new Error(`${this.configFile}: not a streamer state file; fix or delete it`);
    this.saved = v ? (v as SavedConfig) : { server_id: crypto.randomUUID() };
    if (!v) this.save();
  }

  save(): void {
    writeJsonAtomic(this.configFile, this.saved);
  }

  update(patch: Partial<SavedConfig>): void {
    this.saved = { ...this.saved, ...patch };
    this.save();
  }

  /**
   * The newest setting wins: values written through the API stand until the operator changes the
   * file or environment value they replaced; then the new file/environment value takes over.
   */
  reconcileConfigured(clusterKey: string | null, configExternal: string | null): void {
    const now = { cluster_key: digest(clusterKey), config_external: digest(configExternal) };
    const was = this.saved.configured;
    const next = { ...this.saved, configured: now };
    if (was && was.cluster_key !== now.cluster_key) delete next.cluster_key;
    if (was && was.config_external !== now.config_external) delete next.config_external;
    this.saved = next;
    this.save();
  }

  /** The last complete list pulled from Central, or an empty map. */
  loadPulled(): Map<string, StreamConfig> {
    const v = readJson(this.pulledFile);
    if (!isStreamMap(v)) return new Map();
    return new Map(Object.entries(v).filter(([, s]) => !!s && typeof s === 'object'));
  }

  savePulled(streams: Map<string, StreamConfig>): void {
    writeJsonAtomic(this.pulledFile, Object.fromEntries(streams));
  }

  clearPulled(): void {
    fs.rmSync(this.pulledFile, { force: true });
  }
}
