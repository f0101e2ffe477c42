// What a stream input may ask of a streamer. Stream configs are untrusted (any Central API user writes
// them), and a streamer runs them with ffmpeg, which can read local files, chain pseudo-protocols
// (concat:, subfile:, data:, pipe: …) and open listening sockets. Pure rules, shared by Central (a 400
// at save time) and the streamer (again at run time, where the address rules and the media root apply).
import { isAlwaysDenied } from './net-rules.ts';

/** Schemes the streamer opens with ffmpeg's http client (HLS or MPEG-TS over HTTP). */
export const HTTP_SCHEMES: ReadonlySet<string> = new Set([
  'http',
  'https',
  'hls',
  'hlss',
  'tshttp',
  'tshttps',
]);
/** Schemes whose host the streamer connects to (the address rules apply to it). */
export const OUTBOUND_SCHEMES: ReadonlySet<string> = new Set([
  ...HTTP_SCHEMES,
  'rtsp',
  'rtsps',
  'rtmp',
  'rtmps',
  'srt',
]);
/** Schemes that receive on a local port: the host is a multicast group to join or a local address. */
export const RECEIVE_SCHEMES: ReadonlySet<string> = new Set(['udp', 'rtp']);
/** Every scheme the open streamer runs. */
export const STREAMER_SCHEMES: ReadonlySet<string> = new Set([
  'fake',
  'file',
  ...OUTBOUND_SCHEMES,
  ...RECEIVE_SCHEMES,
]);
/**
 * Input schemes of Flussonic Media Server that the open streamer does not run. Central stores them,
 * since a Flussonic streamer may run them; ffmpeg never sees them.
 */
const FLUSSONIC_SCHEMES = [
  'publish',
  'm4f',
  'm4fs',
  'm4s',
  'm4ss',
  'copy',
  'playlist',
  'timeshift_abs',
  'timeshift_rel',
  'mixer',
  'shout',
  'shouts',
  'decklink',
  'dektec',
  'v4l',
  'st2110',
  'ndi',
  'webrtc',
  'whep',
  'mpts-dvb',
  'dvb',
];
/** What Central accepts: what some streamer (open, or Flussonic) can run. */
export const CENTRAL_SCHEMES: ReadonlySet<string> = new Set([...STREAMER_SCHEMES, ...FLUSSONIC_SCHEMES]);

/**
 * Query options that make ffmpeg (or a Flussonic streamer) listen, or bind a local port or address
 * of the input's choosing, in any of tcp, udp, rtp, srt, rtmp, rtsp, http.
 */
const LISTEN_OPTIONS = new Set([
  'listen',
  'listen_timeout',
  'rtmp_listen',
  'rtsp_flags',
  'localport',
  'local_port',
  'localaddr',
  'local_addr',
  'localrtpport',
  'localrtcpport',
]);

/**
 * Headers an input may not set: hop-by-hop and framing headers (request smuggling, proxy
 * credentials) and the headers that unlock cloud metadata services.
 */
const FORBIDDEN_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'expect',
  'metadata',
  'metadata-flavor',
  'x-google-metadata-request',
  'x-aws-ec2-metadata-token',
  'x-aws-ec2-metadata-token-ttl-seconds',
  'x-identity-header',
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** C0 controls but horizontal tab, and DEL. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const MAX_HEADERS = 32;
const MAX_HEADER_VALUE = 4096;

export interface InputUrl {
  scheme: string;
  /** Host as written (brackets removed), lower case; "" when none. */
  host: string;
  port: number | null;
  /** Everything after the authority up to `?` (for file://, the whole path including the host). */
  path: string;
  /**
   * Query options, names lower case and %-decoded; a name given twice keeps its first value, the one
   * ffmpeg's av_find_info_tag() reads.
   */
  options: Map<string, string>;
  /** Every query option in order, as in `options` (repeated names included), and as written. */
  pairs: { name: string; value: string; raw: string }[];
}

