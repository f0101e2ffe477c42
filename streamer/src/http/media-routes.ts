// Viewer-facing media HTTP: /{name}/index.m3u8, seg-N.ts, mpegts, preview.jpg, embed.html. Stream
// names may contain '/', so one wildcard route parses the raw URL itself; Fastify still prefers the
// static and parametric API routes registered by others.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../api/list.ts';
import { EMBED_CSP, embedHtml, loadHlsJs, playerJs, type Asset } from './media-embed.ts';
import { LiveClients, sendLiveTs } from './media-mpegts.ts';
import { isMissing, PlaylistCache, readPlaylistText, SEGMENT_RE } from './media-playlist.ts';
import { PreviewBusyError, Previews } from './media-preview.ts';

export interface MediaRoutesOptions {
  /** The media directory of a stream this streamer runs, or null when it does not run it. */
  resolve(name: string): string | null;
  ffmpegPath?: string; // default 'ffmpeg'
  /** Concurrent /mpegts clients per process; more get 503. Default 200. */
  maxMpegtsClients?: number;
  /** How often /mpegts looks for a new segment. Default 250 ms. */
  pollMs?: number;
}

interface MediaPath {
  name: string;
  resource: string;
  /** URL path segments before the resource: how deep the page sits below the root. */
  depth: number;
}

type Kind = 'playlist' | 'segment' | 'mpegts' | 'preview' | 'embed';

// Other components own these trees; a request there that no API route matched is not ours to answer.
const FOREIGN_PREFIXES = new Set(['streamer/api', 'flussonic/api', 'central/api']);
const BAD_PART = new Set(['', '.', '..']);

/**
 * `{name}/{resource}` from a raw request URL, each segment percent-decoded. 'bad' for paths no stream
 * could have (dot segments, empty segments, NUL, broken escapes); null for paths that are not ours.
 */
