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