/** Why an input cannot run: `field` is `url`, `user_agent` or `headers` (then `header` names it). */
export interface InputProblem {
  field: 'url' | 'user_agent' | 'headers';
  header?: string;
  reason: string;
}

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** WHATWG's canonical form of an IPv4 host (2852039166, 0xa9.0376.0xa9fe …); other hosts unchanged. */
function canonicalHost(host: string): string {
  if (!/^[0-9a-fx.]+$/i.test(host)) return host;
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return host;
  }
}

/**
 * Splits `scheme://[userinfo@]host[:port]/path?query`; null when it is not of that shape. The query is
 * read the way ffmpeg reads options (udp, rtp, srt, tcp: `strchr(uri, '?')`, then av_find_info_tag()):
 * from the first `?` to the very end of the string. `#` ends nothing there, so `?#&mode=listener`
 * is the option `mode=listener`, not a fragment.
 */
export function parseInputUrl(url: string): InputUrl | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?]*)(?:\?([\s\S]*))?$/i.exec(url);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const hp = /^(?:\[([^\]]*)\]|([^:]*))(?::(\d*))?$/.exec(hostPort);
  const options = new Map<string, string>();
  const pairs: InputUrl['pairs'] = [];
  for (const raw of (m[4] ?? '').split('&')) {
    if (!raw) continue;
    const eq = raw.indexOf('=');
    const name = decode(eq < 0 ? raw : raw.slice(0, eq)).toLowerCase();
    const value = decode(eq < 0 ? '' : raw.slice(eq + 1));
    pairs.push({ name, value, raw });
    if (!options.has(name)) options.set(name, value);
  }
  const host = hp ? canonicalHost((hp[1] ?? hp[2] ?? '').toLowerCase()) : authority.toLowerCase();
  const port = hp?.[3] ? Number(hp[3]) : null;
  const path = scheme === 'file' ? authority + m[3]! : m[3]!;
  if (!hp && scheme !== 'file' && scheme !== 'fake') return null;
  return { scheme, host, port, path, options, pairs };
}

/** A file:// path, %-decoded: absolute, or relative to the streamer's media root. */
export function inputFilePath(u: InputUrl): string {
  return decode(u.path);
}

/**
 * The one place a `#` may stand: the value of srt's `streamid`, whose access-control syntax starts
 * with it (`streamid=#!::r=live/cam,m=request`, which Flussonic's own SRT URLs use). The whole query
 * is options (see parseInputUrl), so such a `#` starts no fragment.
 */
function hashOnlyInStreamId(url: string, u: InputUrl): boolean {
  const q = url.indexOf('?');
  if (u.scheme !== 'srt' || q < 0 || url.slice(0, q).includes('#')) return false;
  return u.pairs.every(({ raw }) => {
    const hash = raw.indexOf('#');
    const eq = raw.indexOf('=');
    return hash < 0 || (eq >= 0 && eq < hash && decode(raw.slice(0, eq)).toLowerCase() === 'streamid');
  });
}

