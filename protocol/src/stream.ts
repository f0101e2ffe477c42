// CentralStreamConfig: the stream object of `/streams` (GF-model CentralStreamConfigImpl + OD-central).
import { Type, type Static } from '@sinclair/typebox';
import {
  Any,
  Bool,
  ClosedObject,
  FreeObject,
  Int,
  IntArray,
  Labels,
  NonNegInt,
  Nullable,
  Num,
  OpenObject,
  Percent,
  Str,
  StrArray,
  StrMap,
  UnixName,
  UtcMs,
  Enum,
} from './common.ts';

/**
 * Stream names may contain `/` (`mylive/bunny`) but no control characters, no empty segments and no
 * `.` or `..` segments (browsers, fetch and curl normalise those away, so such a stream is unreachable).
 */
export const STREAM_NAME_PATTERN = '^(?!/)(?!.*//)(?!.*/$)(?!(.*/)?\\.\\.?(/|$))[^\\u0000-\\u001f\\u007f]+$';
export const StreamName = () => Type.String({ minLength: 1, maxLength: 256, pattern: STREAM_NAME_PATTERN });

export const StreamInput = OpenObject({
  url: Type.String({ minLength: 1, maxLength: 4096 }),
  priority: Nullable(Int()),
  comment: Nullable(Str()),
  headers: Nullable(StrMap()),
  via: Nullable(Str()),
  user_agent: Nullable(Str()),
  source_timeout: Nullable(Any()),
  frames_timeout: Nullable(Int()),
  video_timeout: Nullable(Int()),
  audio_timeout: Nullable(Int()),
  max_retry_timeout: Nullable(Int()),
  timeout: Nullable(Int()),
  programs: Nullable(IntArray()),
  pids: Nullable(IntArray()),
  bitrate: Nullable(NonNegInt()),
  audio_bitrate: Nullable(NonNegInt()),
  video_bitrate: Nullable(NonNegInt()),
  latency: Nullable(Num()),
  id: Nullable(Str()),
});

export const StreamPush = OpenObject({
  url: Type.String({ minLength: 1, maxLength: 4096 }),
  comment: Nullable(Str()),
  disabled: Nullable(Bool()),
  retry_limit: Nullable(Int()),
  retry_timeout: Nullable(Int()),
  timeout: Nullable(Int()),
  connect_timeout: Nullable(Int()),
  bitrate: Nullable(NonNegInt()),
});

export const StreamDvrSpec = OpenObject({
  reference: Nullable(Str()),
  root: Nullable(Str()),
  expiration: Nullable(Int()),
  episodes_expiration: Nullable(Int()),
  storage_limit: Nullable(NonNegInt()),
  disk_usage_limit: Nullable(Percent()),
  redundancy_factor: Nullable(NonNegInt()),
  schedule: Nullable(Type.Array(IntArray())),
  remotes: Nullable(StrArray()),
  episodes_url: Nullable(Str()),
});

export const PlayProtocolsSpec = ClosedObject(
  Object.fromEntries(
    [
      'api',
      'cmaf',
      'dash',
      'hls',
      'jpeg',
      'm4f',
      'm4s',
      'mp4',
      'mseld',
      'mss',
      'player',
      'rtmp',
      'rtsp',
      'shoutcast',
      'srt',
      'tshttp',
      'webrtc',
      'whitelist',
    ].map((k) => [k, Nullable(Bool())]),
  ),
);

export const AuthSpec = ClosedObject({
  url: Nullable(Str()),
  max_sessions: Nullable(Int()),
  soft_limitation: Nullable(Bool()),
  allowed_countries: Nullable(StrArray()),
  disallowed_countries: Nullable(StrArray()),
  domains: Nullable(StrArray()),
  session_keys: Nullable(StrArray()),
  extra: Nullable(StrMap()),
});

export const LayoutReason = Enum([
  'stream_misses_node_required_labels',
  'node_misses_stream_required_labels',
  'node_become_offline',
  'stream_disabled',
  'node_deleted',
  'node_channel_limit_exceeded',
  'multistream_agent_ingest_conflict',
  'streamer_dvr_size_exceeded',
  'streamer_total_bandwidth_exceeded',
  'preferred_labels_better_match',
  'not_distributed',
  'dvr_redundancy_adjust',
  'node_cpu_pressure',
  'relayout_by_api',
  'namespace_mismatch',
] as const);

