// A fake Flussonic Media Server for Central's tests and benchmarks: a real HTTP server answering the
// parts of the streamer API Central uses (config, config/stats, streams, probes; Cluster-key auth) and a
// real config_external client pulling its streams from Central. Cheap enough to run hundreds per process.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import {
  errorBody,
  newRuntime,
  serverStats,
  streamView,
  whoami,
  type StreamRuntime,
} from './test-streamer-api.ts';
import { patient } from './patience.ts';
import { verifyClusterHeader } from './test-streamer-auth.ts';
import {
  jsonHandler,
  listStreams,
  parseConfigPut,
  readJson,
  type Json,
  type Reply,
} from './test-streamer-http.ts';
import {
  ConfigExternalPoller,
  createAgents,
  destroyAgents,
  type Agents,
  type ExternalStatus,
  type PullResult,
  type StreamConfig,
} from '../streamer/src/config-external/poller.ts';

export { clusterHeader } from './test-streamer-auth.ts';

export interface TestStreamerOptions {
  hostname: string;
  clusterKey: string;
  /** 0 = any free port; a restarted streamer keeps the port it got first. */
  port?: number;
  /** config_external polling period, default 1000 ms. */
  pollIntervalMs?: number;
  /** Long-poll (poll_timeout) when Central answers with X-Config-Server-Poll-Timeout. */
  longPoll?: boolean;
  /** server_version, default '23.05-test'. */
  version?: string;
}

export interface TestStreamerStats {
  /** Complete 200 walks applied (all pages). */
  pulls: number;
  notModified: number;
  pullErrors: number;
  /** Pulls Central refused (401/403): a key it did not accept. */
  refusedPulls: number;
  lastPullStatus: number | null;
  lastError: string | null;
  /** Accepted PUT /config calls. */
  provisionWrites: number;
  /** GET /config/stats calls. */
  statsRequests: number;
}

const API = /^\/(?:streamer|flussonic)\/api\/v3(\/.*)$/;

export class TestStreamer {
  readonly hostname: string;
  clusterKey: string;
  /** What it currently runs: the configs from the last complete pull (name → config). */
  streams = new Map<string, Json>();
  stats: TestStreamerStats = {
    pulls: 0,
    notModified: 0,
    pullErrors: 0,
    refusedPulls: 0,
    lastPullStatus: null,
    lastError: null,
    provisionWrites: 0,
    statsRequests: 0,
  };
  /** Called after the running set changes. */
  onChange?: () => void;
  /** Merged over the generated server_stats, e.g. `{cpu_usage: 95}` to fake an overloaded node. */
  statsOverride: Json = {};

  private readonly pollIntervalMs: number;
  private longPoll: boolean;
  private readonly version: string;
  /** Persistent like a real server_id; stats.id changes on every start, like a process restart. */
  private readonly serverId = crypto.randomUUID();
  private runId = crypto.randomUUID();
  private startedAt = Date.now();
  private _port: number;
  private _configExternal: string | null = null;
  private server: http.Server | null = null;
  private agents: Agents | null = null;
  private poller: ConfigExternalPoller | null = null;
  private external: ExternalStatus | null = null;
  private readonly runtimes = new Map<string, StreamRuntime>();

  constructor(o: TestStreamerOptions) {
    this.hostname = o.hostname;
    this.clusterKey = o.clusterKey;
    this._port = o.port ?? 0;
    this.pollIntervalMs = o.pollIntervalMs ?? 1000;
    this.longPoll = o.longPoll ?? false;
    this.version = o.version ?? '23.05-test';
  }

