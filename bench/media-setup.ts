// Set-up of the streamer benchmark: the looped source file, real open-streamer processes and real
// Central on PGlite with the default fleet intervals. Processes go through bench/lib's spawnNode (bounded
// output, stopped on success, error and Ctrl-C) rather than test-kit's spawnStreamer/spawnCentral.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { onCleanup, sleep, spawnNode, waitReady, type Child } from './lib.ts';
import { DEFAULT_FLEET_ENV } from './fleet-setup.ts';
import { freePort } from '../test-kit/postgres.ts';
import { processTree } from './media-cpu.ts';

const run = promisify(execFile);
const EDIT_AUTH = 'admin:pass';
const BASIC = `Basic ${Buffer.from(EDIT_AUTH).toString('base64')}`;
export const CLUSTER_KEY = 'bench-media-cluster-key';
const API_KEY = 'bench-media-key-0123456789';

export const log = (msg: string) => console.log(`bench media: ${msg}`);

type Answer = { status: number; body: Record<string, unknown> | null };

async function call(url: string, method: string, auth: string, body?: unknown): Promise<Answer> {
  const r = await fetch(url, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

export interface Source {
  file: string;
  seconds: number;
  /** Total bitrate of the file (video, audio and MPEG-TS overhead), bit/s, as ffprobe reports it. */
  bitrate: number;
  description: string;
}

/** A 720p25 H.264 + AAC MPEG-TS file with 1 s GOPs at a constant ~2.5 Mbit/s of video (x264's CBR
 * filler keeps the byte rate honest: test patterns compress far below their target otherwise). */
export async function makeSource(dir: string, seconds = 20): Promise<Source> {
  const file = path.join(dir, 'source.ts');
  const abort = new AbortController();
  onCleanup('stop making the source file', () => abort.abort());
  const opts = { signal: abort.signal, timeout: 180_000 };
  await run(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'],
      ...['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(seconds)],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-b:v', '2500k'],
      ...['-maxrate', '2500k', '-bufsize', '5000k', '-x264-params', 'nal-hrd=cbr'],
      ...['-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-c:a', 'aac', '-b:a', '128k'],
      ...['-f', 'mpegts', file],
    ],
    opts,
  );
  const probe = await run(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'format=bit_rate', '-of', 'default=nw=1:nk=1', file],
    opts,
  );
  const bitrate = Number(probe.stdout.trim());
  const description = `${seconds} s, 1280×720 25 fps H.264 (1 s GOP, CBR 2.5 Mbit/s) + AAC 128 kbit/s, MPEG-TS`;
  return { file, seconds, bitrate, description };
}

export interface MediaStreamer {
  child: Child;
  hostname: string;
  port: number;
  base: string;
  startedAt: number;
  /** The streamer API (/streamer/api/v3), as the admin. */
  api(method: string, p: string, body?: unknown): Promise<Answer>;
  /** SIGTERM (the streamer ends its ffmpegs), then makes sure none of its children outlived it. */
  stop(): Promise<void>;
}

/** Starts `streamer/src/main.ts` and waits until it answers its readiness probe. */
export async function startMediaStreamer(o: {
  hostname: string;
  port?: number;
  dir: string;
  env?: Record<string, string>;
}): Promise<MediaStreamer> {
  const port = o.port ?? (await freePort());
  const base = `http://127.0.0.1:${port}`;
  const startedAt = Date.now();
  const child = spawnNode(`streamer ${o.hostname}`, 'streamer/src/main.ts', {
    STREAMER_HOSTNAME: o.hostname,
    STREAMER_HTTP: String(port),
    STREAMER_CLUSTER_KEY: CLUSTER_KEY,
    STREAMER_EDIT_AUTH: EDIT_AUTH,
    STREAMER_DIR: o.dir,
    STREAMER_CONFIG: '/dev/null',
    STREAMER_LOG_LEVEL: 'warn',
    ...o.env,
  });
  await waitReady(child, `${base}/streamer/api/v3/monitoring/readiness`, {});
  return {
    child,
    hostname: o.hostname,
    port,
    base,
    startedAt,
    api: (method, p, body) => call(`${base}/streamer/api/v3${p}`, method, BASIC, body),
    stop: () => stopTree(child),
  };
}

async function stopTree(child: Child) {
  const pid = child.proc.pid;
  const kids = pid === undefined ? [] : [...processTree(pid).keys()].filter((p) => p !== pid);
  await child.stop();
  // ffmpeg gets PR_SET_PDEATHSIG when setpriv exists; without it a SIGKILLed streamer leaves them.
  const alive = () => kids.filter((p) => fs.existsSync(`/proc/${p}`));
  for (let i = 0; i < 50 && alive().length; i++) await sleep(100);
  for (const p of alive()) {
    console.error(`bench media: process ${p} outlived ${child.name}; killing it`);
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

export interface MediaCentral {
  child: Child;
  base: string;
  api(method: string, p: string, body?: unknown): Promise<Answer>;
}

/** Central as a process on PGlite in `dir`, API_URL pointing at itself, Central's default intervals. */
export async function startMediaCentral(dir: string): Promise<MediaCentral> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawnNode('Central (media)', 'server/src/main.ts', {
    API_KEY,
    API_URL: base,
    HTTP_PORT: String(port),
    CENTRAL_DIR: dir,
    CENTRAL_CONFIG: '/dev/null',
    LOG_LEVEL: 'warn',
    ...DEFAULT_FLEET_ENV,
  });
  await waitReady(child, `${base}/central/api/v3/monitoring/readiness`, {});
  const auth = `Bearer ${API_KEY}`;
  return { child, base, api: (method, p, body) => call(`${base}/central/api/v3${p}`, method, auth, body) };
}

/** Registers the streamer once with `PUT /streamers/<host>`; Central then provisions config_external. */
export async function registerStreamer(central: MediaCentral, s: MediaStreamer) {
  const r = await central.api('PUT', `/streamers/${s.hostname}`, {
    api_url: s.base,
    cluster_key: CLUSTER_KEY,
  });
  if (r.status !== 200)
    throw new Error(`PUT /streamers/${s.hostname}: ${r.status} ${JSON.stringify(r.body)}`);
}

/**
 * Until Central sees this very process (its stats' started_at, so not a report from before a restart)
 * online and provisioned: only then does the layouter place new streams on it without delay.
 */
export async function waitProvisioned(central: MediaCentral, s: MediaStreamer, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    const r = await central.api('GET', `/streamers/${s.hostname}`);
    const status = r.body?.status as { state?: string; provisioning?: { status?: string } } | undefined;
    const started = Number((r.body?.stats as { started_at?: unknown } | null)?.started_at ?? 0);
    last = r.body?.status;
    if (
      status?.state === 'online' &&
      status.provisioning?.status === 'ok' &&
      started >= Math.floor(s.startedAt / 1000)
    )
      return;
    await sleep(250);
  }
  throw new Error(`${s.hostname} not online and provisioned in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}
