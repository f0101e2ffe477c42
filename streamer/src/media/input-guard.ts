// The run-time checks of one input, just before its ffmpeg starts: the shared input rules (scheme,
// listen options, headers), file:// confined to the media root (symlinks resolved), and the address
// rules applied to the host as resolved now. The streamer trusts no config, Central's included.
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import {
  HTTP_SCHEMES,
  inputFilePath,
  inputProblem,
  OUTBOUND_SCHEMES,
  parseInputUrl,
} from '@central/protocol/input-rules';
import { BLOCKED_CODE, resolveAllowed, type NetPolicy } from '@central/protocol/net-rules';
import type { GuardProxy, ProxyTicket } from './guard-proxy.ts';
import type { InputSpec } from './sources.ts';

export interface InputRules {
  /** file:// inputs may only read below this directory (absolute). */
  mediaRoot: string;
  policy: NetPolicy;
}

/**
 * An input that passed every check: `url` may name the checked address, `file` is the real path,
 * `ticket` the guard proxy credentials of an http(s) input.
 */
export interface PreparedInput extends InputSpec {
  file?: string;
  ticket?: ProxyTicket;
}

/** The one answer for a path outside the root, whether or not it exists (no file-existence oracle). */
const OUTSIDE = 'the file is outside the media root (MEDIA_ROOT) or cannot be read';

/** Schemes whose checked address replaces the host name in the URL ffmpeg gets (no DNS rebinding).
 * Not the TLS ones (the name is needed for SNI) and not http(s) (the guard proxy checks each
 * connection itself). */
const PIN_ADDRESS = new Set(['rtsp', 'rtmp', 'srt']);

const inside = (root: string, p: string) =>
  p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);

async function fileProblem(spec: InputSpec, root: string): Promise<{ file: string } | { error: string }> {
  const u = parseInputUrl(spec.url)!;
  const lexical = path.resolve(root, inputFilePath(u));
  if (!inside(root, lexical)) return { error: OUTSIDE };
  try {
    const [realRoot, real] = await Promise.all([fs.realpath(root), fs.realpath(lexical)]);
    if (!inside(realRoot, real)) return { error: OUTSIDE };
    await fs.access(real, fs.constants.R_OK);
    return { file: real };
  } catch {
    // Inside the root lexically: saying that it is missing reveals nothing outside it.
    return { error: 'no such file in the media root' };
  }
}

/** The spec ready for ffmpeg, or why it may not run. Never throws. */
export async function prepareInput(
  spec: InputSpec,
  rules: InputRules,
): Promise<PreparedInput | { error: string }> {
  const problem = inputProblem({ ...spec.opts, url: spec.url });
  if (problem) return { error: problem.reason };
  const u = parseInputUrl(spec.url)!;
  if (u.scheme === 'file') {
    const f = await fileProblem(spec, rules.mediaRoot);
    return 'error' in f ? f : { ...spec, file: f.file };
  }
  if (!OUTBOUND_SCHEMES.has(u.scheme)) return spec;
  let address: string;
  try {
    address = (await resolveAllowed(u.host, rules.policy))[0]!.address;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return {
      error:
        e.code === BLOCKED_CODE
          ? `refused by the input address rules: ${e.message}`
          : `cannot resolve ${u.host} (${e.code ?? e.message})`,
    };
  }
  if (!PIN_ADDRESS.has(u.scheme) || net.isIP(u.host)) return spec;
  return { ...spec, url: pinHost(spec.url, u.host, address) };
}

/** The URL with its host replaced by the checked address (the first occurrence after `//`). */
function pinHost(url: string, host: string, address: string): string {
  const start = url.indexOf('//') + 2;
  const end = url.slice(start).search(/[/?#]|$/) + start;
  const authority = url.slice(start, end);
  const at = authority.lastIndexOf('@') + 1;
  const hostPart = authority.slice(at);
  const literal = net.isIPv6(address) ? `[${address}]` : address;
  const i = hostPart.toLowerCase().indexOf(host);
  if (i < 0) return url;
  const pinned = hostPart.slice(0, i) + literal + hostPart.slice(i + host.length);
  return url.slice(0, start) + authority.slice(0, at) + pinned + url.slice(end);
}

/** prepareInput, plus proxy credentials for an http(s) input. Never throws. */
export async function prepareRun(
  spec: InputSpec,
  rules: InputRules,
  proxy: GuardProxy,
): Promise<PreparedInput | { error: string; ticket?: undefined }> {
  try {
    const prepared = await prepareInput(spec, rules);
    if ('error' in prepared || !HTTP_SCHEMES.has(parseInputUrl(spec.url)?.scheme ?? '')) return prepared;
    return { ...prepared, ticket: await proxy.ticket() };
  } catch (err) {
    return { error: `cannot check the input: ${String(err)}` };
  }
}
