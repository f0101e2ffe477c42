// The streamer's configuration: file plus environment (STREAMER_ and FLUSSONIC_ prefixes), defaults,
// and one message naming every bad key.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadStreamerConfig, StreamerConfigError } from '../src/config.ts';

function problemsOf(env: Record<string, string>, argv: string[] = []): string[] {
  try {
    loadStreamerConfig({ env: { STREAMER_CONFIG: '/dev/null', ...env }, argv });
  } catch (e) {
    if (e instanceof StreamerConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('streamer configuration', () => {
  test('defaults: host name of the machine, port 8080, long poll on, 5 s interval', () => {
    const { config } = loadStreamerConfig({ env: { STREAMER_CONFIG: '/dev/null' }, cwd: '/srv' });
    assert.equal(config.hostname, os.hostname());
    assert.equal(config.httpPort, 8080);
    assert.equal(config.longPoll, true);
    assert.equal(config.pollIntervalMs, 5000);
    assert.equal(config.dir, '/srv/data/streamer');
    assert.equal(config.clusterKey, null);
    assert.equal(config.editAuth, null);
    assert.equal(config.configExternal, null);
    assert.equal(config.mediaRoot, '/srv/data/streamer/files');
    assert.deepEqual([config.inputAllowCidrs, config.inputDenyCidrs], [[], []]);
  });

  test('MEDIA_ROOT and the input networks (the CIDR syntax of Central STREAMER_*_CIDRS)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamer-media-'));
    const { config } = loadStreamerConfig({
      env: {
        STREAMER_CONFIG: '/dev/null',
        STREAMER_MEDIA_ROOT: dir,
        STREAMER_INPUT_ALLOW_CIDRS: '10.0.0.0/8, 192.168.0.0/16',
        FLUSSONIC_INPUT_DENY_CIDRS: '10.9.0.0/16 fd00::/8',
      },
    });
    assert.equal(config.mediaRoot, dir);
    assert.deepEqual(config.inputAllowCidrs, ['10.0.0.0/8', '192.168.0.0/16']);
    assert.deepEqual(config.inputDenyCidrs, ['10.9.0.0/16', 'fd00::/8']);
  });

  test('the file, then STREAMER_ and FLUSSONIC_ environment names', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamer-conf-'));
    const file = path.join(dir, 'streamer.conf');
    fs.writeFileSync(
      file,
      '# a comment\nHOSTNAME=edge-1\nHTTP=8081\nCLUSTER_KEY="file key"\nEDIT_AUTH admin secret1\n',
    );
    const { config } = loadStreamerConfig({
      argv: ['--config', file],
      env: {
        FLUSSONIC_HTTP: '8082',
        STREAMER_CONFIG_EXTERNAL: 'http://k@central:9019/central/api/v3/streamers/edge-1',
      },
    });
    assert.equal(config.configFile, file);
    assert.equal(config.hostname, 'edge-1');
    assert.equal(config.httpPort, 8082);
    assert.equal(config.clusterKey, 'file key');
    assert.deepEqual(config.editAuth, { login: 'admin', password: 'secret1' });
    assert.equal(config.configExternal, 'http://k@central:9019/central/api/v3/streamers/edge-1');
  });

  test('plain HOSTNAME from the shell does not count; the prefixed one does', () => {
    const { config } = loadStreamerConfig({
      env: { STREAMER_CONFIG: '/dev/null', HOSTNAME: 'shell-host', STREAMER_HOSTNAME: 'edge-2' },
    });
    assert.equal(config.hostname, 'edge-2');
  });

  test('every bad value is named, secrets are not echoed', () => {
    const problems = problemsOf({
      STREAMER_HTTP: '99999',
      STREAMER_HOSTNAME: 'bad host!',
      STREAMER_CLUSTER_KEY: 'KEY0',
      STREAMER_EDIT_AUTH: 'nopassword',
      STREAMER_CONFIG_EXTERNAL: 'ftp://secret@central/x',
      STREAMER_CONFIG_EXTERNAL_INTERVAL: 'soon',
      STREAMER_LONG_POLL: 'maybe',
      STREAMER_LOG_LEVEL: 'loud',
      STREAMER_MEDIA_ROOT: '/nonexistent/media',
      STREAMER_INPUT_ALLOW_CIDRS: '10.0.0.0/8,bad',
      STREAMER_INPUT_DENY_CIDRS: '300.0.0.0/8',
    });
    const keys = problems.map((p) => p.split(':')[0]);
    for (const k of [
      'HTTP',
      'HOSTNAME',
      'CLUSTER_KEY',
      'EDIT_AUTH',
      'CONFIG_EXTERNAL',
      'CONFIG_EXTERNAL_INTERVAL',
      'LONG_POLL',
      'LOG_LEVEL',
      'MEDIA_ROOT',
      'INPUT_ALLOW_CIDRS',
      'INPUT_DENY_CIDRS',
    ])
      assert.ok(keys.includes(k), `${k} named in ${JSON.stringify(problems)}`);
    assert.ok(!problems.join('\n').includes('secret@'), 'the URL userinfo is masked');
  });

  test('a missing explicit config file is an error', () => {
    assert.match(problemsOf({}, ['--config', '/nonexistent/streamer.conf']).join(), /does not exist/);
  });
});

describe('streamer start-up', () => {
  test('a bad setting stops the streamer with a message naming the key', async () => {
    const { spawnStreamer } = await import('../../test-kit/central-process.ts');
    const p = spawnStreamer({
      STREAMER_HTTP: 'eighty',
      STREAMER_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 's-')),
    });
    assert.equal(await p.exited, 2);
    assert.match(p.output(), /HTTP: "eighty" is not a port number/);
  });
});
