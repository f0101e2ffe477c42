// Probe answers and the Central configuration object (GF-model ServerStatsWhoami, CentralConfig).
import { Type, type Static } from '@sinclair/typebox';
import { Enum, Nullable, Str, UtcMs } from './common.ts';

export const ServerStatsWhoami = Type.Object({
  now: UtcMs(),
  server_version: Str(),
  started_at: Type.Integer(),
  build: Type.Optional(Type.Integer()),
});
export type ServerStatsWhoami = Static<typeof ServerStatsWhoami>;

export const Loglevel = Enum([
  'none',
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'alert',
  'critical',
] as const);

export const CentralConfig = Type.Object({
  api_key: Str(),
  api_url: Nullable(Str()),
  database: Type.Object({ url: Str(), max_connections: Type.Optional(Type.Integer()) }),
  edit_auth: Nullable(Type.Object({ login: Str(), password: Str() })),
  listeners: Type.Object({
    http: Type.Array(Type.Object({ port: Type.Integer(), address: Type.Optional(Str()) })),
    https: Type.Optional(
      Type.Array(
        Type.Object({
          port: Type.Integer(),
          address: Type.Optional(Str()),
          certificate: Str(),
          certificate_key: Str(),
        }),
      ),
    ),
  }),
  loglevel: Loglevel,
  log_requests: Str(),
  layouter_enabled: Str(),
  cluster: Type.Object({ node_config_provision_enabled: Type.Boolean() }),
  server_id: Str(),
  stats: Type.Object({
    id: Str(),
    server_version: Str(),
    started_at: Type.Integer(),
    uptime: Type.Integer(),
  }),
});
export type CentralConfig = Static<typeof CentralConfig>;
