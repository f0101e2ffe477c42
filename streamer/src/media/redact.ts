// Secrets never leave this process: URLs lose their userinfo password (and well-known secret query
// parameters), and ffmpeg's error lines are scrubbed the same way before they reach logs or stats.

const SECRET_PARAMS = /([?&](?:passphrase|password|pass|pwd|token|key)=)[^&\s]*/gi;
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s/]*@/gi;

/** The URL with any userinfo password removed (`rtsp://u:p@h/` -> `rtsp://u@h/`). */
export function redactUrl(url: string): string {
  return url.replace(USERINFO, '$1@').replace(SECRET_PARAMS, '$1***');
}

/** A short, single-line, secret-free version of a message (ffmpeg stderr, exceptions). */
export function redactText(text: string, secrets: readonly string[] = [], max = 240): string {
  let out = redactUrl(text.replace(/\s+/g, ' ').trim());
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

/** The password part of a URL's userinfo, raw and decoded, so it can be scrubbed from free text. */
export function urlSecrets(url: string): string[] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:([^@\s/]*)@/i.exec(url);
  if (!m?.[1]) return [];
  let decoded = m[1];
  try {
    decoded = decodeURIComponent(m[1]);
  } catch {
    // a malformed escape: the raw form is all there is
  }
  return decoded === m[1] ? [m[1]] : [m[1], decoded];
}
