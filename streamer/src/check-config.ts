// `streamer --check-config [--config FILE]`: reads the configuration file and the environment as
// start-up does, checks that ffmpeg runs and the data directory is writable (without creating it), and
// prints a summary (exit 0) or every problem naming the key (exit 1). Secrets are never printed.
import { execFileSync } from 'node:child_process';
import { redactSecrets } from '@central/protocol';
import { checkReport, writableDirProblem } from '@central/protocol/config-file';
import { loadStreamerConfig, StreamerConfigError } from './config.ts';

function ffmpegProblem(ffmpeg: string): string | null {
  try {
    execFileSync(ffmpeg, ['-hide_banner', '-version'], { stdio: 'ignore', timeout: 10_000 });
    return null;
  } catch {
    return `FFMPEG: cannot run "${ffmpeg}" (install Debian's ffmpeg package, or set STREAMER_FFMPEG)`;
  }
}

function inputNetworks(allow: readonly string[], deny: readonly string[]): string {
  const allowed = allow.length ? `only ${allow.join(', ')}` : 'all';
  const denied = deny.length ? `; never ${deny.join(', ')}` : '';
  return `${allowed} but link-local and metadata addresses${denied}`;
}

export function checkStreamerConfig(
  argv: string[],
  env: Record<string, string | undefined>,
  write: (line: string) => void,
): number {
  return checkReport(
    write,
    () => {
      const { config, warnings } = loadStreamerConfig({ argv, env });
      const external = config.configExternal
        ? redactSecrets(config.configExternal)
        : 'not in the file (Central provisions it into DIR/config.json)';
      return {
        configFile: config.configFile,
        warnings,
        problems: [writableDirProblem('DIR', config.dir), ffmpegProblem(config.ffmpeg)],
        summary: [
          ['hostname', config.hostname],
          ['HTTP port', String(config.httpPort)],
          ['data dir', config.dir],
          ['ffmpeg', config.ffmpeg],
          [
            'media root',
            `${config.mediaRoot ?? `${config.dir}/files`} (the only directory file:// inputs read)`,
          ],
          ['input networks', inputNetworks(config.inputAllowCidrs ?? [], config.inputDenyCidrs ?? [])],
          ['cluster key', config.clusterKey ? 'set' : 'not set (Central cannot manage this streamer)'],
          ['EDIT_AUTH', config.editAuth ? `login ${config.editAuth.login}` : 'not set (no admin login)'],
          ['Central', external],
        ],
      };
    },
    (e): e is StreamerConfigError => e instanceof StreamerConfigError,
  );
}
