#!/usr/bin/env -S node --import tsx
// The `streamer` command: config -> data directory -> media manager + config_external follower ->
// HTTP listener; SIGTERM/SIGINT stop every ffmpeg before exiting.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { logRedaction } from '@central/protocol';
import { pino } from 'pino';
import { createStreamer } from './app.ts';
import { checkStreamerConfig } from './check-config.ts';
import { loadStreamerConfig, StreamerConfigError, type StreamerConfig } from './config.ts';

/**
 * Log lines go to stdout synchronously (none is lost when the process exits). When the reader of stdout
 * is gone (a closed pipe), lines are dropped: the process must still stop on SIGTERM, which it does not
 * with pino's default destination.
 */
function stdoutLog() {
  const out = pino.destination({ fd: 1, sync: true });
  out.on('error', () => {});
  return out;
}

function fail(message: string): never {
  process.stderr.write(`streamer: ${message}\n`);
  process.exit(2);
}

function checkEnvironment(config: StreamerConfig): void {
  try {
    fs.mkdirSync(config.dir, { recursive: true, mode: 0o750 });
    fs.accessSync(config.dir, fs.constants.W_OK);
  } catch (e) {
    fail(`DIR: cannot use ${config.dir} as the data directory: ${(e as Error).message}`);
  }
  try {
    execFileSync(config.ffmpeg, ['-hide_banner', '-version'], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    fail(`FFMPEG: cannot run "${config.ffmpeg}" (install Debian's ffmpeg package, or set STREAMER_FFMPEG)`);
  }
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--check-config'))
    process.exit(checkStreamerConfig(argv, process.env, (line) => process.stdout.write(`${line}\n`)));
  let config: StreamerConfig;
  let warnings: string[];
  try {
    ({ config, warnings } = loadStreamerConfig({ argv }));
  } catch (e) {
    if (e instanceof StreamerConfigError) fail(e.message);
    throw e;
  }
  checkEnvironment(config);
  // config_external carries Central's API key as userinfo; input URLs may carry passwords and tokens:
  // every line is redacted (protocol/src/redact.ts), and config_external fields are dropped whole.
  const log = pino(
    {
      level: config.logLevel,
      base: { svc: 'streamer', host: config.hostname },
      ...logRedaction(['config_external', '*.config_external']),
    },
    stdoutLog(),
  );
  for (const w of warnings) log.warn(w);
  let streamer;
  try {
    streamer = await createStreamer(config, log);
  } catch (e) {
    fail((e as Error).message);
  }
  const port = await streamer
    .listen()
    .catch((e: Error) => fail(`HTTP: cannot listen on ${config.httpPort}: ${e.message}`));
  log.info(
    { port, dir: config.dir, config_file: config.configFile },
    `streamer ${config.hostname} listening on ${port}`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: ending every stream');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    streamer
      .close()
      .then(() => process.exit(0))
      .catch((e) => {
        log.error({ err: e }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