function urlProblem(url: string, schemes: ReadonlySet<string>): string | null {
  if (CONTROL.test(url)) return 'the URL contains control characters (CR, LF …)';
  const u = parseInputUrl(url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (!scheme || !schemes.has(scheme))
    return `"${scheme ?? url.slice(0, 16)}" is not a supported input scheme (supported: ${[...schemes].join(', ')})`;
  if (!u) return `not a ${scheme}:// URL`;
  if (scheme !== 'file' && /\s/.test(url)) return 'the URL contains white space';
  if (url.includes('#') && !hashOnlyInStreamId(url, u))
    return 'the URL contains "#" (a fragment means nothing to a stream input; write %23 in a name)';
  if (scheme === 'file') {
    const p = inputFilePath(u);
    if (p === '' || p === '/') return 'file:// needs a file path';
    if (p.split('/').some((seg) => seg === '..')) return 'file:// paths may not contain ".."';
    if (CONTROL.test(p)) return 'the file path contains control characters';
    return null;
  }
  // An http(s) query goes to the server; ffmpeg reads options from the query of the other schemes.
  // Every occurrence counts: ffmpeg reads the first of a repeated name, a Map would keep the last.
  if (!HTTP_SCHEMES.has(scheme)) {
    for (const { name, value } of u.pairs) {
      if (LISTEN_OPTIONS.has(name)) return `the option "${name}" (listening, local ports) is not allowed`;
      if (scheme === 'srt' && name === 'mode' && value.toLowerCase() !== 'caller')
        return `mode=${value} makes the streamer listen; only caller mode is allowed`;
    }
  }
  // udp and rtp hosts are groups to join or local addresses to bind, not destinations.
  if (OUTBOUND_SCHEMES.has(scheme)) {
    if (!u.host) return `${scheme}:// needs a host`;
    if (isAlwaysDenied(u.host)) return `${u.host} is a reserved address (link-local, metadata, multicast)`;
  }
  return null;
}

function headerProblems(headers: unknown, userAgent: unknown): InputProblem | null {
  if (typeof userAgent === 'string' && CONTROL.test(userAgent))
    return { field: 'user_agent', reason: 'user_agent contains control characters (CR, LF …)' };
  if (headers === undefined || headers === null) return null;
  if (typeof headers !== 'object' || Array.isArray(headers))
    return { field: 'headers', reason: 'headers must be an object of name: value' };
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) return { field: 'headers', reason: `at most ${MAX_HEADERS} headers` };
  for (const [name, value] of entries) {
    const bad = (reason: string): InputProblem => ({ field: 'headers', header: name, reason });
    if (!TOKEN.test(name)) return bad(`"${name.slice(0, 64)}" is not a header name`);
    if (FORBIDDEN_HEADERS.has(name.toLowerCase())) return bad(`the header ${name} may not be set`);
    if (typeof value !== 'string') return bad(`the header ${name} must be a string`);
    if (CONTROL.test(value)) return bad(`the header ${name} contains control characters (CR, LF …)`);
    if (value.length > MAX_HEADER_VALUE) return bad(`the header ${name} is longer than ${MAX_HEADER_VALUE}`);
  }
  return null;
}

/**
 * null when the input may run, else the field at fault and why. `schemes`: the streamer's own list
 * (STREAMER_SCHEMES) or Central's (CENTRAL_SCHEMES). Hosts are only checked when they are IP
 * literals here; the streamer resolves names and applies its address rules at run time.
 */
export function inputProblem(
  input: { url?: unknown; headers?: unknown; user_agent?: unknown },
  schemes: ReadonlySet<string> = STREAMER_SCHEMES,
): InputProblem | null {
  if (typeof input.url !== 'string' || input.url.trim() === '')
    return { field: 'url', reason: 'the input has no url' };
  const reason = urlProblem(input.url.trim(), schemes);
  if (reason) return { field: 'url', reason };
  return headerProblems(input.headers, input.user_agent);
}

/** The first refused input of a stream's `inputs`, as an API error names it; null when all may run. */
export function inputsProblem(
  inputs: unknown,
  schemes: ReadonlySet<string> = STREAMER_SCHEMES,
): { pointer: string; title: string } | null {
  if (!Array.isArray(inputs)) return null;
  for (const [i, input] of inputs.entries()) {
    const p =
      typeof input === 'string'
        ? inputProblem({ url: input }, schemes)
        : input && typeof input === 'object' && !Array.isArray(input)
          ? inputProblem(input as Record<string, unknown>, schemes)
          : null;
    if (!p) continue;
    const at = typeof input === 'string' ? '' : `/${p.field}`;
    const header = p.header === undefined ? '' : `/${p.header.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const name = `inputs[${i}]${typeof input === 'string' ? '' : `.${p.field}`}`;
    return { pointer: `/inputs/${i}${at}${header}`, title: `${name}: ${p.reason}` };
  }
  return null;
}
