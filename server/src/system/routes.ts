// Probes (no credentials) and GET /config (the CentralConfig shape, secrets redacted).
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../db/index.ts';
import { defaultPoolSize } from '../db/postgres.ts';
import { ApiError } from '../http/errors.ts';
import type { Clock } from '../lib/clock.ts';

export const SERVER_VERSION = '0.1.0';
const REDACTED = '***';

export interface RuntimeInfo {
  serverId: string;
  instanceId: string;
  startedAt: number;
}

export function whoami(clock: Clock, info: RuntimeInfo) {
  return { now: clock.now(), server_version: SERVER_VERSION, started_at: Math.floor(info.startedAt / 1000) };
}

export function probeRoutes(api: FastifyInstance, db: Db, clock: Clock, info: RuntimeInfo) {
  api.get('/monitoring/liveness', async () => whoami(clock, info));
  api.get('/monitoring/readiness', async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        db.query('SELECT 1'),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), 2000))),
      ]);
    } catch {
      throw new ApiError(503, 'unavailable', 'the database does not answer');
    } finally {
      clearTimeout(timer);
    }
    return whoami(clock, info);
  });
}

export function redactDatabaseUrl(url: string | null, centralDir: string): string {
  if (!url) return `pglite://${centralDir}/pglite`;
  try {
    const u = new URL(url);
    if (u.password) u.password = REDACTED;
    return u.toString();
  } catch {
    return REDACTED;
  }
}

export function configRoutes(api: FastifyInstance, config: Config, db: Db, clock: Clock, info: RuntimeInfo) {
  api.get('/config', async () => {
    const now = clock.now();
    return {
      api_key: REDACTED,
      ...(config.apiUrl ? { api_url: config.apiUrl } : {}),
      database: {
        url: redactDatabaseUrl(config.databaseUrl, config.centralDir),
        max_connections: db.kind === 'pglite' ? 1 : (config.databaseMaxConnections ?? defaultPoolSize()),
      },
      ...(config.editAuth ? { edit_auth: { login: config.editAuth.login, password: REDACTED } } : {}),
      listeners: {
        http: [{ port: config.httpPort }],
        ...(config.https
          ? {
              https: [
                {
                  port: config.https.port,
                  certificate: config.https.certPath,
                  certificate_key: config.https.keyPath,
                },
              ],
            }
          : {}),
      },
      loglevel: config.logLevelName,
      log_requests: String(config.logRequests),
      layouter_enabled: String(config.fleet.layouterEnabled),
      layouter_sleeping_interval: config.fleet.layouterIntervalMs,
      config_external_reconciliation_interval: config.fleet.reconcileIntervalMs,
      streams_stats_fetch_interval: `${config.fleet.statsIntervalMs}ms`,
      streamer_fetch_timeout: `${config.fleet.fetchTimeoutMs}ms`,
      cluster: { node_config_provision_enabled: config.provisionEnabled },
      server_id: info.serverId,
      stats: {
        id: info.instanceId,
        server_version: SERVER_VERSION,
        started_at: Math.floor(info.startedAt / 1000),
        uptime: Math.floor((now - info.startedAt) / 1000),
      },
    };
  });
}