/** Fields a client may write. `stats`, `layout` and `updated_at` are server-owned and dropped on input. */
export const streamWritableFields = {
  name: StreamName(),
  title: Nullable(Type.String({ maxLength: 1024 })),
  comment: Nullable(Type.String({ maxLength: 4096 })),
  inputs: Nullable(Type.Array(StreamInput, { maxItems: 64 })),
  static: Nullable(Bool()),
  disabled: Nullable(Bool()),
  template: Nullable(Str()),
  labels: Nullable(Labels()),
  namespace: Nullable(UnixName()),
  streamer_hostname: Nullable(Type.String({ maxLength: 253 })),
  claims: Nullable(ClosedObject({ bitrate: Nullable(NonNegInt()) })),
  dvr: Nullable(StreamDvrSpec),
  transcoder: Nullable(FreeObject()),
  pushes: Nullable(Type.Array(StreamPush, { maxItems: 256 })),
  on_play: Nullable(AuthSpec),
  on_publish: Nullable(AuthSpec),
  protocols: Nullable(PlayProtocolsSpec),
  segment_duration: Nullable(Num()),
  segment_count: Nullable(Int()),
  chunk_duration: Nullable(Num()),
  url_prefix: Nullable(Any()),
  add_audio_only: Nullable(Bool()),
  hls_scte35: Nullable(Enum(['aws', 'scte35', 'rfc8216'] as const)),
  drm: Nullable(FreeObject()),
  thumbnails: Nullable(FreeObject()),
  backup: Nullable(FreeObject()),
  webrtc_abr: Nullable(FreeObject()),
  transport: Nullable(Enum(['udp', 'tcp'] as const)),
  srt_publish: Nullable(FreeObject()),
  srt_play: Nullable(FreeObject()),
  srt: Nullable(Type.Integer({ minimum: 1, maximum: 65535 })),
  srt2_publish: Nullable(FreeObject()),
  srt_port_resolve: Nullable(Bool()),
  mpegts_pids: Nullable(FreeObject()),
  mpegts_ac3: Nullable(Enum(['system_b', 'system_a', 'keep'] as const)),
  input_media_info: Nullable(FreeObject()),
  playback_headers: Nullable(Type.Array(FreeObject())),
  clients_timeout: Nullable(Any()),
  source_timeout: Nullable(Any()),
  video_timeout: Nullable(Int()),
  audio_timeout: Nullable(Int()),
  max_retry_timeout: Nullable(Int()),
  retry_limit: Nullable(Int()),
  prepush: Nullable(Any()),
  recheck_secondary_inputs_interval: Nullable(Int()),
  epg_enabled: Nullable(Bool()),
  dvbocr: Nullable(Enum(['replace', 'add'] as const)),
  vision: Nullable(FreeObject()),
  jpeg_snapshot_sign_key: Nullable(Str()),
  position: Nullable(Int()),
  named_by: Nullable(Enum(['config', 'user', 'remote', 'external'] as const)),
  config_on_disk: Nullable(FreeObject()),
  provider: Nullable(Str()),
  meta: Nullable(StrMap()),
  autogenerated_episodes_close_timeout: Nullable(Int()),
};

/** The body of `PUT /streams/{name}`: a JSON merge patch of the stream. `name` comes from the path if absent. */
export const StreamPatch = Type.Object(
  {
    ...streamWritableFields,
    name: Type.Optional(StreamName()),
    $reset: Type.Optional(Bool()),
  },
  { additionalProperties: false },
);
export type StreamPatch = Static<typeof StreamPatch>;

export const StreamLayout = Type.Object({
  ingest: Nullable(Str()),
  inference: Nullable(Str()),
  dvr_backups: Nullable(StrArray()),
  failover_from: Nullable(Str()),
  originator: Nullable(Enum(['layouter', 'other'] as const)),
  created_at: Nullable(UtcMs()),
  change_reason: Nullable(LayoutReason),
});

/** A stream as Central answers it. */
export const CentralStream = Type.Object({
  ...streamWritableFields,
  updated_at: UtcMs(),
  layout: Type.Optional(StreamLayout),
  stats: Type.Optional(FreeObject()),
});
export type CentralStream = Static<typeof CentralStream>;

/**
 * Upper bounds of what a stream may ask a transcoder for, so that one stream config cannot take a
 * streamer's memory and CPU (an 8192x8192, 1000 fps encode is about 1 GB and a whole core for one
 * ffmpeg). Flussonic's OpenAPI declares no bounds for these fields; these are above any real stream:
 * 8K UHD (7680x4320), 120 fps, 200 Mbit/s of video, 2 Mbit/s of audio (PCM stereo is 1.5), 192 kHz,
 * 16 channels. Central refuses more at save time; the open streamer does not run it.
 */
export const TRANSCODER_LIMITS = Object.freeze({
  maxSide: 7680,
  maxPixels: 7680 * 4320,
  maxFps: 120,
  maxVideoBitrate: 200_000_000,
  maxAudioBitrate: 2_000_000,
  maxSampleRate: 192_000,
  maxChannels: 16,
});

/**
 * Bit/s from a Flussonic bitrate: an integer in bit/s (1000000), or a string with a k/M suffix
 * ("64k", "2M"). Small bare numbers (< 10000) are taken as kbit/s, the way Flussonic's own
 * examples write audio bitrates (96 = 96 kbit/s). "copy" and garbage give undefined.
 */
