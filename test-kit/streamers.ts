// Real open-streamer processes for end-to-end tests: spawned with their own data directory and port,
// with a small client for their API (admin login) and their HLS output.
import fs from 'node:fs';
import path from 'node:path';
import { spawnStreamer, type CentralProcess } from './central-process.ts';
import { tempDir } from './backends.ts';
import { freePort } from './postgres.ts';

export const STREAMER_ADMIN = { login: 'admin', password: 'streamer-test-pass' };
const BASIC = `Basic ${Buffer.from(`${STREAMER_ADMIN.login}:${STREAMER_ADMIN.password}`).toString('base64')}`;

export interface RunningStreamer {
  hostname: string;
  port: number;
  url: string;
  dir: string;
  process: CentralProcess;
  api<T = Record<string, unknown>>(
    method: string,
    p: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** Starts it again on the same port and data directory (after a stop or a kill). */
  restart(env?: Record<string, string>): Promise<void>;
}

export async function startStreamer(
  hostname: string,
  clusterKey: string,
  env: Record<string, string> = {},
): Promise<RunningStreamer> {
  const port = await freePort();
  const dir = tempDir(`streamer-${hostname}-`);
  const spawn = async (extra: Record<string, string>) => {
    const proc = spawnStreamer({
      STREAMER_HOSTNAME: hostname,
      STREAMER_HTTP: String(port),
      STREAMER_CLUSTER_KEY: clusterKey,
      STREAMER_EDIT_AUTH: `${STREAMER_ADMIN.login}:${STREAMER_ADMIN.password}`,
      STREAMER_DIR: dir,
      STREAMER_LOG_LEVEL: 'info',
      ...env,
      ...extra,
    });
    await proc.ready;
    return proc;
  };
  const s: RunningStreamer = {
    hostname,
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    process: await spawn({}),
    async api<T>(method: string, p: string, body?: unknown) {
      const res = await fetch(`http://127.0.0.1:${port}/streamer/api/v3${p}`, {
        method,
        headers: {
          authorization: BASIC,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
    async restart(extra = {}) {
      s.process = await spawn(extra);
    },
  };
  return s;
}

/** The newest segment of an HLS playlist at `url` saved into `dir`, or null while there is none. */
export async function fetchNewestSegment(url: string, dir: string): Promise<string | null> {
  const res = await fetch(url).catch(() => null);
  if (!res?.ok) return null;
  const segments = (await res.text()).split('\n').filter((l) => l && !l.startsWith('#'));
  const last = segments.at(-1);
  if (!last) return null;
  const seg = await fetch(new URL(last, url)).catch(() => null);
  if (!seg?.ok) return null;
  const file = path.join(dir, `segment-${Date.now()}.ts`);
  fs.writeFileSync(file, Buffer.from(await seg.arrayBuffer()));
  return file;
}
