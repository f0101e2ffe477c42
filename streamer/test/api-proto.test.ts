// Stream names and `select` paths are client text on the streamer too (issue 12, items 1 and 13): a name
// such as `hasOwnProperty` is not a stream, a stream named `__proto__` is plain data, and `select` never
// writes through a prototype.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { tempDir } from '../../test-kit/backends.ts';
import { createStreamer, type Streamer } from '../src/app.ts';
import type { StreamerConfig } from '../src/config.ts';

const ADMIN = 'Basic ' + Buffer.from('admin:proto-test-pass').toString('base64');
const PROTO = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

describe('streamer API: client text never reaches the prototype chain', () => {
  let s: Streamer;
  let base = '';
  const before0 = PROTO();
  before(async () => {
    const config: StreamerConfig = {
      ...{
        configFile: null,
        hostname: 'edge-p',
        httpPort: 0,
        clusterKey: 'ck',
        dir: tempDir('streamer-proto-'),
      },
      ...{ configExternal: null, editAuth: { login: 'admin', password: 'proto-test-pass' } },
      ...{ pollIntervalMs: 200, longPoll: true, ffmpeg: 'ffmpeg', logLevel: 'silent' },
    };
    s = await createStreamer(config, pino({ level: 'silent' }));
    base = `http://127.0.0.1:${await s.listen('127.0.0.1')}/streamer/api/v3`;
  });
  after(() => s.close());

  const call = (method: string, p: string, body?: string) =>
    fetch(`${base}${p}`, {
      method,
      headers: { authorization: ADMIN, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
    });

  test('names of Object.prototype members are not streams', async () => {
    for (const name of ['hasOwnProperty', 'toString', 'constructor', '__proto__', 'valueOf']) {
      assert.equal((await call('DELETE', `/streams/${name}`)).status, 404, `DELETE ${name}`);
      assert.equal((await call('GET', `/streams/${name}`)).status, 404, `GET ${name}`);
    }
  });

  test('a stream named __proto__ with a __proto__ field is plain data; select copies it as data', async () => {
    const body = '{"inputs":[{"url":"fake://x"}],"title":"t","__proto__":{"polluted":1}}';
    const put = await call('PUT', '/streams/__proto__', body);
    assert.equal(put.status, 200, await put.text());
    const list = (await (await call('GET', '/streams')).json()) as { streams: { name: string }[] };
    assert.deepEqual(
      list.streams.map((x) => x.name),
      ['__proto__'],
    );
    const sel = await call('GET', '/streams?select=__proto__.polluted,title,constructor.prototype');
    assert.equal(sel.status, 200);
    const streams = ((await sel.json()) as { streams: Record<string, unknown>[] }).streams;
    assert.equal(streams[0]!.title, 't');
    assert.equal(PROTO(), before0, 'Object.prototype is unchanged');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((await call('DELETE', '/streams/__proto__')).status, 204);
    assert.equal((await call('DELETE', '/streams/__proto__')).status, 404);
  });
});
