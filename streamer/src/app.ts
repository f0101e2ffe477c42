// Assembles a streamer: persisted state, the media manager (one ffmpeg per stream), the
// config_external follower, and one HTTP server for the API and for playback.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { StreamerConfig } from './config.ts';
import { Follower } from './config-external/follower.ts';
import type { StreamConfig } from './config-external/poller.ts';
import { API_BODY_LIMIT, registerApi, type ApiDeps } from './api/routes.ts';
import { serverStats, streamView, whoami } from './api/views.ts';
import { parseMediaPath, registerMediaRoutes } from './http/media-routes.ts';
import { MediaManager } from './media/manager.ts';
import { StreamerState } from './state.ts';
import { SystemStats } from './system-stats.ts';

/** The resources of a stream (`/{name}/index.m3u8` and friends) that may start a dynamic stream. */
const MEDIA_RESOURCE = /^(?:index\.m3u8|seg-\d+\.ts|mpegts|preview\.jpg|embed\.html)$/;

export interface Streamer {
  app: FastifyInstance;
  manager: MediaManager;
  follower: Follower;
  state: StreamerState;
  /** Listens on the configured port (0 = any); resolves to the port. */
  listen(host?: string): Promise<number>;
  close(): Promise<void>;
}

export async function createStreamer(config: StreamerConfig, log: Logger): Promise<Streamer> {
  const state = new StreamerState(config.dir);
  state.reconcileConfigured(config.clusterKey, config.configExternal);
  const filesRoot = config.mediaRoot ?? path.join(config.dir, 'files');
  // The default media root is the streamer's own: make it, so that operators only copy files in.
  if (filesRoot === path.join(config.dir, 'files')) await mkdir(filesRoot, { recursive: true });
  const policy = { allow: config.inputAllowCidrs ?? [], deny: config.inputDenyCidrs ?? [] };
  const manager = new MediaManager({ root: config.dir, log, ffmpegPath: config.ffmpeg, filesRoot, policy });
  const reaped = await manager.reapOrphans();
  if (reaped) log.warn({ processes: reaped }, 'stopped ffmpeg processes left by a previous run');
  const startedAt = Date.now();

  let external = new Map<string, StreamConfig>();
  const local = () => new Map(Object.entries(state.saved.streams ?? {}));
  const follower = new Follower({
    hostname: config.hostname,
    intervalMs: config.pollIntervalMs,
    longPoll: config.longPoll,
    state,
    log,
    onStreams: (streams) => {
      external = streams;
      if (follower.configExternal === null) applyLocal();
      else manager.apply(streams);
    },
  });
  const configExternal = () =>
    state.saved.config_external !== undefined ? state.saved.config_external : config.configExternal;
  const applyLocal = () => {
    if (follower.configExternal === null) manager.apply(local());
  };

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: API_BODY_LIMIT,
  });
  const system = new SystemStats(app.server);
  const facts = (now: number) => ({
    id: state.saved.server_id,
    hostname: config.hostname,
    startedAt,
    now,
    cpuUsage: system.cpuUsage,
    memoryUsage: system.memoryUsage,
    outputKbit: system.outputKbit,
    totalBandwidth: system.totalBandwidth,
    clients: system.clients,
    streams: manager.names().flatMap((n) => manager.stats(n, now) ?? []),
    external: follower.status,
  });
  const deps: ApiDeps = {
    clusterKey: () => state.saved.cluster_key ?? config.clusterKey,
    editAuth: config.editAuth,
    ready: () => follower.ready,
    serverId: state.saved.server_id,
    whoami: (now) => whoami(startedAt, now),
    stats: (now) => serverStats(facts(now)),
    config: (now) => {
      const ext = follower.configExternal;
      return {
        server_id: state.saved.server_id,
        ...(ext ? { config_external: ext } : {}),
        stats: serverStats(facts(now)),
      };
    },
    names: () => manager.names(),
    view: (name) => {
      const c = manager.config(name) ?? (follower.configExternal ? external.get(name) : local().get(name));
      return c ? streamView(c, manager.stats(name), config.hostname, follower.configExternal !== null) : null;
    },
    putConfig: (put) => {
      const patch = { ...state.saved };
      if (put.clusterKey !== undefined) patch.cluster_key = put.clusterKey;
      if (put.configExternal !== undefined) patch.config_external = put.configExternal || null;
      state.update(patch);
      // Central re-sends the same value periodically: follow() restarts nothing when it is unchanged.
      follower.follow(configExternal());
      applyLocal();
    },
    managedExternally: () => follower.configExternal !== null,
    // Stream names are client text: only own members of the saved list count (never `hasOwnProperty`).
    putStream: (name, body) => {
      const saved = state.saved.streams ?? {};
      const prev = Object.hasOwn(saved, name) ? saved[name] : undefined;
      const streams = { ...saved, [name]: { ...prev, ...body, name } };
      state.update({ streams });
      applyLocal();
    },
    deleteStream: (name) => {
      const saved = state.saved.streams;
      if (!saved || !Object.hasOwn(saved, name)) return false;
      const { [name]: _gone, ...rest } = saved;
      state.update({ streams: rest });
      applyLocal();
      return true;
    },
  };
  registerApi(app, deps);
  app.addHook('onRequest', async (req) => {
    const p = parseMediaPath(req.url);
    if (!p || p === 'bad' || !MEDIA_RESOURCE.test(p.resource)) return;
    follower.touch(p.name);
    // A name Central did not list may still be a dynamic stream it serves on request.
    if (!manager.dir(p.name) && follower.configExternal) await follower.requestDynamic(p.name);
  });
  registerMediaRoutes(app, { resolve: (name) => manager.dir(name), ffmpegPath: config.ffmpeg });

  if (!deps.clusterKey())
    log.warn('no CLUSTER_KEY: Central cannot call this streamer until one is configured');
  follower.follow(configExternal());
  applyLocal();

  return {
    app,
    manager,
    follower,
    state,
    async listen(host = '::') {
      await app.listen({ port: config.httpPort, host });
      const addr = app.server.address();
      return typeof addr === 'object' && addr ? addr.port : config.httpPort;
    },
    async close() {
      follower.stop();
      system.stop();
      await Promise.all([app.close(), manager.stopAll()]);
    },
  };
}
