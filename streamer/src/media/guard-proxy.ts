// Every HTTP request ffmpeg makes for an http(s) input goes through this proxy (ffmpeg's -http_proxy):
// playlists, segments, keys, redirects, the CONNECT tunnels of https. The proxy resolves each
// destination and connects only to an address the rules allow, at connect time, so neither a
// redirect, nor an HLS playlist pointing elsewhere, nor DNS rebinding reaches a forbidden address.
// Each stream gets its own credentials: a refusal is reported to that stream, and the proxy serves
// nobody else.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { BLOCKED_CODE, checkAddress, guardedLookup, type NetPolicy } from '@central/protocol/net-rules';
import { safeEqual } from '@central/protocol/cluster-auth';
import type { Logger } from 'pino';
import { redactText } from './redact.ts';

/** Headers that belong to one hop only. */
const HOP_BY_HOP = ['proxy-authorization', 'proxy-connection', 'connection', 'keep-alive', 'te', 'upgrade'];

function withoutHopByHop<T extends Record<string, unknown>>(headers: T): T {
  const out = { ...headers };
  for (const h of HOP_BY_HOP) delete out[h];
  return out;
}

export interface ProxyTicket {
  /** `http://user:token@127.0.0.1:port` for ffmpeg's -http_proxy. */
  url: string;
  /** The last destination the proxy refused for this ticket, and why. */
  refused: string | null;
  release(): void;
}

export class GuardProxy {
  private server: http.Server | null = null;
  private starting: Promise<number> | null = null;
  private readonly tickets = new Map<string, ProxyTicket & { token: string }>();
  /** Open CONNECT tunnels: the HTTP server forgets them, so closing it would wait on them forever. */
  private readonly tunnels = new Set<Duplex>();
  private readonly lookup: net.LookupFunction;

  constructor(
    private readonly policy: NetPolicy,
    private readonly log: Logger,
  ) {
    this.lookup = guardedLookup(policy);
  }

  /** Credentials for one ffmpeg run; starts the proxy on first use. */
  async ticket(): Promise<ProxyTicket> {
    const port = await (this.starting ??= this.start());
    const user = randomBytes(8).toString('hex');
    const token = randomBytes(18).toString('base64url');
    const ticket = {
      url: `http://${user}:${token}@127.0.0.1:${port}`,
      refused: null,
      token,
      release: () => this.tickets.delete(user),
    };
    this.tickets.set(user, ticket);
    return ticket;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.starting = null;
    if (!server) return;
    server.closeAllConnections();
    for (const socket of this.tunnels) socket.destroy();
    await new Promise((r) => server.close(r));
  }

  private start(): Promise<number> {
    const server = http.createServer({ requestTimeout: 0 }, (req, res) => this.forward(req, res));
    server.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.tunnel(req, socket, head),
    );
    server.on('clientError', (_err, socket) => socket.destroy());
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
  }

  /** The ticket of a request, or null (then a 407 asks ffmpeg for its credentials). */
  private ticketOf(req: http.IncomingMessage) {
    const [scheme, value = ''] = (req.headers['proxy-authorization'] ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'basic') return null;
    const text = Buffer.from(value, 'base64').toString();
    const colon = text.indexOf(':');
    const t = this.tickets.get(text.slice(0, colon));
    return t && safeEqual(text.slice(colon + 1), t.token) ? t : null;
  }

  /** Node skips `lookup` for IP literals: those are checked here. */
  private literalBlocked(host: string): NodeJS.ErrnoException | null {
    const reason = net.isIP(host) ? checkAddress(host, this.policy) : null;
    if (!reason) return null;
    const e: NodeJS.ErrnoException = new Error(reason);
    e.code = BLOCKED_CODE;
    return e;
  }

  private refuse(t: ProxyTicket, target: string, err: NodeJS.ErrnoException): string {
    const reason = redactText(`${target}: ${err.message}`);
    if (err.code === BLOCKED_CODE) {
      t.refused = `refused by the input address rules: ${redactText(err.message)}`;
      this.log.warn({ target: redactText(target) }, `input proxy refused ${t.refused}`);
    }
    return reason;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const t = this.ticketOf(req);
    if (!t) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="streamer inputs"', connection: 'close' });
      return void res.end();
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
      if (target.protocol !== 'http:') throw new Error('not http');
    } catch {
      return void res.writeHead(400, { connection: 'close' }).end();
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const fail = (err: NodeJS.ErrnoException) => {
      const reason = this.refuse(t, target.host, err);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(reason);
      else res.destroy();
    };
    const literal = this.literalBlocked(host);
    if (literal) return fail(literal);
    const upstream = http.request(
      {
        host,
        port: target.port || 80,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: withoutHopByHop(req.headers),
        lookup: this.lookup,
        agent: false,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, withoutHopByHop(up.headers));
        up.pipe(res);
      },
    );
    upstream.on('error', fail);
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  private tunnel(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.tunnels.add(socket);
    socket.on('close', () => this.tunnels.delete(socket));
    const t = this.ticketOf(req);
    if (!t) {
      socket.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="streamer inputs"\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(req.url ?? '');
    if (!m) return void socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    const host = m[1] ?? m[2]!;
    const literal = this.literalBlocked(host);
    if (literal) {
      this.refuse(t, req.url ?? '', literal);
      return void socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    const upstream = net.connect({ host, port: Number(m[3]), lookup: this.lookup });
    let connected = false;
    upstream.on('connect', () => {
      connected = true;
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', (err) => {
      this.refuse(t, req.url ?? '', err);
      socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    // Upstream gone, the tunnel ends: what was piped is flushed, and reading resumes (a pipe whose
    // destination is gone stops reading, so ffmpeg's end would never be seen and the socket would
    // hold the proxy open).
    upstream.on('close', () => {
      if (!connected) return;
      socket.end();
      socket.resume();
    });
    socket.on('close', () => upstream.destroy());
  }
}
