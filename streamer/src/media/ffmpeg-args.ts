// The whole ffmpeg command line for one stream and one of its inputs. Pure: no I/O, so every
// decision (copy or encode, timeouts, HLS window) is unit-tested without running ffmpeg.
import { readSize, TRANSCODER_LIMITS, transcoderProblem } from '@central/protocol';
import { SEGMENT_TEMPLATE } from './paths.ts';
import { sourceFor, type FakeOpts, type InputSpec, type Source } from './sources.ts';
import { isRecord, parseBitrate, positiveInt, positiveNumber } from './units.ts';

export interface HlsWindow {
  /** Target segment duration in ms (Flussonic's `segment_duration`). */
  segmentMs: number;
  /** Segments kept in the playlist (Flussonic's `segment_count`). */
  count: number;
}

export interface BuildOptions {
  /** The guard proxy URL (with this run's credentials) for http(s) inputs. */
  proxy?: string;
  /** Absolute playlist path. ffmpeg runs with the media directory as cwd and writes segments by
   * relative name, because its segment template would misread the %XX escapes of stream names. */
  playlist: string;
  /** Continue an existing playlist (restart or failover of the same stream). */
  append: boolean;
}

const PRESETS = new Set(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow']);

export function hlsWindow(cfg: Record<string, unknown>): HlsWindow {
  let ms = positiveNumber(cfg.segment_duration) ?? 2000;
  if (ms < 100) ms *= 1000; // written in seconds by mistake; ms below 100 would be meaningless
  const count = positiveInt(cfg.segment_count) ?? 6;
  return { segmentMs: Math.min(30_000, Math.max(500, ms)), count: Math.min(60, Math.max(2, count)) };
}

/** The argv for ffmpeg (without the program itself), or why this input cannot run. */
export function buildArgs(
  cfg: Record<string, unknown>,
  input: InputSpec & { file?: string },
  o: BuildOptions,
): { args: string[] } | { error: string } {
  // The runner refuses such a stream before this; a command line is never built for one either.
  const tooLarge = transcoderProblem(cfg.transcoder);
  if (tooLarge) return { error: tooLarge.title };
  const source = sourceFor(input, o);
  if ('error' in source) return source;
  const args = [
    ...['-nostdin', '-hide_banner', '-loglevel', 'error', '-nostats'],
    ...['-progress', 'pipe:1', '-stats_period', '1'],
    ...source.args,
    ...source.maps,
    ...codecArgs(cfg, source),
    ...['-max_muxing_queue_size', '1024'],
    ...hlsArgs(hlsWindow(cfg), o),
  ];
  return { args };
}

function hlsArgs(w: HlsWindow, o: BuildOptions): string[] {
  const flags = ['delete_segments', 'omit_endlist', 'discont_start', 'temp_file', 'independent_segments'];
  // ffmpeg ignores hls_init_time under append_list, so a continued playlist keeps its numbering
  // and a fresh one gets a short first segment instead (a player can start ~1 s after creation).
  if (o.append) flags.splice(1, 0, 'append_list');
  const init = !o.append && w.segmentMs > 1000 ? ['-hls_init_time', '1'] : [];
  return [
    ...['-f', 'hls', '-hls_time', String(w.segmentMs / 1000), ...init],
    ...['-hls_list_size', String(w.count), '-hls_flags', flags.join('+')],
    ...['-hls_segment_type', 'mpegts', '-hls_segment_filename', SEGMENT_TEMPLATE, o.playlist],
  ];
}

/** Copy by default; encode what the transcoder asks for; synthetic sources always encode. */
export function codecArgs(cfg: Record<string, unknown>, source: Source): string[] {
  const tc = isRecord(cfg.transcoder) ? cfg.transcoder : undefined;
  const v0: unknown = Array.isArray(tc?.video) ? tc.video[0] : undefined;
  const video = isRecord(v0) && v0.bitrate !== 'copy' ? v0 : undefined;
  const a = tc?.audio;
  const audio = isRecord(a) && Object.keys(a).length > 0 && a.bitrate !== 'copy' ? a : undefined;
  return [
    ...(video || source.fake ? videoArgs(video ?? {}, source.fake) : ['-c:v', 'copy']),
    ...(audio || source.fake ? audioArgs(audio ?? {}, source.fake) : ['-c:a', 'copy']),
  ];
}

function videoArgs(v: Record<string, unknown>, fake: FakeOpts | undefined): string[] {
  const preset = typeof v.preset === 'string' && PRESETS.has(v.preset) ? v.preset : undefined;
  const bitrate = parseBitrate(v.bitrate) ?? fake?.bitrate;
  const fps = positiveInt(v.fps);
  const gop = positiveInt(v.gop) ?? (fake ? (fps ?? fake.fps) : undefined);
  const filter = scaleFilter(v.size);
  const out = ['-c:v', v.codec === 'hevc' ? 'libx265' : 'libx264'];
  out.push('-preset', preset ?? (fake ? 'ultrafast' : 'veryfast'));
  // Synthetic pictures need no lookahead; one thread is the cheapest way to make many of them.
  if (fake) out.push('-tune', 'zerolatency', '-threads', '1');
  out.push('-pix_fmt', 'yuv420p');
  if (bitrate)
    out.push('-b:v', String(bitrate), '-maxrate', String(bitrate), '-bufsize', String(bitrate * 2));
  if (fps) out.push('-r', String(fps));
  // Fixed GOPs make segments cut on time; without a gop, force a keyframe every second instead.
  if (gop) out.push('-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0');
  else out.push('-force_key_frames', 'expr:gte(t,n_forced*1)');
  if (filter) out.push('-vf', filter);
  return out;
}

/**
 * A scale (and crop or pad) filter for Flussonic's `size` ({width, height, strategy} or "WxH"). With one
 * side given, the other follows the source's aspect ratio, bounded so that the picture stays within
 * TRANSCODER_LIMITS whatever the source's shape.
 */
export function scaleFilter(size: unknown): string | undefined {
  const { width, height } = readSize(size);
  let [w, h] = [positiveInt(width), positiveInt(height)];
  const strategy = isRecord(size) ? size.strategy : undefined;
  if (w) w -= w % 2;
  if (h) h -= h % 2;
  if (!w && !h) return undefined;
  if (!w || !h) {
    const L = TRANSCODER_LIMITS;
    const other = (side: number) => Math.min(L.maxSide, Math.floor(L.maxPixels / side / 2) * 2);
    const [bw, bh] = w ? [w, other(w)] : [other(h!), h!];
    return `scale=${bw}:${bh}:force_original_aspect_ratio=decrease:force_divisible_by=2`;
  }
  if (strategy === 'scale') return `scale=${w}:${h},setsar=1`;
  if (strategy === 'crop')
    return `scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},setsar=1`;
  return `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1`;
}

function audioArgs(a: Record<string, unknown>, fake: FakeOpts | undefined): string[] {
  const out = ['-c:a', 'aac'];
  const bitrate = parseBitrate(a.bitrate) ?? (fake ? 64_000 : undefined);
  if (bitrate) out.push('-b:a', String(bitrate));
  const rate = positiveInt(a.sample_rate);
  if (rate) out.push('-ar', String(rate));
  const channels = positiveInt(a.channels);
  if (channels) out.push('-ac', String(channels));
  return out;
}
