// The URLs viewers use to play a stream, built from the streamer that ingests it. Flussonic's URL
// patterns (reference §10); the host is the streamer's public payload URL, falling back to the private
// payload URL, the API URL and finally the bare hostname.

export interface PayloadHost {
  hostname: string;
  public_payload_url?: string | null;
  private_payload_url?: string | null;
  api_url?: string | null;
}

export interface PlaybackUrls {
  hls?: string;
  ll_hls?: string;
  dash?: string;
  mpegts?: string;
  rtmp?: string;
  rtsp?: string;
  srt?: string;
  webrtc?: string;
  embed?: string;
  preview?: string;
}

/** The http(s) origin (and path prefix) a streamer serves its streams on, without a trailing slash. */
export function payloadBase(s: PayloadHost): string {
  const url = s.public_payload_url || s.private_payload_url || s.api_url || `http://${s.hostname}`;
  const u = new URL(url);
  u.username = '';
  u.password = '';
  u.search = '';
  u.hash = '';
  u.pathname = u.pathname.replace(/\/(streamer|flussonic)\/api\/v3\/?$/, '');
  return u.toString().replace(/\/+$/, '');
}

/** A stream name as a URL path: every segment encoded, the `/` between them kept. */
export function namePath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

type Protocols = Partial<Record<string, boolean | null>> | null | undefined;

/** `protocols` switches a protocol off with `false` (everything is on by default, as in Flussonic). */
function enabled(protocols: Protocols, key: string): boolean {
  return protocols?.[key] !== false;
}

function srtPort(stream: Record<string, unknown>): number | null {
  const play = stream.srt_play as { port?: unknown } | undefined;
  const port = play?.port ?? stream.srt;
  return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
}

export function playbackUrls(
  name: string,
  stream: Record<string, unknown>,
  streamer: PayloadHost,
): PlaybackUrls {
  const base = payloadBase(streamer);
  const host = new URL(base).hostname;
  const p = namePath(name);
  const protocols = stream.protocols as Protocols;
  const on = (k: string) => enabled(protocols, k);
  const urls: PlaybackUrls = {};
  if (on('hls')) urls.hls = `${base}/${p}/index.m3u8`;
  if (on('cmaf')) urls.ll_hls = `${base}/${p}/index.ll.m3u8`;
  if (on('dash')) urls.dash = `${base}/${p}/index.mpd`;
  if (on('tshttp')) urls.mpegts = `${base}/${p}/mpegts`;
  if (on('rtmp')) urls.rtmp = `rtmp://${host}/static/${p}`;
  if (on('rtsp')) urls.rtsp = `rtsp://${host}/${p}`;
  const srt = srtPort(stream);
  if (on('srt') && srt) urls.srt = `srt://${host}:${srt}?streamid=#!::r=${name},m=request`;
  if (on('webrtc')) urls.webrtc = `${base}/${p}/whep`;
  if (on('player')) urls.embed = `${base}/${p}/embed.html`;
  if (on('jpeg')) urls.preview = `${base}/${p}/preview.jpg`;
  return urls;
}
