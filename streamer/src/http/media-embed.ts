// embed.html: a self-contained player page. Everything it loads comes from this streamer (hls.js from
// the installed package), so it works offline and under a strict Content-Security-Policy.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

export interface Asset {
  body: Buffer;
  /** Short content hash, used as `?v=` so the asset can be cached forever. */
  version: string;
}

const STYLE =
  'html,body{margin:0;height:100%;background:#000;overflow:hidden}' +
  'video{display:block;width:100%;height:100%;object-fit:contain;background:#000}' +
  '#note{position:absolute;left:50%;top:50%;transform:translate(-50%,-50%);padding:.6em 1em;' +
  'border-radius:.4em;background:rgba(0,0,0,.6);color:#ddd;font:15px system-ui,sans-serif}';

// No inline script at all: the player logic is this static file, which only ever loads the playlist
// next to the page, so the stream name never has to be written into JavaScript.
const PLAYER_JS = `'use strict';
(function () {
  var video = document.getElementById('video');
  var note = document.getElementById('note');
  var src = 'index.m3u8';
  function say(text) { note.textContent = text; note.hidden = !text; }
  function play() { var p = video.play(); if (p && p.catch) p.catch(function () {}); }
  video.addEventListener('playing', function () { say(''); });
  var Hls = window.Hls;
  if (Hls && Hls.isSupported()) {
    var hls = new Hls({ backBufferLength: 30 });
    var retries = 0;
    hls.on(Hls.Events.MANIFEST_PARSED, function () { retries = 0; play(); });
    hls.on(Hls.Events.ERROR, function (_event, data) {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) { hls.recoverMediaError(); return; }
      say('Waiting for the stream\\u2026');
      retries = Math.min(retries + 1, 10);
      setTimeout(function () { hls.loadSource(src); hls.startLoad(); }, 1000 * retries);
    });
    hls.loadSource(src);
    hls.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.addEventListener('loadedmetadata', play);
    video.addEventListener('error', function () {
      say('Waiting for the stream\\u2026');
      setTimeout(function () { video.src = src; video.load(); }, 3000);
    });
    video.src = src;
  } else {
    say('This browser cannot play HLS.');
  }
})();
`;

function hashed(body: Buffer): Asset {
  return { body, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

export const playerJs: Asset = hashed(Buffer.from(PLAYER_JS));

const styleHash = createHash('sha256').update(STYLE).digest('base64');

export const EMBED_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'sha256-${styleHash}'`,
  "media-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' data:",
  // hls.js runs its transmuxer in a worker created from a blob: URL.
  'worker-src blob:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

let hlsJs: Promise<Asset | null> | undefined;

/** hls.js from the installed package, read once; null when it is not installed (native HLS only). */
export function loadHlsJs(): Promise<Asset | null> {
  hlsJs ??= (async () => {
    try {
      const path = createRequire(import.meta.url).resolve('hls.js/dist/hls.light.min.js');
      return hashed(await readFile(path));
    } catch {
      return null;
    }
  })();
  return hlsJs;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page for `name`, served `depth` path segments below the root. Asset URLs are relative so the
 * page keeps working behind a reverse proxy that mounts the streamer under a prefix.
 */
export function embedHtml(name: string, depth: number, hls: Asset | null): string {
  const root = '../'.repeat(depth) + '_player/';
  const title = escapeHtml(name);
  const hlsTag = hls ? `<script src="${root}hls.light.min.js?v=${hls.version}"></script>\n` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<video id="video" controls autoplay muted playsinline poster="preview.jpg" aria-label="${title}"></video>
<div id="note" hidden>Loading\u2026</div>
${hlsTag}<script src="${root}embed.js?v=${playerJs.version}"></script>
</body>
</html>
`;
}
