// `streamer --check-config [--config FILE]`: reads the configuration file and the environment as
// start-up does, checks that ffmpeg runs and the data directory is writable (without creating it), and
// prints a summary (exit 0) or every problem naming the key (exit 1). Secrets are never printed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { redactSecrets } from '@central/protocol';
import { loadStreamerConfig, StreamerConfigError } from './config.ts';

/** The nearest existing folder of `dir` must be writable: start-up creates the rest. */
function dirProblem(dir: string): string | null {
  let p = dir;
  while (!fs.existsSync(p) && path.dirname(p) !== p) p = path.dirname(p);
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return null;
  } catch {
    return `DIR: ${dir} is not writable by this user (checked ${p})`;
  }
}

function ffmpegProblem(ffmpeg: string): string | null {
  try {
    execFileSync(ffmpeg, ['-hide_banner', '-version'], { stdio: 'ignore', timeout: 10_000 });
    return null;
  } catch {
    return `FFMPEG: cannot run "${ffmpeg}" (install Debian's ffmpeg package, or set STREAMER_FFMPEG)`;
  }
}

export function checkStreamerConfig(
  argv: string[],
  env: Record<string, string | undefined>,
  write: (line: string) => void,
): number {
  try {
    const { config, warnings } = loadStreamerConfig({ argv, env });
    for (const w of warnings) write(`warning: ${w}`);
    const problems = [dirProblem(config.dir), ffmpegProblem(config.ffmpeg)].filter((p) => p !== null);
    if (problems.length) {
      write(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
      return 1;
    }
    write(`configuration OK (${config.configFile ?? 'no config file; environment only'})`);
    write(`  hostname:     ${config.hostname}`);
    write(`  HTTP port:    ${config.httpPort}`);
    write(`  data dir:     ${config.dir}`);
    write(`  ffmpeg:       ${config.ffmpeg}`);
    write(`  cluster key:  ${config.clusterKey ? 'set' : 'not set (Central cannot manage this streamer)'}`);
    write(
      `  EDIT_AUTH:    ${config.editAuth ? `login ${config.editAuth.login}` : 'not set (no admin login)'}`,
    );
    const external = config.configExternal === null ? null : redactSecrets(config.configExternal);
    write(`  Central:      ${external ?? 'not in the file (Central provisions it into DIR/config.json)'}`);
    return 0;
  } catch (e) {
    if (e instanceof StreamerConfigError) {
      write(e.message);
      return 1;
    }
    throw e;
  }
}
