// Reads /etc/central/streamer.conf (or --config / STREAMER_CONFIG) and the environment into one
// validated, frozen StreamerConfig. Keys may be written plain (HOSTNAME), or with the STREAMER_ or
// FLUSSONIC_ prefix that Flussonic's own images use; every problem is reported as a line naming the key.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCidrList } from '@central/protocol/net-rules';
import { literalProblem } from '@central/protocol/net-rules';
import { CONFIG_EXTERNAL_POLICY } from './config-external/target.ts';
import {
  configFileFrom,
  parseBool,
  readConfigFile,
  parseDuration,
  parseEditAuth,
  parsePort,
} from '@central/protocol/config-file';

export const DEFAULT_STREAMER_CONFIG = '/etc/central/streamer.conf';
export const DEFAULT_STREAMER_PORT = 8080;
const PLACEHOLDERS = new Set(['KEY0', 'REPLACE_YOUR_PASSWORD', 'changeme']);
const LOG_LEVELS = ['silent', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'];

const KEYS = [
  'HOSTNAME',
  'HTTP',
  'CLUSTER_KEY',
  'EDIT_AUTH',
  'DIR',
  'CONFIG_EXTERNAL',
  'CONFIG_EXTERNAL_INTERVAL',
  'LONG_POLL',
  'FFMPEG',
  'LOG_LEVEL',
  'MEDIA_ROOT',
  'INPUT_ALLOW_CIDRS',
  'INPUT_DENY_CIDRS',
] as const;
type Key = (typeof KEYS)[number];
/** Other spellings seen in Flussonic deployments and in Central's own file. */
const ALIASES: Record<string, Key> = { HTTP_PORT: 'HTTP', DATA_DIR: 'DIR', LOGLEVEL: 'LOG_LEVEL' };

export interface StreamerConfig {
  readonly configFile: string | null;
  readonly hostname: string;
  readonly httpPort: number;
  /** null: only the persisted key (written by Central's provisioning) can authorise Central. */
  readonly clusterKey: string | null;
  readonly editAuth: { readonly login: string; readonly password: string } | null;
  readonly dir: string;
  readonly configExternal: string | null;
  readonly pollIntervalMs: number;
  readonly longPoll: boolean;
  readonly ffmpeg: string;
  readonly logLevel: string;
  /** The only directory file:// inputs may read. Default (also when absent): <dir>/files. */
  readonly mediaRoot?: string;
  /** Networks inputs may reach (empty: all but the always-denied ones), and never reach. */
  readonly inputAllowCidrs?: readonly string[];
  readonly inputDenyCidrs?: readonly string[];
}

export class StreamerConfigError extends Error {
  /** `warnings` (e.g. a misspelt key) are shown too: they often explain the problem. */
  constructor(
    readonly problems: string[],
    readonly warnings: string[] = [],
  ) {
    const lines = [...problems, ...warnings.map((w) => `warning: ${w}`)];
    super(`invalid streamer configuration:\n${lines.map((p) => `  ${p}`).join('\n')}`);
  }
}

function canonical(name: string): Key | null {
  const k = name.toUpperCase().replace(/^(STREAMER|FLUSSONIC)_/, '');
  if (ALIASES[k]) return ALIASES[k]!;
  return (KEYS as readonly string[]).includes(k) ? (k as Key) : null;
}

/**
 * File first, then the environment. Plain names in the environment only count when prefixed
 * (STREAMER_HOSTNAME), because HOSTNAME and friends are set by every shell.
 */
function collect(argv: string[], env: Record<string, string | undefined>) {
  const { raw, problems, warnings, configFile } = readConfigFile(
    configFileFrom(argv, env.STREAMER_CONFIG, DEFAULT_STREAMER_CONFIG),
    canonical,
  );
  for (const prefix of ['FLUSSONIC_', 'STREAMER_']) {
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined || !name.startsWith(prefix) || name === 'STREAMER_CONFIG') continue;
      const key = canonical(name);
      if (key) raw.set(key, value);
    }
  }
  return { raw, problems, warnings, configFile };
}

