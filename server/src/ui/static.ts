// Serves the built web UI (web/dist, or WEB_DIR) at `/`: Vite's hashed /assets/* cached for good,
// index.html revalidated every time, and an SPA fallback so that deep links (/media/streams/x) load the
// app. The API prefixes and /ui/api/* are never shadowed: unknown paths there stay JSON 404s.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Streamer origins listed in connect-src at most (about 40 bytes each in every page's header). */
export const MAX_CSP_ORIGINS = 200;

/**
 * The UI's policy. Scripts may connect to Central and to `playbackOrigins` (the registered streamers,
 * where the player loads HLS from), never to any other host.
 */
export function cspFor(playbackOrigins: readonly string[]): string {
  const origins = playbackOrigins.slice(0, MAX_CSP_ORIGINS).filter((o) => cspOrigin(o) === o);
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    // The player loads HLS (and previews) straight from the streamers, which are other hosts.
    "img-src 'self' data: http: https:",
    "media-src 'self' blob: http: https:",
    ["connect-src 'self'", ...origins].join(' '),
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

export const CSP = cspFor([]);

/**
 * `scheme://host[:port]` of an http(s) URL when it is safe inside a CSP header, else null. A URL's origin
 * may hold `;`, `*` or quotes in its host name (WHATWG allows them), which would change the policy.
 */
export function cspOrigin(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  const host = /^\[[0-9a-f:.]+\]$/i.test(u.hostname) || /^[a-z0-9.-]+$/i.test(u.hostname);
  return host && /^\d*$/.test(u.port) ? `${u.protocol}//${u.host}` : null;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Central: web UI not built</title></head>
<body><h1>The web UI is not built</h1>
<p>Central serves its admin UI from <code>web/dist</code> (or <code>WEB_DIR</code>), which has no
<code>index.html</code>. Run <code>npm run build:web</code> in the repository, then reload this page.</p>
<p>The API works without it: <code>/central/api/v3</code>.</p></body></html>
`;

/**
 * `<repo>/web/dist`: the nearest folder above this module that has `web/` (from server/src/ui when run
 * from source, from dist/ when bundled).
 */
export function defaultWebDir(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from, i = 0; i < 6; i++, dir = path.dirname(dir))
    if (fs.existsSync(path.join(dir, 'web', 'package.json'))) return path.join(dir, 'web', 'dist');
  return path.resolve(from, '../../../web/dist');
}

function htmlHeaders(reply: FastifyReply, csp = CSP) {
  void reply.headers({
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  });
}

/**
 * The page's policy, rebuilt from the streamer origins at most every CSP_TTL_MS (index.html is public:
 * a flood of page loads must not become a flood of queries). Without the database: Central only.
 */
const CSP_TTL_MS = 1000;
function cachedPolicy(origins: () => Promise<readonly string[]>) {
  let cached: { at: number; csp: Promise<string> } | null = null;
  return (): Promise<string> => {
    const now = Date.now();
    if (!cached || now - cached.at >= CSP_TTL_MS)
      cached = { at: now, csp: origins().then(cspFor, () => CSP) };
    return cached.csp;
  };
}

/** The file under `root` that a URL path names, or null when the path tries to leave it. */
function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  if (decoded.split('/').some((seg) => seg === '..')) return null;
  const full = path.resolve(root, `.${decoded}`);
  return full === root || full.startsWith(root + path.sep) ? full : null;
}

async function statFile(file: string): Promise<fs.Stats | null> {
  const st = await fs.promises.stat(file).catch(() => null);
  return st?.isFile() ? st : null;
}

function sendFile(
  req: FastifyRequest,
  reply: FastifyReply,
  file: string,
  st: fs.Stats,
  cache: string,
  csp = CSP,
) {
  const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  if (type.startsWith('text/html')) htmlHeaders(reply, csp);
  const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  void reply.headers({
    'content-type': type,
    'cache-control': cache,
    etag,
    'last-modified': st.mtime.toUTCString(),
    'x-content-type-options': 'nosniff',
  });
  if (req.headers['if-none-match'] === etag) return reply.status(304).send();
  void reply.header('content-length', st.size);
  return req.method === 'HEAD' ? reply.send() : reply.send(fs.createReadStream(file));
}

/**
 * `apiPrefixes`: paths the UI never answers for, so that their unknown URLs stay JSON 404s.
 * `playbackOrigins`: the streamers' origins for the page's CSP (read at most every few seconds).
 */
export function staticRoutes(
  app: FastifyInstance,
  webDir: string,
  apiPrefixes: readonly string[],
  playbackOrigins: () => Promise<readonly string[]> = async () => [],
) {
  const pagePolicy = cachedPolicy(playbackOrigins);
  const underApi = (p: string) => apiPrefixes.some((prefix) => p === prefix || p.startsWith(`${prefix}/`));
  const root = path.resolve(webDir);
  const index = path.join(root, 'index.html');
  const serveIndex = async (req: FastifyRequest, reply: FastifyReply) => {
    // Looked up on every request: building the UI while Central runs needs no restart.
    const st = await statFile(index);
    if (st) return sendFile(req, reply, index, st, 'no-cache', await pagePolicy());
    htmlHeaders(reply);
    return reply
      .status(503)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(NOT_BUILT);
  };
  app.get('/*', async (req, reply) => {
    const urlPath = req.url.split('?')[0]!;
    if (underApi(urlPath)) return reply.callNotFound();
    if (urlPath === '/' || urlPath === '/index.html') return serveIndex(req, reply);
    const file = resolveInside(root, urlPath);
    if (file === null) return reply.callNotFound();
    const st = await statFile(file);
    if (st) {
      const hashed = urlPath.startsWith('/assets/');
      return sendFile(req, reply, file, st, hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    }
    // A missing script or image must stay a 404: only page loads (browsers ask for HTML) get the app.
    if (!String(req.headers.accept ?? '').includes('text/html') || urlPath.startsWith('/assets/'))
      return reply.callNotFound();
    return serveIndex(req, reply);
  });
}
