// The streamer half of the config_external protocol: pulls `GET {base}/streams?host=<hostname>` the way a
// Flussonic streamer does (period or long poll, ETag, cursor paging) and reports each complete outcome;
// looks up single names on `/update-streams` and `/dynamic-streams`. Used by the open streamer and by
// the test kit's fake one.
import { redactSecrets } from '@central/protocol';
import { BLOCKED_CODE, guardedLookup, literalProblem, type NetPolicy } from '@central/protocol/net-rules';
import http from 'node:http';
import https from 'node:https';
import { CONFIG_EXTERNAL_POLICY } from './target.ts';

export type ExternalErrorReason = 'network_error' | 'invalid_request' | 'malformed_json';

/** Shape of server_stats.config_external_status (GF-model ConfigExternalErrorStatus). */
export type ExternalStatus =
  | { status: 'loaded' }
  | {
      status: 'error';
      while: 'refresh' | 'request';
      reason: ExternalErrorReason;
      code?: number;
      error?: string;
    };

export type StreamConfig = Record<string, unknown> & { name: string };

/** What Central's answer headers promise (X-Config-Server-Separate-Endpoints / -Dynamic-Streams). */
export interface ServerFeatures {
  separateEndpoints: boolean;
  dynamicStreams: boolean;
}

export type PullResult =
  | { kind: 'full'; streams: Map<string, StreamConfig>; features: ServerFeatures }
  | { kind: 'not_modified'; features: ServerFeatures }
  | { kind: 'error'; httpStatus: number | null; message: string; status: ExternalStatus };

export type LookupResult =
  { kind: 'found'; streams: Map<string, StreamConfig> } | Extract<PullResult, { kind: 'error' }>;

export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

/** `trustAnyCertificate` is for tests only: their Centrals use throw-away self-signed certificates. */
export function createAgents(o: { trustAnyCertificate?: boolean } = {}): Agents {
  return {
    // One poll is in flight at a time (plus a lookup); keep-alive so pulls do not churn connections.
    http: new http.Agent({ keepAlive: true, maxSockets: 4 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: !o.trustAnyCertificate }),
  };
}

export function destroyAgents(a: Agents): void {
  a.http.destroy();
  a.https.destroy();
}

export interface PollerOptions {
  url: string;
  hostname: string;
  intervalMs: number;
  longPoll: boolean;
  agents: Agents;
  onResult(r: PullResult): void;
  /** The address rules of every connection (default: CONFIG_EXTERNAL_POLICY, see target.ts). */
  policy?: NetPolicy;
}

const MAX_LONG_POLL_S = 30;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_BODY = 64 * 1024 * 1024;
const MAX_PAGES = 10_000;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

class PullError extends Error {
  constructor(
    readonly reason: ExternalErrorReason,
    readonly httpStatus: number | null,
    message: string,
    readonly code?: string,
  ) {
    // Reported to Central in server_stats and logged: never with a secret from a URL.
    super(redactSecrets(message));
  }
}

export class ConfigExternalPoller {
  private timer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();
  private stopped = false;
  private etag: string | null = null;
  /** Seconds Central lets us block (X-Config-Server-Poll-Timeout); 0 = plain periodic polling. */
  private advertised = 0;
  private features: ServerFeatures = { separateEndpoints: false, dynamicStreams: true };
  private readonly base: URL | null = null;
  private readonly authorization: string | null = null;

