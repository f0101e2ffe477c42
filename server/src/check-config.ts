// `central --check-config [--config FILE]`: reads the configuration file and the environment exactly as
// start-up does, without opening the database or a port, and prints either a summary (exit 0) or every
// problem, one line each naming the key (exit 1). Secrets are never printed.
import fs from 'node:fs';
import path from 'node:path';
import { redactSecrets } from '@central/protocol';
import { ConfigError, loadConfig } from './config.ts';

function writableDir(dir: string): string | null {
  let p = dir;
  while (!fs.existsSync(p)) {
    const parent = path.dirname(p);
    if (parent === p) break;
    p = parent;
  }
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return null;
  } catch {
    return `CENTRAL_DIR: ${dir} is not writable by this user (checked ${p})`;
  }
}

function databaseLabel(url: string | null): string {
  if (!url) return 'embedded (PGlite in CENTRAL_DIR)';
  try {
    const u = new URL(url);
    return `PostgreSQL ${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

export function checkConfig(
  argv: string[],
  env: Record<string, string | undefined>,
  write: (line: string) => void,
): number {
  try {
    const { config, warnings } = loadConfig({ argv, env });
    const problems = [writableDir(config.centralDir)].filter((p): p is string => p !== null);
    for (const w of warnings) write(`warning: ${w}`);
    if (problems.length) {
      write(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
      return 1;
    }
    write(`configuration OK (${config.configFile ?? 'no config file; environment only'})`);
    write(`  database:   ${databaseLabel(config.databaseUrl)}`);
    write(`  data dir:   ${config.centralDir}`);
    write(`  HTTP port:  ${config.httpPort}${config.https ? `, HTTPS port ${config.https.port}` : ''}`);
    write(`  API key:    ${config.apiKey ? 'set' : 'generated on first start'}`);
    write(
      `  EDIT_AUTH:  ${config.editAuth ? `login ${config.editAuth.login}` : 'not set (no web/Basic login)'}`,
    );
    const apiUrl = config.apiUrl === null ? null : redactSecrets(config.apiUrl);
    write(`  API_URL:    ${apiUrl ?? 'not set (streamers are not provisioned)'}`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      write(e.message);
      return 1;
    }
    throw e;
  }
}
