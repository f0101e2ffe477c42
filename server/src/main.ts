// Start-up: config -> data directory -> database (+ migrations) -> HTTP/HTTPS listeners; graceful stop.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { logRedaction } from '@central/protocol';
import { pino } from 'pino';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { DatabaseError, migrate, openDatabase } from './db/index.ts';
import { systemClock } from './lib/clock.ts';
import { ensureApiKey, ensureServerId } from './lib/secrets.ts';
import { createStreamerClient } from './lib/streamer-client.ts';
import { loginLimits } from './http/login-guard.ts';
import { Pulls } from './config-external/pulls.ts';
import { Fleet } from './fleet/leader.ts';
import { Metrics } from './metrics.ts';
import { checkConfig } from './check-config.ts';

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
  process.stderr.write(`central: ${message}\n`);
  process.exit(2);
}

function prepareDataDir(config: Config) {
  try {
    fs.mkdirSync(config.centralDir, { recursive: true, mode: 0o750 });
    fs.accessSync(config.centralDir, fs.constants.W_OK);
  } catch (e) {
    fail(`CENTRAL_DIR: cannot use ${config.centralDir} as the data directory: ${(e as Error).message}`);
  }
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--check-config'))
    process.exit(checkConfig(argv, process.env, (line) => process.stdout.write(`${line}\n`)));
  let config: Config;
  let warnings: string[];
  try {
    ({ config, warnings } = loadConfig({ argv }));
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  // Every line is redacted (URL userinfo, secret query values, credential fields): see protocol/src/redact.ts.
  const logger = pino({ level: config.logLevel, base: { svc: 'central' }, ...logRedaction() }, stdoutLog());
  for (const w of warnings) logger.warn(w);
  prepareDataDir(config);
  let apiKey = config.apiKey;
  if (!apiKey) {
    const generated = ensureApiKey(config.centralDir);
    apiKey = generated.value;
    // Shown on a terminal only (npm start); a service's output goes to log files, which must not
    // carry secrets, so there the line only says where the key is.
    if (generated.created)
      process.stdout.write(
        process.stdout.isTTY
          ? `central: no API_KEY configured; generated one and saved it in ${config.centralDir}/api_key:\n  ${apiKey}\n` +
              '  (it is shown only this once; set API_KEY to choose your own)\n'
          : `central: no API_KEY configured; generated one and saved it in ${config.centralDir}/api_key (mode 0600)\n`,
      );
  }
  const db = await openDatabase({ ...config, log: (m) => logger.warn(m) }).catch((e) => {
    if (e instanceof DatabaseError) fail(e.message);
    throw e;
  });
  const applied = await migrate(db).catch(async (e) => {
    await db.close();
    if (e instanceof DatabaseError) fail(e.message);
    throw e;
  });
  if (applied.length) logger.info({ migrations: applied }, 'database migrated');
  const info = {
    serverId: ensureServerId(config.centralDir),
    instanceId: randomUUID(),
    startedAt: Date.now(),
  };
  const client = createStreamerClient({
    timeoutMs: config.fleet.fetchTimeoutMs,
    policy: { allow: [...config.fleet.allowCidrs], deny: [...config.fleet.denyCidrs] },
  });
  const metrics = new Metrics({ processMetrics: true });
  const pulls = new Pulls(db, systemClock, (m) => logger.warn(m));
  await pulls.start();
  const fleet = new Fleet({
    db,
    clock: systemClock,
    config,
    apiKey,
    client,
    log: (msg, extra) => logger.info(extra ?? {}, msg),
    metrics,
  });
  const limits = loginLimits(() => systemClock.now());
  const deps = { config, db, clock: systemClock, apiKey, info, logger, pulls, client, metrics, limits };
  const apps = [buildApp(deps)];
  if (config.https)
    apps.push(buildApp({ ...deps, https: { key: config.https.key, cert: config.https.cert } }));
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await fleet.stop();
    await pulls.stop();
    await Promise.allSettled(apps.map((a) => a.close()));
    client.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  try {
    await apps[0]!.listen({ port: config.httpPort, host: '::' });
    if (config.https) await apps[1]!.listen({ port: config.https.port, host: '::' });
  } catch (e) {
    await db.close();
    const err = e as NodeJS.ErrnoException;
    fail(
      err.code === 'EADDRINUSE'
        ? `HTTP_PORT/HTTPS_PORT: the port is already in use (${err.message})`
        : `cannot listen: ${err.message}`,
    );
  }
  const ports = apps.map((a) => {
    const addr = a.server.address();
    return typeof addr === 'object' && addr ? addr.port : addr;
  });
  await fleet.start();
  logger.info({ http: ports[0], https: ports[1], database: db.kind }, 'central is ready');
}

void main().catch((e) => {
  process.stderr.write(`central: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