export function parseBitrate(v: unknown): number | undefined {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const m = /^\s*(\d{1,15}(?:\.\d{1,6})?)\s*([kKmM]?)\s*$/.exec(v);
    if (!m) return undefined;
    const mult = { '': 1, k: 1e3, m: 1e6 }[m[2]!.toLowerCase() as '' | 'k' | 'm'];
    if (m[2] !== '') return Math.round(Number(m[1]) * mult);
    n = Number(m[1]);
  } else return undefined;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return Math.round(n < 10_000 ? n * 1000 : n);
}

/**
 * A number from a JSON number or a numeric string ("25", "30000/1001"); undefined otherwise. The one
 * reader of transcoder numbers: the limits below and the open streamer's ffmpeg arguments read a
 * setting the same way, so nothing the check cannot read can run.
 */
export function readNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const ratio = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(v);
  if (ratio) return Number(ratio[2]) > 0 ? Number(ratio[1]) / Number(ratio[2]) : undefined;
  const n = v.trim() === '' ? NaN : Number(v);
  return Number.isFinite(n) ? n : undefined;
}
const numberOf = readNumber;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Width and height of a Flussonic `size` ({width, height} or "WxH"), each as written (or absent). */
export function readSize(size: unknown): { width?: number; height?: number } {
  if (typeof size === 'string') {
    const m = /^\s*(\d+)\s*x\s*(\d+)\s*$/i.exec(size);
    return m ? { width: Number(m[1]), height: Number(m[2]) } : {};
  }
  if (!isObject(size)) return {};
  const [width, height] = [readNumber(size.width), readNumber(size.height)];
  return { ...(width !== undefined ? { width } : {}), ...(height !== undefined ? { height } : {}) };
}

/** Why a Flussonic `size` is too large, or null. */
function sizeProblem(size: unknown): string | null {
  const L = TRANSCODER_LIMITS;
  const { width: w, height: h } = readSize(size);
  for (const [side, n] of [
    ['width', w],
    ['height', h],
  ] as const)
    if (n !== undefined && n > L.maxSide) return `${side} ${n} is above ${L.maxSide}`;
  if (w !== undefined && h !== undefined && w * h > L.maxPixels)
    return `${w}x${h} is more pixels than ${L.maxSide}x${L.maxPixels / L.maxSide}`;
  return null;
}

/** Problems of one video or audio settings object, as [field, reason]. */
function settingsProblem(o: Record<string, unknown>, kind: 'video' | 'audio'): [string, string] | null {
  const L = TRANSCODER_LIMITS;
  if (kind === 'video') {
    const size = sizeProblem(o.size);
    if (size) return ['size', size];
    const fps = numberOf(o.fps);
    if (fps !== undefined && fps > L.maxFps) return ['fps', `${fps} is above ${L.maxFps}`];
  }
  const max = kind === 'video' ? L.maxVideoBitrate : L.maxAudioBitrate;
  const bitrate = parseBitrate(o.bitrate);
  if (bitrate !== undefined && bitrate > max)
    return ['bitrate', `${bitrate} bit/s is above ${max} (${max / 1_000_000} Mbit/s)`];
  if (kind === 'audio' || 'sample_rate' in o || 'channels' in o) {
    const rate = numberOf(o.sample_rate);
    if (rate !== undefined && rate > L.maxSampleRate)
      return ['sample_rate', `${rate} is above ${L.maxSampleRate}`];
    const channels = numberOf(o.channels);
    if (channels !== undefined && channels > L.maxChannels)
      return ['channels', `${channels} is above ${L.maxChannels}`];
  }
  return null;
}

/**
 * The first transcoder setting above TRANSCODER_LIMITS, named as an API error names a field
 * (`/transcoder/video/0/size`, `transcoder.video[0].size: …`); null when every setting is within
 * them. Looks at `video[]`, `audio`, `tracks[]` and `global.fps`; other fields and shapes are left to
 * the schema and to the streamer.
 */
export function transcoderProblem(transcoder: unknown): { pointer: string; title: string } | null {
  if (!isObject(transcoder)) return null;
  const found = (path: (string | number)[], field: string, reason: string) => ({
    pointer: `/transcoder/${[...path, field].join('/')}`,
    title: `transcoder${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}.${field}: ${reason}`,
  });
  const lists: [string, 'video' | 'track'][] = [
    ['video', 'video'],
    ['tracks', 'track'],
  ];
  for (const [key, what] of lists) {
    const list = transcoder[key];
    if (!Array.isArray(list)) continue;
    for (const [i, item] of list.entries()) {
      if (!isObject(item)) continue;
      const kind = what === 'track' && item.content === 'audio' ? 'audio' : 'video';
      const p = settingsProblem(item, kind);
      if (p) return found([key, i], ...p);
    }
  }
  if (isObject(transcoder.audio)) {
    const p = settingsProblem(transcoder.audio, 'audio');
    if (p) return found(['audio'], ...p);
  }
  if (isObject(transcoder.global)) {
    const fps = numberOf(transcoder.global.fps);
    if (fps !== undefined && fps > TRANSCODER_LIMITS.maxFps)
      return found(['global'], 'fps', `${fps} is above ${TRANSCODER_LIMITS.maxFps}`);
  }
  return null;
}
