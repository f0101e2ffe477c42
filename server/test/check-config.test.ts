// `central --check-config`: the real command on good and bad files, exit codes, every problem named,
// no secret printed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../../test-kit/backends.ts';
import { checkConfigRun } from '../../test-kit/central-process.ts';

const run = (file: string) => checkConfigRun('central', file);

describe('central --check-config', () => {
  test('a good file: exit 0 and a summary without secrets', () => {
    const dir = tempDir();
    const file = path.join(dir, 'central.conf');
    fs.writeFileSync(
      file,
      [
        `CENTRAL_DIR=${dir}/data`,
        'HTTP_PORT=9100',
        'API_KEY=check-config-api-key-123',
        'EDIT_AUTH=admin check-config-pass',
        'API_URL=http://central.example:9100',
      ].join('\n'),
    );
    const { code, out } = run(file);
    assert.equal(code, 0, out);
    assert.match(out, /configuration OK/);
    assert.match(out, /HTTP port:\s+9100/);
    assert.match(out, /login admin/);
    for (const secret of ['check-config-api-key-123', 'check-config-pass'])
      assert.ok(!out.includes(secret), out);
    assert.ok(!fs.existsSync(`${dir}/data`), 'checking creates nothing');
  });

  test('a bad file: exit 1 and every problem named', () => {
    const dir = tempDir();
    const file = path.join(dir, 'central.conf');
    fs.writeFileSync(
      file,
      [
        'HTTP_PORT=ninety',
        'DATABASE_URL=mysql://u:dbsecret@h/db',
        'EDIT_AUTH=onlylogin',
        'LOG_LEVEL=loud',
        'HTTP_PROT=9100',
      ].join('\n'),
    );
    const { code, out } = run(file);
    assert.equal(code, 1, out);
    for (const key of ['HTTP_PORT', 'DATABASE_URL', 'EDIT_AUTH', 'LOG_LEVEL'])
      assert.match(out, new RegExp(`${key}:`));
    assert.ok(!out.includes('dbsecret'), 'the database password is not printed');
    assert.match(out, /warning: .*unknown key HTTP_PROT/, 'a misspelt key is shown with the errors');
  });

  test('a missing file named on the command line is a problem', () => {
    const { code, out } = run('/nonexistent/central.conf');
    assert.equal(code, 1);
    assert.match(out, /does not exist/);
  });
});