export function parseMediaPath(rawUrl: string): MediaPath | 'bad' | null {
  const path = rawUrl.split(/[?#]/, 1)[0] ?? '';
  if (!path.startsWith('/')) return null;
  const raw = path.slice(1).split('/');
  if (raw.length < 2) return null;
  let parts: string[];
  try {
    parts = raw.map((p) => decodeURIComponent(p));
  } catch {
    return 'bad';
  }
  if (FOREIGN_PREFIXES.has(`${parts[0]}/${parts[1]}`)) return null;
  const resource = parts.pop()!;
  const name = parts.join('/');
  // Checked after decoding, so '%2E%2E' and '..%2F' are caught as well as literal dot segments.
  const bad = (s: string) => BAD_PART.has(s) || s.includes('\0');
  if (bad(resource) || name.split('/').some(bad)) return 'bad';
  return { name, resource, depth: raw.length - 1 };
}

function kindOf(resource: string): Kind | null {
  if (resource === 'index.m3u8') return 'playlist';
  if (resource === 'mpegts') return 'mpegts';
  if (resource === 'preview.jpg') return 'preview';
  if (resource === 'embed.html') return 'embed';
  return SEGMENT_RE.test(resource) ? 'segment' : null;
}

function fail(reply: FastifyReply, status: number, code: string, title: string, retryAfter?: number) {
  if (retryAfter !== undefined) void reply.header('Retry-After', String(retryAfter));
  return reply
    .status(status)
    .header('Cache-Control', 'no-cache')
    .send(errorBody(status, code, title));
}

const notReady = (reply: FastifyReply, name: string) =>
  fail(reply, 503, 'not_ready', `stream ${name} is starting: no media yet`, 1);

function cors(reply: FastifyReply): void {
  void reply.header('Access-Control-Allow-Origin', '*').header('X-Content-Type-Options', 'nosniff');
}

async function sendPlaylist(reply: FastifyReply, dir: string, name: string) {
  const text = await readPlaylistText(dir);
  if (text === null) return notReady(reply, name);
  return reply
    .header('Content-Type', 'application/vnd.apple.mpegurl')
    .header('Cache-Control', 'no-cache')
    .send(text);
}

async function sendSegment(req: FastifyRequest, reply: FastifyReply, dir: string, file: string) {
  let fh;
  try {
    fh = await open(join(dir, file), 'r');
  } catch (err) {
    if (isMissing(err)) return fail(reply, 404, 'not_found', `segment ${file} is gone`);
    throw err;
  }
  const { size } = await fh.stat().catch(async (err: unknown) => {
    await fh.close();
    throw err;
  });
  // Segment numbers restart with the writer, so a name is not forever: cache only briefly.
  void reply.header('Content-Type', 'video/mp2t').header('Cache-Control', 'max-age=10');
  void reply.header('Content-Length', String(size));
  if (req.method === 'HEAD') {
    await fh.close();
    return reply.send();
  }
  return reply.send(fh.createReadStream());
}

function sendEmbed(reply: FastifyReply, m: MediaPath, hls: Asset | null) {
  return reply
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Content-Security-Policy', EMBED_CSP)
    .header('Cache-Control', 'no-cache')
    .header('Referrer-Policy', 'no-referrer')
    .send(embedHtml(m.name, m.depth, hls));
}

function sendAsset(req: FastifyRequest, reply: FastifyReply, asset: Asset | null) {
  if (!asset) return fail(reply, 404, 'not_found', 'hls.js is not installed');
  // Pages ask for ?v=<content hash>, so that URL can be cached for good; other URLs only briefly.
  const v = (req.query as Record<string, unknown> | undefined)?.v;
  cors(reply);
  return reply
    .header('Content-Type', 'text/javascript; charset=utf-8')
    .header('Cache-Control', v === asset.version ? 'public, max-age=31536000, immutable' : 'max-age=300')
    .send(asset.body);
}

interface Ctx {
  o: MediaRoutesOptions;
  playlists: PlaylistCache;
  clients: LiveClients;
  previews: Previews;
}

async function sendMpegts(c: Ctx, req: FastifyRequest, reply: FastifyReply, dir: string, name: string) {
  const pl = await c.playlists.read(dir);
  if (!pl || pl.segments.length === 0) return notReady(reply, name);
  if (req.method === 'HEAD') return reply.header('Content-Type', 'video/mp2t').send();
  const { resolve, pollMs = 250 } = c.o;
  const live = {
    resolve,
    playlists: c.playlists,
    pollMs,
    idleMs: 60_000,
    stuckMs: 30_000,
    clients: c.clients,
  };
  return sendLiveTs(reply, name, live) ?? fail(reply, 503, 'too_many_clients', 'too many MPEG-TS clients', 5);
}

async function sendPreview(c: Ctx, req: FastifyRequest, reply: FastifyReply, dir: string, name: string) {
  const newest = (await c.playlists.read(dir))?.segments.at(-1);
  if (!newest) return notReady(reply, name);
  try {
    const jpeg = await c.previews.get(dir, newest.file);
    return reply.header('Content-Type', 'image/jpeg').header('Cache-Control', 'max-age=5').send(jpeg);
  } catch (err) {
    if (err instanceof PreviewBusyError) return fail(reply, 503, 'busy', err.message, 1);
    req.log.warn({ err, stream: name }, 'preview extraction failed');
    return fail(reply, 503, 'preview_failed', `no preview for ${name} right now`, 5);
  }
}

async function handle(c: Ctx, req: FastifyRequest, reply: FastifyReply) {
  const m = parseMediaPath(req.raw.url ?? '/');
  if (m === null) return reply.callNotFound();
  cors(reply);
  if (m === 'bad') return fail(reply, 404, 'not_found', 'no such media');
  const kind = kindOf(m.resource);
  if (kind === null) return fail(reply, 404, 'not_found', `no ${m.resource} here`);
  const dir = c.o.resolve(m.name);
  if (dir === null) return fail(reply, 404, 'not_found', `stream ${m.name} is not running here`);
  switch (kind) {
    case 'playlist':
      return sendPlaylist(reply, dir, m.name);
    case 'segment':
      return sendSegment(req, reply, dir, m.resource);
    case 'mpegts':
      return sendMpegts(c, req, reply, dir, m.name);
    case 'preview':
      return sendPreview(c, req, reply, dir, m.name);
    case 'embed':
      return sendEmbed(reply, m, await loadHlsJs());
  }
}

function preflight(req: FastifyRequest, reply: FastifyReply) {
  if (parseMediaPath(req.raw.url ?? '/') === null) return reply.callNotFound();
  cors(reply);
  const asked = req.headers['access-control-request-headers'];
  if (typeof asked === 'string') void reply.header('Access-Control-Allow-Headers', asked);
  return reply
    .status(204)
    .header('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS')
    .header('Access-Control-Max-Age', '86400')
    .send();
}

export function registerMediaRoutes(app: FastifyInstance, o: MediaRoutesOptions): void {
  const previews = new Previews({
    ffmpegPath: o.ffmpegPath ?? 'ffmpeg',
    ...{ cacheMs: 5000, timeoutMs: 5000, maxBytes: 4 * 1024 * 1024, concurrency: 2, maxQueued: 64 },
  });
  const c: Ctx = {
    o,
    playlists: new PlaylistCache(),
    clients: new LiveClients(o.maxMpegtsClients ?? 200),
    previews,
  };
  app.addHook('preClose', (done) => {
    c.clients.stopAll();
    done();
  });
  // HEAD is listed explicitly (not exposed automatically) so a live body is never started for it.
  const methods = ['GET', 'HEAD'];
  app.route({
    method: methods,
    url: '/*',
    exposeHeadRoute: false,
    handler: (req, reply) => handle(c, req, reply),
  });
  app.route({ method: 'OPTIONS', url: '/*', handler: preflight });
  const asset = (get: () => Promise<Asset | null>) => async (req: FastifyRequest, reply: FastifyReply) =>
    sendAsset(req, reply, await get());
  const assets = { 'hls.light.min.js': asset(loadHlsJs), 'embed.js': asset(async () => playerJs) };
  for (const [file, handler] of Object.entries(assets))
    app.route({ method: methods, url: `/_player/${file}`, exposeHeadRoute: false, handler });
}
