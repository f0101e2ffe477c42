// `streamer --check-config`: the real command on good and bad files; exit codes, problems named by key,
// no secret printed, nothing created.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../../test-kit/backends.ts';
import { checkConfigRun } from '../../test-kit/central-process.ts';
import { ffmpegAvailable } from '../../test-kit/media.ts';

const run = (file: string) => checkConfigRun('streamer', file);

describe('streamer --check-config', () => {
  test(
    'a good file: exit 0, a summary without secrets, no data directory created',
    { skip: !ffmpegAvailable() && 'needs ffmpeg' },
    () => {
      const dir = tempDir();
      const file = path.join(dir, 'streamer.conf');
      fs.writeFileSync(
        file,
        [
          'HOSTNAME=edge-7',
          'HTTP=8181',
          `DIR=${dir}/data`,
          'CLUSTER_KEY=check-cluster-key-42',
          'EDIT_AUTH=admin:check-admin-pass',
          'CONFIG_EXTERNAL=http://check-api-key-77@central:9019/central/api/v3/streamers/edge-7',
          'FFMPEG=ffmpeg',
          'INPUT_DENY_CIDRS=10.0.0.0/8',
        ].join('\n'),
      );
      const { code, out } = run(file);
      assert.equal(code, 0, out);
      assert.match(out, /configuration OK/);
      assert.match(out, /hostname:\s+edge-7/);
      assert.match(out, /HTTP port:\s+8181/);
      assert.match(out, new RegExp(`media root:\\s+${dir}/data/files`));
      assert.match(out, /input networks:\s+all but link-local and metadata addresses; never 10\.0\.0\.0\/8/);
      assert.match(out, /Central:\s+http:\/\/\*\*\*@central:9019/);
      for (const secret of ['check-cluster-key-42', 'check-admin-pass', 'check-api-key-77'])
        assert.ok(!out.includes(secret), `${secret} printed:\n${out}`);
      assert.ok(!fs.existsSync(`${dir}/data`), 'checking creates nothing');
    },
  );

  test('a bad file: exit 1 and every problem named by its key', () => {
    const dir = tempDir();
    const file = path.join(dir, 'streamer.conf');
    const bad = ['HTTP=eighty', 'LONG_POLL=perhaps', 'EDIT_AUTH=secret-without-login'];
    bad.push(`MEDIA_ROOT=${dir}/missing`, 'INPUT_ALLOW_CIDRS=10.0.0.0/33', 'INPUT_DENY_CIDRS=nope');
    fs.writeFileSync(file, bad.join('\n'));
    const { code, out } = run(file);
    assert.equal(code, 1, out);
    for (const key of [
      'HTTP',
      'LONG_POLL',
      'EDIT_AUTH',
      'MEDIA_ROOT',
      'INPUT_ALLOW_CIDRS',
      'INPUT_DENY_CIDRS',
    ])
      assert.match(out, new RegExp(`^\\s*${key}:`, 'm'), out);
    assert.ok(!out.includes('secret-without-login'), out);
  });

  test('ffmpeg missing: exit 1 naming FFMPEG', () => {
    const dir = tempDir();
    const file = path.join(dir, 'streamer.conf');
    fs.writeFileSync(file, [`DIR=${dir}/data`, 'FFMPEG=/nonexistent/ffmpeg'].join('\n'));
    const { code, out } = run(file);
    assert.equal(code, 1, out);
    assert.match(out, /FFMPEG: cannot run "\/nonexistent\/ffmpeg"/);
  });
});