  constructor(private readonly o: PollerOptions) {
    try {
      const url = new URL(o.url);
      // The API key travels as URL userinfo in config_external; it goes on the wire as a header.
      const user = decodeURIComponent(url.username);
      const pass = decodeURIComponent(url.password);
      if (user && pass) this.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      else if (user) this.authorization = `Bearer ${user}`;
      url.username = '';
      url.password = '';
      url.pathname = url.pathname.replace(/\/*$/, '');
      this.base = url;
    } catch {
      this.base = null;
    }
  }

  start(): void {
    this.schedule(0);
  }

  /** Cancels the timer and any request in flight; no outcome is reported afterwards. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
  }

  private get longPolling(): boolean {
    return this.o.longPoll && this.advertised > 0;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.cycle(), ms);
  }

  private async cycle(): Promise<void> {
    this.timer = null;
    const r = await this.pull();
    if (this.stopped) return;
    this.o.onResult(r);
    // A long poll returns only on change or timeout, so ask again at once; an error would spin, so wait.
    if (!this.longPolling) this.schedule(this.o.intervalMs);
    else this.schedule(r.kind === 'error' ? Math.min(this.o.intervalMs, 1000) : 0);
  }

  /** One complete walk over all pages; the running set is only ever replaced by a whole walk. */
  private async pull(): Promise<PullResult> {
    try {
      const streams = new Map<string, StreamConfig>();
      const seen = new Set<string>();
      let cursor: string | null = null;
      let etag: string | null = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const a = await this.fetchPage('streams', page === 0, cursor, null);
        if (page === 0 && (a.status === 200 || a.status === 304)) {
          // Only a real answer says whether Central long-polls; an error page may come from a proxy.
          const h = Number(a.headers['x-config-server-poll-timeout']);
          this.advertised = Number.isFinite(h) && h > 0 ? Math.floor(h) : 0;
          this.features = featuresOf(a.headers);
        }
        if (page === 0) {
          if (a.status === 304 && this.etag !== null)
            return { kind: 'not_modified', features: this.features };
          const e = a.headers.etag;
          etag = typeof e === 'string' && e ? e : null;
        }
        if (a.status < 200 || a.status > 299) {
          const code = a.status === 401 || a.status === 403 ? 'invalid_authorization' : undefined;
          throw new PullError('invalid_request', a.status, httpError(a.status), code);
        }
        const body = parseList(a.body, a.status);
        for (const s of body.streams) streams.set(s.name, s);
        if (body.next === null) {
          this.etag = etag;
          return { kind: 'full', streams, features: this.features };
        }
        if (seen.has(body.next))
          throw new PullError('malformed_json', a.status, 'the pages loop (a cursor came back)');
        seen.add(body.next);
        cursor = body.next;
      }
      throw new PullError('malformed_json', 200, `more than ${MAX_PAGES} pages`);
    } catch (e) {
      return failure(e, 'refresh');
    }
  }

  /**
   * The configs Central still has for `names`: `/update-streams` (running streams outside the static
   * list) or `/dynamic-streams` (a name a viewer asked for), or `/streams?name=` when Central did not
   * advertise separate endpoints. A name left out of the answer must not run.
   */
  async lookup(kind: 'update' | 'dynamic', names: string[]): Promise<LookupResult> {
    const path = !this.features.separateEndpoints ? 'streams' : `${kind}-streams`;
    try {
      const streams = new Map<string, StreamConfig>();
      let cursor: string | null = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const a = await this.fetchPage(path, false, cursor, names);
        if (a.status < 200 || a.status > 299)
          throw new PullError('invalid_request', a.status, httpError(a.status));
        const body = parseList(a.body, a.status);
        for (const s of body.streams) if (names.includes(s.name)) streams.set(s.name, s);
        if (body.next === null) return { kind: 'found', streams };
        cursor = body.next;
      }
      throw new PullError('malformed_json', 200, `more than ${MAX_PAGES} pages`);
    } catch (e) {
      return failure(e, 'request');
    }
  }

  get serverFeatures(): ServerFeatures {
    return this.features;
  }

  private fetchPage(path: string, first: boolean, cursor: string | null, names: string[] | null) {
    if (!this.base)
      return Promise.reject(new PullError('invalid_request', null, 'config_external is not a URL'));
    const url = new URL(this.base);
    url.pathname += `/${path}`;
    url.searchParams.set('host', this.o.hostname);
    if (names) url.searchParams.set('name', names.join(','));
    if (cursor !== null) url.searchParams.set('cursor', cursor);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.authorization) headers.authorization = this.authorization;
    let timeout = REQUEST_TIMEOUT_MS;
    // Only the first page may block or be answered 304: later pages belong to a walk already under way.
    if (first && this.etag) headers['if-none-match'] = this.etag;
    if (first && this.longPolling) {
      const wait = Math.min(this.advertised, MAX_LONG_POLL_S);
      url.searchParams.set('poll_timeout', String(wait));
      timeout += wait * 1000;
    }
    return this.get(url, headers, timeout);
  }

  private get(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<Answer> {
    const policy = this.o.policy ?? CONFIG_EXTERNAL_POLICY;
    // Node skips `lookup` for an IP literal: check it here; names are checked on every connection.
    // Redirects are never followed (http.request does not), so a 3xx is just a failed pull.
    const literal = literalProblem(url, policy);
    if (literal !== null)
      return Promise.reject(new PullError('network_error', null, `refused by the address rules: ${literal}`));
    return new Promise((resolve, reject) => {
      const tls = url.protocol === 'https:';
      const agent = tls ? this.o.agents.https : this.o.agents.http;
      const lookup = guardedLookup(policy);
      const options = { method: 'GET', headers, agent, lookup, signal: this.abort.signal };
      const req = (tls ? https : http).request(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) req.destroy(new Error('answer too large'));
          else chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
        res.on('close', () => {
          if (!res.complete) reject(new Error('connection closed mid-answer'));
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}

/** Status and standard reason only: the body (any error page) never reaches server_stats or the log. */
const httpError = (status: number) => `HTTP ${status} ${http.STATUS_CODES[status] ?? ''}`.trim();

function failure(e: unknown, during: 'refresh' | 'request') {
  const blocked = (e as NodeJS.ErrnoException | null)?.code === BLOCKED_CODE;
  const message = (e as Error).message || String(e);
  const err =
    e instanceof PullError
      ? e
      : new PullError('network_error', null, blocked ? `refused by the address rules: ${message}` : message);
  const status: ExternalStatus = {
    status: 'error',
    while: during,
    reason: err.reason,
    ...(err.httpStatus !== null ? { code: err.httpStatus } : {}),
    error: err.code ?? err.message,
  };
  return { kind: 'error' as const, httpStatus: err.httpStatus, message: err.message, status };
}

function featuresOf(h: http.IncomingHttpHeaders): ServerFeatures {
  return {
    separateEndpoints: h['x-config-server-separate-endpoints'] === 'true',
    dynamicStreams: h['x-config-server-dynamic-streams'] !== 'false',
  };
}

/** `{streams:[{name,...}], updated_at, next?}`; anything else is malformed. */
function parseList(text: string, status: number): { streams: StreamConfig[]; next: string | null } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PullError('malformed_json', status, 'answer is not JSON');
  }
  const o = body as { streams?: unknown; next?: unknown };
  const ok =
    !!o &&
    typeof o === 'object' &&
    Array.isArray(o.streams) &&
    o.streams.every(
      (s) => !!s && typeof s === 'object' && typeof (s as { name?: unknown }).name === 'string',
    ) &&
    (o.next === undefined || o.next === null || typeof o.next === 'string');
  if (!ok) throw new PullError('malformed_json', status, 'answer is not a streams list');
  const next = typeof o.next === 'string' && o.next !== '' ? o.next : null;
  return { streams: o.streams as StreamConfig[], next };
}
