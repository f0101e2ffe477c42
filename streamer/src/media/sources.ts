// The input side of an ffmpeg command line: which inputs a stream has, in which order they are
// tried, and how each URL scheme is opened.
import { inputProblem } from '@central/protocol/input-rules';
import { isRecord, parseBitrate, positiveInt, positiveNumber } from './units.ts';

export const DEFAULT_SOURCE_TIMEOUT_S = 10;

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

/**
 * What each kind of input may open inside ffmpeg: `-protocol_whitelist` (nested opens included: an
 * HLS playlist cannot make ffmpeg read a local file or chain concat:, subfile:, data:, pipe:) and
 * `-format_whitelist` (only media demuxers: a text or HTML answer is never rendered into a picture).
 * Only demuxers that read the one file they are given: no playlist or indirection (hls, concat, ffconcat,
 * sdp, image2 patterns …), which would open other paths than the one input-guard checked.
 */
const MEDIA_FORMATS = 'mpegts,mov,matroska,flv,live_flv,aac,mp3,ac3,eac3,h264,hevc';
const OPEN: Record<string, { protocols: string; formats: string }> = {
  // A playlist inside the media root could list any file on the disk: file inputs get no hls demuxer.
  file: { protocols: 'file', formats: `${MEDIA_FORMATS},avi,mpeg,wav` },
  // http(s) reaches everything through the guard proxy: tcp to it, httpproxy for https tunnels;
  // crypto for AES-128 HLS. Its playlists may only name http(s) URLs, each checked by the proxy.
  http: { protocols: 'http,https,tls,tcp,httpproxy,crypto', formats: `hls,${MEDIA_FORMATS}` },
  rtsp: { protocols: 'tcp', formats: 'rtsp' },
  rtsps: { protocols: 'tls,tcp', formats: 'rtsp' },
  rtmp: { protocols: 'rtmp,tcp', formats: 'flv,live_flv' },
  rtmps: { protocols: 'rtmps,tls,tcp', formats: 'flv,live_flv' },
  srt: { protocols: 'srt', formats: 'mpegts' },
  udp: { protocols: 'udp', formats: 'mpegts' },
  rtp: { protocols: 'rtp,udp', formats: 'rtp,sdp,mpegts' },
};
const whitelist = (kind: string) => [
  '-protocol_whitelist',
  OPEN[kind]!.protocols,
  '-format_whitelist',
  OPEN[kind]!.formats,
];
/** Flussonic's names for HLS and MPEG-TS over HTTP. */
const HTTP_ALIASES: Record<string, string> = { hls: 'http', hlss: 'https', tshttp: 'http', tshttps: 'https' };

export interface SourceOptions {
  /** The guard proxy URL (with this run's credentials) for http(s) inputs. */
  proxy?: string;
}

/**
 * How to open one input that input-guard has checked (`file` is then its real path), or why it
 * cannot be opened.
 */
export function sourceFor(
  input: InputSpec & { file?: string },
  o: SourceOptions = {},
): Source | { error: string } {
  // The input rules again: buildArgs never builds a command line for an input they refuse.
  const problem = inputProblem({ ...input.opts, url: input.url });
  if (problem) return { error: problem.reason };
  const scheme = schemeOf(input.url);
  const us = String(Math.round(input.timeoutS * 1_000_000));
  const maps = ['-map', '0:v:0?', '-map', '0:a:0?'];
  switch (scheme) {
    case 'fake':
      return fakeSource(input.url);
    case 'file':
      if (!input.file) return { error: 'the file input was not checked' };
      return { args: [...whitelist('file'), '-re', '-stream_loop', '-1', '-i', `file:${input.file}`], maps };
    case 'http':
    case 'https':
    case 'hls':
    case 'hlss':
    case 'tshttp':
    case 'tshttps': {
      if (!o.proxy) return { error: 'http inputs need the input proxy' };
      const url = input.url.replace(/^[a-z]+:/i, `${HTTP_ALIASES[scheme] ?? scheme}:`);
      const net = ['-http_proxy', o.proxy, ...httpOptions(input.opts), '-rw_timeout', us];
      return { args: [...whitelist('http'), ...net, '-i', url], maps };
    }
    case 'rtsp':
    case 'rtsps':
      // ffmpeg 5+: -timeout is the RTSP socket I/O timeout; TCP survives lossy networks and NAT.
      return {
        args: [...whitelist(scheme), '-rtsp_transport', 'tcp', '-timeout', us, '-i', input.url],
        maps,
      };
    case 'rtmp':
    case 'rtmps':
    case 'udp':
    case 'srt':
      return { args: [...whitelist(scheme), '-rw_timeout', us, '-i', input.url], maps };
    case 'rtp':
      // The rtp demuxer takes no I/O timeout; stall detection ends a silent one.
      return { args: [...whitelist('rtp'), '-i', input.url], maps };
    case 'publish':
      return { error: 'publish:// inputs are not supported by this streamer' };
    default:
      return { error: `"${scheme || input.url.slice(0, 16)}" is not a supported input scheme` };
  }
}

/** user_agent and headers, already checked by the input rules (no CR/LF, no forbidden names). */
function httpOptions(opts: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (typeof opts.user_agent === 'string' && opts.user_agent) out.push('-user_agent', opts.user_agent);
  if (isRecord(opts.headers)) {
    const lines = Object.entries(opts.headers)
      .filter(([, v]) => typeof v === 'string')
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
