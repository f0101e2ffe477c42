// The wire shapes the UI reads (a subset of protocol/src/stream.ts and streamer.ts, kept local so the
// browser bundle never pulls TypeBox or node-only modules).

export type Labels = Record<string, string>;

export interface StreamInput {
  url: string;
  priority?: number | null;
  [k: string]: unknown;
}

export type StreamStatus = 'running' | 'waiting' | 'error';

export interface StreamStats {
  status?: StreamStatus;
  alive?: boolean;
  bitrate?: number;
  lifetime?: number;
  running_on?: string[];
  streaming_endpoint?: string;
  source_error?: string;
  [k: string]: unknown;
}

export interface StreamLayout {
  ingest?: string | null;
  failover_from?: string | null;
  originator?: 'layouter' | 'other' | null;
  created_at?: number | null;
  change_reason?: string | null;
}

export interface Stream {
  name: string;
  title?: string | null;
  inputs?: StreamInput[] | null;
  disabled?: boolean | null;
  labels?: Labels | null;
  streamer_hostname?: string | null;
  updated_at?: number;
  layout?: StreamLayout;
  stats?: StreamStats;
  [k: string]: unknown;
}

export interface Collection {
  estimated_count?: number;
  next?: string;
  prev?: string;
}
export interface StreamList extends Collection {
  streams: Stream[];
}
export interface StreamerList extends Collection {
  streamers: Streamer[];
}

export type StreamerState = 'online' | 'suspect' | 'offline';
export type ProvisioningStatus = 'ok' | 'pending' | 'error' | 'disabled' | 'not_configured';

export interface HealthChecks {
  reachable?: boolean;
  running?: boolean;
  valid_cluster_key?: boolean;
  time_synchronized?: boolean;
  config_ok?: boolean;
  config_external_ok?: boolean;
  errors_details?: { rule: string; error: string }[];
}

export interface StreamerStats {
  cpu_usage?: number;
  memory_usage?: number;
  bandwidth_usage?: number;
  input_kbit?: number;
  output_kbit?: number;
  server_version?: string;
  uptime?: number;
  /** Central's checks: `{status, status_changed_at, checks: {...}}` (older shape: the checks inline). */
  healthcheck_status?: (HealthChecks & { status?: string; checks?: HealthChecks }) | null;
  [k: string]: unknown;
}

export interface Streamer {
  hostname: string;
  role?: string | null;
  api_url?: string | null;
  public_payload_url?: string | null;
  private_payload_url?: string | null;
  cluster_key?: string | null;
  channel_limit?: number | null;
  labels?: Labels | null;
  updated_at?: number;
  status?: {
    state: StreamerState;
    streams?: number;
    provisioning?: {
      status: ProvisioningStatus;
      error?: string;
      config_external?: string;
      attempts?: number;
    };
    last_seen_at?: number;
    online_since?: number;
    error?: string;
  };
  stats?: StreamerStats | null;
}

export interface StatsPoint {
  at: number;
  cpu_usage?: number | null;
  memory_usage?: number | null;
  bandwidth_usage?: number | null;
  input_kbit?: number | null;
  output_kbit?: number | null;
  total_streams?: number | null;
  online_streams?: number | null;
}
export interface StatsHistory {
  hostname: string;
  points: StatsPoint[];
}

export interface LayoutHistoryItem {
  ingest?: string | null;
  failover_from?: string | null;
  originator?: string;
  change_reason?: string | null;
  created_at: number;
  [k: string]: unknown;
}
export interface LayoutHistory {
  layouts: LayoutHistoryItem[];
  next?: string;
}

export type PlaybackKey =
  'hls' | 'll_hls' | 'dash' | 'mpegts' | 'rtmp' | 'rtsp' | 'srt' | 'webrtc' | 'embed' | 'preview';
export interface Playback {
  name: string;
  ingest: string | null;
  urls: Partial<Record<PlaybackKey, string>>;
}

type Totals = { total: number; [level: string]: number };
export interface ClusterStats {
  collected_at: number;
  stream_metrics_total: Totals;
  streamer_metrics_total: Totals;
  streamer_bitrate_metrics_total: { input_kbit: number; output_kbit: number };
}

export interface Session {
  login: string;
  edit_auth?: boolean;
}
