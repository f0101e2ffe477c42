// The one way Central talks to streamers. Every call is bounded (one deadline, a body byte cap), checked
// against the SSRF policy at connect time (so DNS rebinding cannot swap in a forbidden address), never
// follows redirects, and returns sanitized data. Errors are typed and never carry secrets or raw bodies.
import { redactSecrets } from '@central/protocol';
import { ClusterSigner, clusterAuthHeader, verifyClusterAuthHeader } from '@central/protocol/cluster-auth';
import http from 'node:http';
import https from 'node:https';
import { parseObject } from './streamer-json.ts';
import { BLOCKED_CODE, guardedLookup, literalProblem, urlHost, type NetPolicy } from './net-guard.ts';
import {
  capString,
  isRecord,
  sanitizePeerStats,
  sanitizeStreamItem,
  type SanitizedPeerStats,
  type StreamerStreamItem,
} from './streamer-sanitize.ts';

export type { SanitizedPeerStats, SanitizedStreamStats, StreamerStreamItem } from './streamer-sanitize.ts';

export interface StreamerTarget {
  hostname: string;
  api_url?: string | null;
  cluster_key?: string | null;
}

export type StreamerErrorCode =
  | 'blocked'
  | 'timeout'
  | 'network'
  | 'redirect'
  | 'too_large'
  | 'unauthorized'
  | 'http_status'
  | 'invalid_response'
  | 'bad_url';

export class StreamerError extends Error {
  override name = 'StreamerError';
  /** A reset of a kept-alive socket: safe to retry an idempotent request once. */
  reused = false;
  constructor(
    public code: StreamerErrorCode,
    message: string,
    public status?: number,
  ) {
    // Shown in streamer status and logs: never a URL's userinfo or a secret query value.
    super(redactSecrets(message));
  }
}

const API_PREFIX = /\/(streamer|flussonic)\/api\/v3$/;

