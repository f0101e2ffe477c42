// The input side of an ffmpeg command line: which inputs a stream has, in which order they are
// tried, and how each URL scheme is opened.
import path from 'node:path';
import { isRecord, parseBitrate, positiveInt, positiveNumber } from './units.ts';

export const DEFAULT_SOURCE_TIMEOUT_S = 10;
/** What an http(s) input (MPEG-TS or HLS, plain or AES-128) may open, nested opens included. */
const HTTP_PROTOCOLS = 'http,https,tls,tcp,crypto,data,httpproxy';

export interface InputSpec {
  /** Position in the stream's `inputs[]` (what stats report), not the position in try order. */
  index: number;
  url: string;
  /** Network I/O timeout in seconds (`source_timeout`, else the default). */
  timeoutS: number;
  /** True when `source_timeout` was configured: it then also bounds stall detection. */
  timeoutSet: boolean;
  opts: Record<string, unknown>;
}

export interface FakeOpts {
  width: number;
  height: number;
  fps: number;
  bitrate: number;
}

export interface Source {
  /** Arguments up to and including the `-i`s. */
  args: string[];
  /** `-map` arguments selecting the streams to output. */
  maps: string[];
  /** Synthetic sources are always encoded; they also carry their picture size. */
  fake?: FakeOpts;
}

/** Inputs in try order: `priority` ascending (a missing priority counts as 0), stable. */
export function orderInputs(cfg: Record<string, unknown>): InputSpec[] {
  const raw = Array.isArray(cfg.inputs) ? cfg.inputs : [];
  const streamTimeout = positiveNumber(cfg.source_timeout);
  const specs: (InputSpec & { prio: number })[] = [];
  raw.forEach((entry: unknown, index) => {
    const opts = isRecord(entry) ? entry : typeof entry === 'string' ? { url: entry } : null;
    if (!opts || typeof opts.url !== 'string' || opts.url.trim() === '') return;
    const timeout = positiveNumber(opts.source_timeout) ?? streamTimeout;
    const prio = typeof opts.priority === 'number' && Number.isFinite(opts.priority) ? opts.priority : 0;
    specs.push({
      index,
      url: opts.url.trim(),
      timeoutS: timeout ?? DEFAULT_SOURCE_TIMEOUT_S,
      timeoutSet: timeout !== undefined,
      opts,
      prio,
    });
  });
  // Array.prototype.sort is stable, so equal priorities keep their inputs[] order.
  return specs.sort((a, b) => a.prio - b.prio).map(({ prio: _p, ...spec }) => spec);
}

function schemeOf(url: string): string {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? '';
}

/** How to open one input, or why it cannot be opened. `root` anchors relative file:// paths. */
export function sourceFor(input: InputSpec, root: string): Source | { error: string } {
  const scheme = schemeOf(input.url);
  const us = String(Math.round(input.timeoutS * 1_000_000));
  const maps = ['-map', '0:v:0?', '-map', '0:a:0?'];
  switch (scheme) {
    case 'fake':
      return fakeSource(input.url);
    case 'file':
      return { args: ['-re', '-stream_loop', '-1', '-i', `file:${filePath(input.url, root)}`], maps };
    case 'http':
    case 'https':
      // An HLS playlist from the network must not make ffmpeg open local files (file: URIs).
      return {
        args: [
          '-protocol_whitelist',
          HTTP_PROTOCOLS,
          ...httpOptions(input.opts),
          '-rw_timeout',
          us,
          '-i',
          input.url,
        ],
        maps,
      };
    case 'rtsp':
    case 'rtsps':
      // ffmpeg 5+: -timeout is the RTSP socket I/O timeout; TCP survives lossy networks and NAT.
      return { args: ['-rtsp_transport', 'tcp', '-timeout', us, '-i', input.url], maps };
    case 'rtmp':
    case 'rtmps':
    case 'udp':
    case 'rtp':
    case 'srt':
    case 'tcp':
      return { args: ['-rw_timeout', us, '-i', input.url], maps };
    case 'publish':
      return { error: 'publish:// inputs are not supported by this streamer' };
    default:
      return {
        error: `unsupported input scheme "${scheme || input.url.slice(0, 16)}" (supported: fake, file, http, https, rtsp, rtmp, udp, rtp, srt, tcp)`,
      };
  }
}

/** file://<abs path> or file://<path relative to the data directory>; %-escapes are decoded. */
export function filePath(url: string, root: string): string {
  let p = url.replace(/^file:\/\//i, '').split(/[?#]/, 1)[0]!;
  try {
    p = decodeURIComponent(p);
  } catch {
    // not %-encoded after all: use it verbatim
  }
  return path.resolve(root, p);
}

function httpOptions(opts: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (typeof opts.user_agent === 'string' && opts.user_agent) out.push('-user_agent', opts.user_agent);
  if (isRecord(opts.headers)) {
    const lines = Object.entries(opts.headers)
      .filter(([k, v]) => /^[\w-]+$/.test(k) && typeof v === 'string' && !/[\r\n]/.test(v))
      .map(([k, v]) => `${k}: ${String(v)}\r\n`);
    if (lines.length) out.push('-headers', lines.join(''));
  }
  return out;
}

const clamp = (n: number | undefined, lo: number, hi: number, dflt: number) =>
  n === undefined ? dflt : Math.min(hi, Math.max(lo, n));

/** A Flussonic-like synthetic source: test picture plus a tone, paced in real time. */
export function fakeSource(url: string): Source {
  const q = new URLSearchParams(url.split('?')[1]?.split('#', 1)[0] ?? '');
  const even = (n: number) => n - (n % 2); // yuv420p needs even dimensions
  const fake: FakeOpts = {
    width: even(clamp(positiveInt(q.get('width')), 16, 3840, 640)),
    height: even(clamp(positiveInt(q.get('height')), 16, 2160, 360)),
    fps: clamp(positiveInt(q.get('fps')), 1, 60, 25),
    bitrate: clamp(parseBitrate(q.get('bitrate') ?? undefined), 32_000, 20_000_000, 600_000),
  };
  const video = `testsrc2=size=${fake.width}x${fake.height}:rate=${fake.fps}`;
  const audio = 'sine=frequency=440:sample_rate=48000';
  return {
    args: ['-re', '-f', 'lavfi', '-i', video, '-re', '-f', 'lavfi', '-i', audio],
    maps: ['-map', '0:v:0', '-map', '1:a:0'],
    fake,
  };
}
