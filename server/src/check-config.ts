// `central --check-config [--config FILE]`: reads the configuration file and the environment exactly as
// start-up does, without opening the database or a port, and prints either a summary (exit 0) or every
// problem, one line each naming the key (exit 1). Secrets are never printed.
import { redactSecrets } from '@central/protocol';
import { checkReport, writableDirProblem } from '@central/protocol/config-file';
import { ConfigError, loadConfig } from './config.ts';

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
  return checkReport(
    write,
    () => {
      const { config, warnings } = loadConfig({ argv, env });
      const https = config.https ? `, HTTPS port ${config.https.port}` : '';
      return {
        configFile: config.configFile,
        warnings,
        problems: [writableDirProblem('CENTRAL_DIR', config.centralDir)],
        summary: [
          ['database', databaseLabel(config.databaseUrl)],
          ['data dir', config.centralDir],
          ['HTTP port', `${config.httpPort}${https}`],
          ['API key', config.apiKey ? 'set' : 'generated on first start'],
          ['EDIT_AUTH', config.editAuth ? `login ${config.editAuth.login}` : 'not set (no web/Basic login)'],
          [
            'trusted proxies',
            config.trustProxy.length ? config.trustProxy.join(', ') : 'none (X-Forwarded-* ignored)',
          ],
          [
            'API_URL',
            config.apiUrl ? redactSecrets(config.apiUrl) : 'not set (streamers are not provisioned)',
          ],
        ],
      };
    },
    (e): e is ConfigError => e instanceof ConfigError,
  );
}
