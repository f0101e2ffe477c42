// The outbound address rules for the streamer's own config_external URL. Anyone with the admin login
// (or Central's cluster key) sets that URL, and the streamer then calls it every few seconds, so it
// must not become a way into cloud metadata services or other reserved addresses: the same rules as
// Central's calls to streamers and the streamer's inputs (protocol/net-rules), checked when the URL is
// set and again for every connection (DNS answers included; redirects are never followed).
// Central usually lives on a private or loopback address, so only the always-denied addresses are
// refused: INPUT_ALLOW_CIDRS / INPUT_DENY_CIDRS are about stream inputs, not about Central.
import { isIP } from 'node:net';
import {
  BLOCKED_CODE,
  literalProblem,
  resolveAllowed,
  urlHost,
  type NetPolicy,
} from '@central/protocol/net-rules';

/** Loopback and private networks allowed; metadata, link-local, multicast … refused. */
export const CONFIG_EXTERNAL_POLICY: NetPolicy = Object.freeze({
  allow: Object.freeze([]),
  deny: Object.freeze([]),
});

/**
 * Why the streamer may not pull from `text`, or null. A name is resolved now: refused when every
 * address it has is refused; a name that does not resolve yet is accepted (the pulls report it).
 * The answer never repeats the URL (its userinfo is Central's key).
 */
export async function configExternalProblem(
  text: string,
  policy: NetPolicy = CONFIG_EXTERNAL_POLICY,
): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a URL';
  }
  const literal = literalProblem(url, policy);
  if (literal !== null) return `refused by the address rules: ${literal}`;
  if (isIP(urlHost(url))) return null;
  try {
    await resolveAllowed(urlHost(url), policy);
    return null;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.code === BLOCKED_CODE ? `refused by the address rules: ${e.message}` : null;
  }
}