  get port(): number {
    return this._port;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this._port}`;
  }

  get running(): boolean {
    return this.server !== null;
  }

  /** Switches long polling on or off (benchmarks compare both); polling restarts. */
  setLongPoll(on: boolean): void {
    if (on === this.longPoll) return;
    this.longPoll = on;
    this.restartPolling();
  }

  /** Setting it (by provisioning or by a test) restarts polling when the value changes. */
  get configExternal(): string | null {
    return this._configExternal;
  }

  set configExternal(v: string | null) {
    const next = v === '' ? null : v;
    if (next === this._configExternal) return;
    this._configExternal = next;
    if (next === null) this.replaceStreams(new Map());
    this.restartPolling();
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer(jsonHandler((req) => this.route(req)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this._port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this._port = (server.address() as AddressInfo).port;
    this.runId = crypto.randomUUID();
    this.startedAt = Date.now();
    this.agents = createAgents({ trustAnyCertificate: true });
    this.restartPolling();
  }

  /** Simulates death: polling stops, connections drop, and the running streams are gone. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.poller?.stop();
    this.poller = null;
    if (this.agents) destroyAgents(this.agents);
    this.agents = null;
    this.external = null;
    this.replaceStreams(new Map());
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  async waitFor(pred: (s: TestStreamer) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + patient(timeoutMs);
    while (!pred(this)) {
      if (Date.now() > deadline) {
        const state = JSON.stringify({ stats: this.stats, streams: [...this.streams.keys()].slice(0, 20) });
        throw new Error(`${this.hostname}: condition not met in ${patient(timeoutMs)} ms; ${state}`);
      }
      await delay(10);
    }
  }

  private restartPolling(): void {
    this.poller?.stop();
    this.poller = null;
    this.external = null;
    if (!this.agents || this._configExternal === null) return;
    this.poller = new ConfigExternalPoller({
      url: this._configExternal,
      hostname: this.hostname,
      intervalMs: this.pollIntervalMs,
      longPoll: this.longPoll,
      agents: this.agents,
      onResult: (r) => this.onPull(r),
    });
    this.poller.start();
  }

  private onPull(r: PullResult): void {
    const s = this.stats;
    if (r.kind === 'error') {
      s.pullErrors++;
      if (r.httpStatus === 401 || r.httpStatus === 403) s.refusedPulls++;
      s.lastPullStatus = r.httpStatus;
      s.lastError = r.message;
      this.external = r.status; // running streams are kept, as a streamer keeps them
      return;
    }
    s.lastError = null;
    this.external = { status: 'loaded' };
    if (r.kind === 'not_modified') {
      s.notModified++;
      s.lastPullStatus = 304;
      return;
    }
    s.pulls++;
    s.lastPullStatus = 200;
    this.replaceStreams(r.streams);
  }

  /** Makes the running set equal `next` in place (tests may hold the Map); notifies on any change. */
  private replaceStreams(next: Map<string, StreamConfig | Json>): void {
    let changed = false;
    for (const name of [...this.streams.keys()]) {
      if (next.has(name)) continue;
      this.streams.delete(name);
      this.runtimes.delete(name);
      changed = true;
    }
    const now = Date.now();
    for (const [name, config] of next) {
      const old = this.streams.get(name);
      if (old && JSON.stringify(old) === JSON.stringify(config)) continue;
      this.streams.set(name, config);
      if (!this.runtimes.has(name)) this.runtimes.set(name, newRuntime(name, now));
      changed = true;
    }
    if (!changed || !this.onChange) return;
    try {
      this.onChange();
    } catch (e) {
      console.error(`${this.hostname}: onChange threw`, e);
    }
  }

  /** Streams a test put into `streams` directly get their runtime on first sight. */
  private runtime(name: string): StreamRuntime {
    let rt = this.runtimes.get(name);
    if (!rt) this.runtimes.set(name, (rt = newRuntime(name, Date.now())));
    return rt;
  }

  private statsBody(now: number): Json {
    return serverStats({
      id: this.runId,
      hostname: this.hostname,
      version: this.version,
      startedAt: this.startedAt,
      now,
      runtimes: [...this.streams.keys()].map((n) => this.runtime(n)),
      external: this._configExternal === null ? null : this.external,
      override: this.statsOverride,
    });
  }

  private configBody(now: number): Json {
    // cluster_key is a secret shared by the cluster: never echoed back.
    const ext = this._configExternal === null ? {} : { config_external: this._configExternal };
    return { server_id: this.serverId, ...ext, stats: this.statsBody(now) };
  }

  private view(name: string, now: number): Json {
    return streamView(name, this.streams.get(name)!, this.runtime(name), this.hostname, now);
  }

  private async route(req: http.IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://streamer');
    const path = API.exec(url.pathname)?.[1];
    const method = req.method ?? 'GET';
    const now = Date.now();
    if (path === undefined) return [404, errorBody(404, 'not_found', 'No such API')];
    if (method === 'GET' && (path === '/monitoring/liveness' || path === '/monitoring/readiness'))
      return [200, whoami(this.version, this.startedAt, now)];
    if (!verifyClusterHeader(req.headers.authorization, this.clusterKey, now))
      return [401, errorBody(401, 'unauthorized', 'Valid Cluster authorization is required')];

    if (path === '/config' && method === 'GET') return [200, this.configBody(now)];
    if (path === '/config' && method === 'PUT') return this.putConfig(await readJson(req), now);
    if (path === '/config/stats' && method === 'GET') {
      this.stats.statsRequests++;
      return [200, this.statsBody(now)];
    }
    if (path === '/streams' && method === 'GET')
      return listStreams(url.searchParams, [...this.streams.keys()], (n) => this.view(n, now), this.serverId);
    const m = /^\/streams\/(.+)$/.exec(path);
    if (m) return this.oneStream(method, decodeURIComponent(m[1]!), req, now);
    return [404, errorBody(404, 'not_found', `No ${method} ${path} here`)];
  }

  private putConfig(body: unknown, now: number): Reply {
    const put = parseConfigPut(body);
    if (!put.ok) return put.reply;
    this.stats.provisionWrites++;
    if (put.clusterKey !== undefined) this.clusterKey = put.clusterKey;
    // The setter restarts polling only on a new URL: Central re-PUTs the same config periodically.
    if (put.configExternal !== undefined) this.configExternal = put.configExternal;
    return [200, this.configBody(now)];
  }

  private async oneStream(
    method: string,
    name: string,
    req: http.IncomingMessage,
    now: number,
  ): Promise<Reply> {
    if (method === 'GET')
      return this.streams.has(name)
        ? [200, this.view(name, now)]
        : [404, errorBody(404, 'not_found', `No stream ${name}`)];
    if (method !== 'PUT' && method !== 'DELETE') return [405, errorBody(405, 'method_not_allowed', method)];
    // Flussonic refuses local stream edits while an external config server owns the streams.
    if (this._configExternal !== null)
      return [400, errorBody(400, 'config_external', 'Streams are managed by config_external')];
    const rest = [...this.streams].filter(([n]) => n !== name);
    if (method === 'DELETE') {
      this.replaceStreams(new Map(rest));
      return [204];
    }
    const body = await readJson(req);
    if (!body || typeof body !== 'object' || Array.isArray(body))
      return [400, errorBody(400, 'invalid_stream', 'A stream must be a JSON object')];
    this.replaceStreams(new Map([...rest, [name, { ...this.streams.get(name), ...body, name }]]));
    return [200, this.view(name, now)];
  }
}

/**
 * Starts `n` streamers named `<prefix>-1 … <prefix>-n` (prefix default 'streamer'); with a non-zero
 * `port` they take consecutive ports from it. If any fails to start, all are stopped.
 */
export async function startTestStreamers(
  n: number,
  base: Omit<TestStreamerOptions, 'hostname'> & { prefix?: string },
): Promise<TestStreamer[]> {
  const { prefix = 'streamer', port, ...opts } = base;
  const list = Array.from(
    { length: n },
    (_, i) => new TestStreamer({ ...opts, hostname: `${prefix}-${i + 1}`, port: port ? port + i : 0 }),
  );
  const started = await Promise.allSettled(list.map((s) => s.start()));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(list.map((s) => s.stop()));
    throw failed.reason;
  }
  return list;
}
