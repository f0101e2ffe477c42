// StreamerConfig: the streamer object of `/streamers` (GF-model StreamerConfigImpl, OD-central streamer_node).
import { Type, type Static } from '@sinclair/typebox';
import {
  Bool,
  ClosedObject,
  FreeObject,
  HttpUrl,
  Labels,
  NonNegInt,
  Nullable,
  Num,
  OpenObject,
  Percent,
  Str,
  StrArray,
  UnixName,
  UtcMs,
  Enum,
} from './common.ts';

/** A DNS name, optionally with a port; also IPv4 literals. */
export const HOSTNAME_PATTERN = '^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?(:[0-9]{1,5})?$';
export const Hostname = () => Type.String({ minLength: 1, maxLength: 253, pattern: HOSTNAME_PATTERN });

export const StreamerRole = Enum(['streamer', 'inference', 'identification', 'vision'] as const);

export const DvrConfig = OpenObject({
  name: Type.String({ minLength: 1 }),
  root: Type.String({ minLength: 1 }),
  expiration: Nullable(Num()),
  episodes_expiration: Nullable(Num()),
  storage_limit: Nullable(NonNegInt()),
  disk_usage_limit: Nullable(Percent()),
  disks: Nullable(Type.Array(FreeObject())),
  schedule: Nullable(Type.Array(Type.Array(Type.Integer()))),
  index: Nullable(Str()),
  episodes_url: Nullable(Str()),
  active: Nullable(Bool()),
});

export const StreamerNodeConfig = OpenObject({
  cluster_key: Nullable(Type.String({ maxLength: 256 })),
  event_sinks: Nullable(Type.Array(FreeObject())),
  http_proxies: Nullable(Type.Array(FreeObject())),
  rproxy: Nullable(FreeObject()),
  server_names: Nullable(Type.Array(OpenObject({ domain: Nullable(Str()), aliases: Nullable(StrArray()) }))),
});

export const streamerWritableFields = {
  hostname: Hostname(),
  role: Nullable(StreamerRole),
  api_url: Nullable(HttpUrl()),
  private_payload_url: Nullable(HttpUrl()),
  public_payload_url: Nullable(HttpUrl()),
  cluster_key: Nullable(Type.String({ maxLength: 256 })),
  channel_limit: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  cpu_limit: Nullable(Percent()),
  total_bandwidth: Nullable(NonNegInt()),
  max_bitrate: Nullable(NonNegInt()),
  labels: Nullable(Labels()),
  namespace: Nullable(UnixName()),
  is_restreamer: Nullable(Bool()),
  fetch_timeout: Nullable(Type.Number({ minimum: 0 })),
  stale_timeout: Nullable(Type.Number({ minimum: 0 })),
  dvrs: Nullable(Type.Array(DvrConfig, { maxItems: 64 })),
  config: Nullable(StreamerNodeConfig),
};

/** The body of `PUT /streamers/{hostname}`. `public` is the 2023 alias of `public_payload_url`. */
export const StreamerPatch = ClosedObject({
  ...streamerWritableFields,
  hostname: Type.Optional(Hostname()),
  public: Nullable(HttpUrl()),
  $reset: Type.Optional(Bool()),
});
export type StreamerPatch = Static<typeof StreamerPatch>;

export const StreamerConfig = Type.Object({
  ...streamerWritableFields,
  updated_at: Type.Optional(UtcMs()),
  stats: Type.Optional(Type.Union([FreeObject(), Type.Null()])),
});
export type StreamerConfig = Static<typeof StreamerConfig>;

export const DEFAULT_CHANNEL_LIMIT = 6000;
