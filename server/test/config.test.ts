import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../../test-kit/backends.ts';
import { ConfigError, loadConfig, parseConfigFile } from '../src/config.ts';

const NO_FILE = ['--config', '/dev/null'];

function problems(env: Record<string, string>, argv = NO_FILE): string[] {
  try {
    loadConfig({ env, argv });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('configuration', () => {
  test('KEY=VALUE lines, quotes, export, comments, and the older lowercase "key value" lines', () => {
    const { values, problems: p } = parseConfigFile(
      [
        '# comment',
        'DATABASE_URL=postgres://central:pass@localhost:5432/central_dev',
        'API_KEY="quoted key"',
        "export API_URL='http://central:9019'",
        '% old-style comment',
        'edit_auth admin s3cret',
        'http_port 9000',
        '',
      ].join('\n'),
      'central.conf',
    );
    assert.deepEqual(p, []);
    assert.equal(values.get('DATABASE_URL'), 'postgres://central:pass@localhost:5432/central_dev');
    assert.equal(values.get('API_KEY'), 'quoted key');
    assert.equal(values.get('API_URL'), 'http://central:9019');
    assert.equal(values.get('EDIT_AUTH'), 'admin s3cret');
    assert.equal(values.get('HTTP_PORT'), '9000');
  });

  test('file, then environment, then CENTRAL_-prefixed environment', () => {
    const dir = tempDir();
    const file = path.join(dir, 'central.conf');
    fs.writeFileSync(
      file,
      'API_KEY=from-file-api-key-01\nHTTP_PORT=9001\nEDIT_AUTH=admin:pw\nLOG_LEVEL=debug\n',
    );
    const { config } = loadConfig({
      argv: ['--config', file],
      env: { HTTP_PORT: '9002', CENTRAL_LOG_LEVEL: 'error', LOG_LEVEL: 'info' },
    });
    assert.equal(config.configFile, file);
    assert.equal(config.apiKey, 'from-file-api-key-01');
    assert.equal(config.httpPort, 9002);
    assert.equal(config.logLevelName, 'error');
    assert.deepEqual(config.editAuth, { login: 'admin', password: 'pw' });
    assert.ok(Object.isFrozen(config));
    const viaEnv = loadConfig({
      env: { CENTRAL_CONFIG: file, CENTRAL_API_KEY: 'env-api-key-000001' },
    }).config;
    assert.equal(viaEnv.apiKey, 'env-api-key-000001');
    assert.equal(viaEnv.httpPort, 9001);
  });

  test('defaults: port 9019, no key (generated later), data dir ./data, provisioning on', () => {
    const { config } = loadConfig({ env: {}, argv: NO_FILE, cwd: '/srv/x' });
    assert.equal(config.httpPort, 9019);
    assert.equal(config.apiKey, null);
    assert.equal(config.databaseUrl, null);
    assert.equal(config.centralDir, '/srv/x/data');
    assert.equal(config.provisionEnabled, true);
    assert.equal(config.https, null);
  });

  test('EDIT_AUTH accepts "login password" and login:password; passwords may contain spaces and colons', () => {
    const get = (v: string) => loadConfig({ env: { EDIT_AUTH: v }, argv: NO_FILE }).config.editAuth;
    assert.deepEqual(get('admin admin'), { login: 'admin', password: 'admin' });
    assert.deepEqual(get('admin:pa:ss'), { login: 'admin', password: 'pa:ss' });
    assert.deepEqual(get('admin two words'), { login: 'admin', password: 'two words' });
  });

  test('each bad value gives its own line naming the key', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ DATABASE_URL: 'mysql://x@y/z' }, /^DATABASE_URL: scheme must be postgres/],
      [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL: not a valid URL/],
      [{ DATABASE_URL: 'postgres://u:p@h/db?sslmode=sometimes' }, /^DATABASE_URL: sslmode "sometimes"/],
      [{ DATABASE_URL: 'postgres://u:%ZZ@h/db' }, /^DATABASE_URL: /],
      [{ API_KEY: 'has space' }, /^API_KEY: must not contain spaces/],
      [{ DATABASE_MAX_CONNECTIONS: '0' }, /^DATABASE_MAX_CONNECTIONS: "0" is not a number of connections/],
      [{ API_KEY: 'KEY0' }, /^API_KEY: "KEY0" is the sample placeholder/],
      [{ API_KEY: 'fifteen-chars-k' }, /^API_KEY: 15 characters is too short: use at least 16/],
      [{ TRUST_PROXY: '10.0.0.0/33' }, /^TRUST_PROXY: "10.0.0.0\/33" is not a CIDR/],
      [{ TRUST_PROXY: 'proxy.example.com' }, /^TRUST_PROXY: "proxy.example.com" is not a CIDR/],
      [{ TRUST_PROXY: ' , ' }, /^TRUST_PROXY: expected addresses or CIDRs/],
      [{ API_URL: 'central:9019' }, /^API_URL: /],
      [{ EDIT_AUTH: 'adminonly' }, /^EDIT_AUTH: expected "login password"/],
      [{ EDIT_AUTH: 'admin REPLACE_YOUR_PASSWORD' }, /^EDIT_AUTH: the password is the sample placeholder/],
      [{ HTTP_PORT: '70000' }, /^HTTP_PORT: "70000" is not a port number/],
      [{ HTTP_PORT: 'eighty' }, /^HTTP_PORT: /],
      [{ HTTPS_PORT: '9443' }, /^SSL_CERTIFICATE: required when HTTPS_PORT is set/],
      [
        { HTTPS_PORT: '9443', SSL_CERTIFICATE: '/nonexistent.crt', SSL_CERTIFICATE_KEY: '/nonexistent.key' },
        /^SSL_CERTIFICATE: cannot read \/nonexistent.crt: ENOENT/,
      ],
      [
        { HTTP_PORT: '9443', HTTPS_PORT: '9443', SSL_CERTIFICATE: '/x', SSL_CERTIFICATE_KEY: '/y' },
        /^HTTPS_PORT: 9443 is also HTTP_PORT/,
      ],
      [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: "loud" is not one of/],
      [{ LOG_REQUESTS: 'perhaps' }, /^LOG_REQUESTS: "perhaps" is not a boolean/],
      [{ CENTRAL_CLUSTER_NODE_CONFIG_PROVISION_ENABLED: 'nah' }, /^CLUSTER_NODE_CONFIG_PROVISION_ENABLED: /],
    ];
    for (const [env, re] of cases) {
      const p = problems(env);
      assert.ok(
        p.some((line) => re.test(line)),
        `${JSON.stringify(env)} -> ${JSON.stringify(p)}`,
      );
    }
    const all = problems({ HTTP_PORT: 'x', LOG_LEVEL: 'y', API_URL: 'z' });
    assert.equal(all.length, 3, 'every problem is reported, not just the first');
  });

  test('TRUST_PROXY: addresses and CIDRs, IPv4 and IPv6; none by default', () => {
    const get = (env: Record<string, string>) => loadConfig({ env, argv: NO_FILE }).config.trustProxy;
    assert.deepEqual(get({}), []);
    assert.deepEqual(get({ TRUST_PROXY: '10.0.0.5, 10.1.0.0/16 fd00::/8' }), [
      '10.0.0.5',
      '10.1.0.0/16',
      'fd00::/8',
    ]);
    assert.deepEqual(get({ CENTRAL_TRUST_PROXY: '127.0.0.1' }), ['127.0.0.1']);
  });

  test('a missing config file named explicitly is an error; a missing default file is not', () => {
    assert.match(problems({}, ['--config', '/nonexistent/central.conf'])[0]!, /does not exist/);
    assert.match(problems({ CENTRAL_CONFIG: '/nonexistent/central.conf' }, [])[0]!, /does not exist/);
  });

  test('a line that cannot be parsed names the file and line', () => {
    const dir = tempDir();
    const file = path.join(dir, 'central.conf');
    fs.writeFileSync(file, 'API_KEY=ok-api-key-0123456\n=broken\n');
    assert.match(problems({}, ['--config', file])[0]!, /central\.conf:2: cannot parse/);
  });

  test('percent-encoded special characters in the database password are accepted', () => {
    const pw = encodeURIComponent('p@ss;w#rd[\\/=$');
    const { config } = loadConfig({
      env: { DATABASE_URL: `postgres://central:${pw}@db:5432/central?sslmode=require` },
      argv: NO_FILE,
    });
    assert.ok(config.databaseUrl);
  });

  test('fleet settings: Go durations or milliseconds, defaults, and errors that name the key', () => {
    const { config } = loadConfig({
      env: {
        CENTRAL_STREAMS_STATS_FETCH_INTERVAL: '2s',
        STREAMER_DEAD_TIMEOUT: '1m30s',
        LAYOUT_HOLD_DOWN: '0',
        STREAMER_ALLOW_CIDRS: '10.0.0.0/8, 192.168.1.10',
      },
      argv: NO_FILE,
    });
    assert.equal(config.fleet.statsIntervalMs, 2000);
    assert.equal(config.fleet.deadTimeoutMs, 90_000);
    assert.equal(config.fleet.holdDownMs, 0);
    assert.equal(config.fleet.fetchTimeoutMs, 5000, 'default');
    assert.equal(config.fleet.layouterEnabled, true, 'default');
    assert.equal(config.fleet.allowCidrs.length, 2);
    const p = problems({
      STREAMS_STATS_FETCH_INTERVAL: 'soon',
      STREAMER_DENY_CIDRS: '10.0.0.0/99',
      LAYOUTER_ENABLED: 'maybe',
    });
    for (const key of ['STREAMS_STATS_FETCH_INTERVAL', 'STREAMER_DENY_CIDRS', 'LAYOUTER_ENABLED'])
      assert.ok(
        p.some((x) => x.startsWith(key)),
        `${key} named in ${JSON.stringify(p)}`,
      );
    assert.match(
      problems({ STREAMS_STATS_FETCH_INTERVAL: '10s', STREAMER_DEAD_TIMEOUT: '5s' }).join('\n'),
      /STREAMER_DEAD_TIMEOUT: .* must be longer than STREAMS_STATS_FETCH_INTERVAL/,
    );
  });
});