/** Where the streamer API lives, without userinfo, query or a trailing slash. */
export function streamerBaseUrl(t: StreamerTarget): string {
  const given = t.api_url?.trim();
  let url: URL;
  try {
    url = new URL(given || `http://${t.hostname}`);
  } catch {
    // Not echoing the value: an api_url may carry credentials.
    throw new StreamerError('bad_url', `streamer ${capString(t.hostname, 256)}: api_url is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StreamerError(
      'bad_url',
      `streamer ${capString(t.hostname, 256)}: api_url must be http or https`,
    );
  }
  if (!given && url.pathname !== '/') {
    throw new StreamerError('bad_url', `streamer ${capString(t.hostname, 256)}: hostname is not a host name`);
  }
  const path = url.pathname.replace(/\/+$/, '').replace(API_PREFIX, '');
  return `${url.protocol}//${url.host}${path}`;
}

export { clusterAuthHeader, verifyClusterAuthHeader };

export interface StreamerClientOptions {
  timeoutMs: number;
  /** Response body cap; default 8 MiB. */
  maxBytes?: number;
  policy: NetPolicy;
  now?: () => number;
  /** Per streamer host; default 64. */
  maxSockets?: number;
  userAgent?: string;
}

export interface StreamerClient {
  getConfig(t: StreamerTarget): Promise<Record<string, unknown>>;
  putConfig(t: StreamerTarget, patch: Record<string, unknown>): Promise<Record<string, unknown>>;
  getStats(t: StreamerTarget): Promise<SanitizedPeerStats>;
  listStreams(
    t: StreamerTarget,
    opts?: { cursor?: string; limit?: number },
  ): Promise<{ streams: StreamerStreamItem[]; next: string | null }>;
  listAllStreams(t: StreamerTarget, maxPages?: number): Promise<StreamerStreamItem[]>;
  close(): void;
}

interface Call {
  method: 'GET' | 'PUT';
  path: string;
  body?: unknown;
}

export function createStreamerClient(o: StreamerClientOptions): StreamerClient {
  const maxBytes = o.maxBytes ?? 8 * 1024 * 1024;
  const now = o.now ?? Date.now;
  // Idle sockets are dropped after 4 s: servers (Node's default keepAliveTimeout is 5 s) close theirs
  // about when a 5 s poll would reuse one, and that poll would fail with ECONNRESET.
  const agentOptions = { keepAlive: true, maxSockets: o.maxSockets ?? 64, maxFreeSockets: 16, timeout: 4000 };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const lookup = guardedLookup(o.policy);
  // Streamers refuse a write whose signature they have seen before: the signer keeps reads and writes
  // to one streamer on different seconds.
  const signer = new ClusterSigner();

  async function request(t: StreamerTarget, call: Call): Promise<Record<string, unknown>> {
    const url = new URL(streamerBaseUrl(t) + call.path);
    const where = `${call.method} ${url.pathname} on ${url.host}`;
    const fail = (code: StreamerErrorCode, detail: string, status?: number) =>
      new StreamerError(code, `${where}: ${detail}`, status);
    // Node skips `lookup` for IP literals, so those are checked here, before any socket exists.
    const literalReason = literalProblem(url, o.policy);
    if (literalReason) throw fail('blocked', literalReason);
    const host = urlHost(url);

    const body = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': o.userAgent ?? 'central',
    };
    const server = `${url.protocol}//${url.host}`;
    let done = () => {};
    if (t.cluster_key && call.method === 'GET')
      headers.Authorization = signer.read(server, t.cluster_key, now());
    else if (t.cluster_key)
      ({ header: headers.Authorization, done } = await signer.write(server, t.cluster_key, now));
    if (body) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(body.length);
    }
    const isHttps = url.protocol === 'https:';
    const options: http.RequestOptions = {
      method: call.method,
      hostname: host,
      port: url.port || (isHttps ? 443 : 80),
      path: url.pathname + url.search,
      headers,
      agent: isHttps ? httpsAgent : httpAgent,
      lookup,
    };
    const start = isHttps ? https.request : http.request;
    try {
      return await send(start, options, body, fail);
    } catch (e) {
      if (!(e instanceof StreamerError)) throw e;
      // A kept-alive socket the server had just closed: an idempotent GET is sent once more.
      if (call.method === 'GET' && e.reused) return send(start, options, body, fail);
      // A write refused as a replay: its second was seen (another Central process polled in it, or
      // the streamer restarted in it). Once more with a later second; a wrong key fails again.
      if (call.method === 'GET' || !t.cluster_key || e.status !== 401) throw e;
      done();
      ({ header: headers.Authorization, done } = await signer.write(server, t.cluster_key, now));
      return await send(start, options, body, fail);
    } finally {
      done();
    }
  }

  /** One exchange under one deadline: connect, status, headers and body all count against timeoutMs. */
  function send(
    start: typeof http.request,
    options: http.RequestOptions,
    body: Buffer | undefined,
    fail: (code: StreamerErrorCode, detail: string, status?: number) => StreamerError,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      let req: http.ClientRequest | undefined;
      let done = false;
      const settle = (error: StreamerError | null, value?: Record<string, unknown>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (error) {
          req?.destroy();
          reject(error);
        } else resolve(value!);
      };
      const timer = setTimeout(
        () => settle(fail('timeout', `timed out after ${o.timeoutMs} ms`)),
        o.timeoutMs,
      );
      try {
        req = start(options, (res) => {
          const status = res.statusCode ?? 0;
          const problem = statusProblem(status, res.headers['content-length'], maxBytes);
          if (problem) return settle(fail(problem.code, problem.detail, status));
          readBody(res, maxBytes, (code, detail, data) => {
            if (code) return settle(fail(code, detail));
            const parsed = parseObject(data!);
            if (!parsed) return settle(fail('invalid_response', 'the answer is not a JSON object'));
            settle(null, parsed);
          });
        });
      } catch {
        // Node validates options synchronously (ports, header characters); its messages may quote values.
        return settle(fail('bad_url', 'the request could not be built'));
      }
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === BLOCKED_CODE) return settle(fail('blocked', e.message));
        const err = fail('network', `network error (${e.code ?? 'unknown'})`);
        err.reused = req!.reusedSocket && e.code === 'ECONNRESET';
        settle(err);
      });
      req.end(body);
    });
  }

  async function listStreams(t: StreamerTarget, opts: { cursor?: string; limit?: number } = {}) {
    const q = new URLSearchParams({ select: 'name,stats' });
    q.set('limit', String(Math.min(1000, Math.max(1, Math.floor(opts.limit ?? 100)))));
    if (opts.cursor) q.set('cursor', opts.cursor);
    const body = await request(t, { method: 'GET', path: `/streamer/api/v3/streams?${q}` });
    if (!Array.isArray(body.streams)) {
      throw new StreamerError('invalid_response', `GET /streamer/api/v3/streams: no streams list`);
    }
    const streams = body.streams.map(sanitizeStreamItem).filter((s) => s !== null);
    // An over-long cursor is not something a real streamer sends; treat it as the end of the list.
    const next = typeof body.next === 'string' && body.next && body.next.length <= 4096 ? body.next : null;
    return { streams, next };
  }

  return {
    getConfig: (t) => request(t, { method: 'GET', path: '/streamer/api/v3/config' }),
    putConfig: (t, patch) => request(t, { method: 'PUT', path: '/streamer/api/v3/config', body: patch }),
    async getStats(t) {
      const body = await request(t, { method: 'GET', path: '/streamer/api/v3/config/stats' });
      // The 23.05 API answers with server_stats itself; tolerate a wrapped form too.
      return sanitizePeerStats(isRecord(body.server_stats) ? body.server_stats : body);
    },
    listStreams,
    async listAllStreams(t, maxPages = 100) {
      const all: StreamerStreamItem[] = [];
      const seen = new Set<string>();
      let cursor: string | undefined;
      for (let page = 0; page < maxPages; page++) {
        // Large pages: per-request overhead dominated polling a fleet with 100-item pages.
        const { streams, next } = await listStreams(t, { cursor, limit: 1000 });
        all.push(...streams);
        // A cursor we already followed would loop forever; stop instead.
        if (next === null || seen.has(next)) break;
        seen.add(next);
        cursor = next;
      }
      return all;
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function statusProblem(
  status: number,
  contentLength: string | undefined,
  maxBytes: number,
): { code: StreamerErrorCode; detail: string } | null {
  if (status >= 300 && status < 400) return { code: 'redirect', detail: `redirect (${status}) not followed` };
  if (status === 401 || status === 403)
    return { code: 'unauthorized', detail: `rejected the credentials (${status})` };
  if (status < 200 || status >= 300) return { code: 'http_status', detail: `answered ${status}` };
  if (contentLength && Number(contentLength) > maxBytes) {
    return { code: 'too_large', detail: `answer larger than ${maxBytes} bytes` };
  }
  return null;
}

type BodyCallback = (code: StreamerErrorCode | null, detail: string, data?: Buffer) => void;

/** Collects the body up to `maxBytes`; a longer body or a cut connection is an error. */
function readBody(res: http.IncomingMessage, maxBytes: number, cb: BodyCallback): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  res.on('data', (chunk: Buffer) => {
    if (over) return;
    size += chunk.length;
    if (size > maxBytes) {
      over = true;
      cb('too_large', `answer larger than ${maxBytes} bytes`);
    } else chunks.push(chunk);
  });
  res.on('end', () => cb(null, '', Buffer.concat(chunks)));
  // A cut connection shows up as 'error' or as a 'close' before the message was complete.
  const cut = () => {
    if (!over) cb('network', 'connection closed before the answer was complete');
  };
  res.on('error', cut);
  res.on('close', () => {
    if (!res.complete) cut();
  });
}
