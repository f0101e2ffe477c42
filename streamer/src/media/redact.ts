// Secrets never leave this process: URLs and ffmpeg's error lines go through the redactor every log line
// goes through (protocol/redact: URL userinfo, secret-named query values such as `sig`, `token`,
// `passphrase`, Authorization credentials), so stats (`url`, `source_error`) show what the log shows.
import { isSecretName, redactSecrets } from '@central/protocol';

/** The URL as logs show it (`rtsp://u:p@h/x?sig=s` -> `rtsp://***@h/x?sig=***`). */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}

/** A short, single-line, secret-free version of a message (ffmpeg stderr, exceptions). */
export function redactText(text: string, secrets: readonly string[] = [], max = 240): string {
  let out = text.replace(/\s+/g, ' ').trim();
  // Secrets quoted without their URL (raw or decoded) first, then the patterns the logs use.
  for (const s of [...secrets].sort((a, b) => b.length - a.length))
    if (s.length >= 3) out = out.split(s).join('***');
  out = redactSecrets(out);
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

const decoded = (s: string): string[] => {
  try {
    const d = decodeURIComponent(s.replace(/\+/g, ' '));
    return d === s ? [s] : [s, d];
  } catch {
    return [s]; // a malformed escape: the raw form is all there is
  }
};

/**
 * The secrets of an input URL, raw and decoded, so they can be scrubbed from free text that quotes
 * them without their URL: the userinfo password (or the user alone, `http://TOKEN@host/`) and the
 * values of secret-named query parameters.
 */
export function urlSecrets(url: string): string[] {
  const out: string[] = [];
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/\s?#@]*)@/i.exec(url);
  if (m?.[1]) {
    const colon = m[1].indexOf(':');
    const secret = colon < 0 ? m[1] : m[1].slice(colon + 1);
    if (secret) out.push(...decoded(secret));
  }
  const q = url.indexOf('?');
  if (q >= 0)
    for (const pair of url.slice(q + 1).split(/[&;]/)) {
      const eq = pair.indexOf('=');
      if (eq > 0 && isSecretName(decoded(pair.slice(0, eq)).at(-1)!) && pair.length > eq + 1)
        out.push(...decoded(pair.slice(eq + 1)));
    }
  return out;
}