function checkHttpUrl(key: string, v: string, problems: string[]): string | null {
  if (v === '') return null;
  if (!URL.canParse(v) || !/^https?:$/.test(new URL(v).protocol)) {
    problems.push(`${key}: "${v.replace(/\/\/[^@/]*@/, '//***@')}" is not an http(s) URL`);
    return null;
  }
  return v;
}

/** CONFIG_EXTERNAL: an http(s) URL whose host, when an IP literal, the outbound rules allow. */
function parseConfigExternal(v: string, problems: string[]): string | null {
  const url = checkHttpUrl('CONFIG_EXTERNAL', v, problems);
  const refused = url === null ? null : literalProblem(new URL(url), CONFIG_EXTERNAL_POLICY);
  if (refused === null) return url;
  problems.push(`CONFIG_EXTERNAL: refused by the address rules: ${refused}`);
  return null;
}

function parseHostname(v: string, problems: string[]): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(v))
    problems.push(`HOSTNAME: "${v}" is not a host name (letters, digits, '.', '_', '-')`);
  return v;
}

function parseInterval(v: string | undefined, problems: string[]): number {
  if (v === undefined) return 5000;
  const ms = parseDuration(v.trim());
  if (ms === null || ms < 100 || ms > 3_600_000) {
    problems.push(`CONFIG_EXTERNAL_INTERVAL: "${v}" is not a duration between 100ms and 1h (e.g. 5s)`);
    return 5000;
  }
  return ms;
}

function parseMediaRoot(v: string | undefined, dir: string, cwd: string, problems: string[]): string {
  if (!v) return path.join(dir, 'files');
  const root = path.resolve(cwd, v);
  let isDir = false;
  try {
    isDir = fs.statSync(root).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) problems.push(`MEDIA_ROOT: "${root}" is not a directory (file:// inputs are read from it)`);
  return root;
}

function cidrs(key: Key, v: string | undefined, problems: string[]): readonly string[] {
  try {
    return Object.freeze(v ? parseCidrList(v, key) : []);
  } catch (e) {
    problems.push((e as Error).message);
    return [];
  }
}

export function loadStreamerConfig(
  o: { argv?: string[]; env?: Record<string, string | undefined>; cwd?: string } = {},
): { config: StreamerConfig; warnings: string[] } {
  const env = o.env ?? process.env;
  const { raw, problems, warnings, configFile } = collect(o.argv ?? [], env);
  const get = (k: Key) => raw.get(k)?.trim();
  const clusterKey = get('CLUSTER_KEY') || null;
  if (clusterKey && PLACEHOLDERS.has(clusterKey))
    problems.push('CLUSTER_KEY: the key is the sample placeholder; choose a real key');
  const editAuthText = get('EDIT_AUTH');
  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`LOG_LEVEL: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  const cwd = o.cwd ?? process.cwd();
  const dir = path.resolve(cwd, get('DIR') || 'data/streamer');
  const config: StreamerConfig = Object.freeze({
    configFile,
    hostname: parseHostname(get('HOSTNAME') || os.hostname(), problems),
    httpPort: parsePort('HTTP', get('HTTP') ?? String(DEFAULT_STREAMER_PORT), problems) ?? 0,
    clusterKey,
    editAuth: editAuthText ? parseEditAuth('EDIT_AUTH', editAuthText, problems, PLACEHOLDERS) : null,
    dir,
    configExternal: parseConfigExternal(get('CONFIG_EXTERNAL') ?? '', problems),
    pollIntervalMs: parseInterval(get('CONFIG_EXTERNAL_INTERVAL'), problems),
    longPoll: parseBool('LONG_POLL', get('LONG_POLL') ?? 'true', problems),
    ffmpeg: get('FFMPEG') || 'ffmpeg',
    logLevel,
    mediaRoot: parseMediaRoot(get('MEDIA_ROOT'), dir, cwd, problems),
    inputAllowCidrs: cidrs('INPUT_ALLOW_CIDRS', get('INPUT_ALLOW_CIDRS'), problems),
    inputDenyCidrs: cidrs('INPUT_DENY_CIDRS', get('INPUT_DENY_CIDRS'), problems),
  });
  if (problems.length) throw new StreamerConfigError(problems, warnings);
  return { config, warnings };
}
