// What lists answer to parameters the database cannot take, and to parameters that would test secrets
// (issue 12, found by an attack on real processes): numbers out of a column's range, forged cursors and
// NUL are 400s naming the parameter, never 500s; a filter, sort or search cannot test the cluster key
// nor the credentials in a URL; the pull endpoints read their parameters as the collection API does.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';
import { testBackends } from '../../test-kit/backends.ts';

const P = '/central/api/v3';
const KEY = 'ClusterKeyStreamerOne0123456789';
const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

type ErrorBody = { errors: { title: string; source?: { parameter?: string } }[] };
const firstError = (body: string) => (JSON.parse(body) as ErrorBody).errors[0]!;

for (const backend of await testBackends()) {
  describe(`list parameters on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(backend);
      const s1 = { api_url: 'http://u:p@192.0.2.1/', cluster_key: KEY, channel_limit: 50 };
      assert.equal((await t.call('PUT', `${P}/streamers/s1`, s1)).statusCode, 200);
      const s2 = { api_url: 'http://192.0.2.2/', cluster_key: 'OtherKey0123456789abcd' };
      assert.equal((await t.call('PUT', `${P}/streamers/s2`, s2)).statusCode, 200);
      const st = { inputs: [{ url: 'fake://x' }] };
      assert.equal((await t.call('PUT', `${P}/streams/a`, st)).statusCode, 200);
    });
    after(() => t.close());

    const expect400 = async (url: string, parameter: string) => {
      const res = await t.call('GET', url);
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.equal(firstError(res.body).source?.parameter, parameter, url);
      return firstError(res.body).title;
    };

    test('numbers a column cannot hold, and numbers not written in decimal, are 400s', async () => {
      await expect400(`${P}/streamers?channel_limit=99999999999`, 'channel_limit');
      await expect400(`${P}/streamers?channel_limit_gt=2147483648`, 'channel_limit_gt');
      await expect400(`${P}/streamers?channel_limit_lt=1.5`, 'channel_limit_lt');
      await expect400(`${P}/streams?updated_at_gt=0x10`, 'updated_at_gt');
      await expect400(`${P}/streams?updated_at_gt=1e400`, 'updated_at_gt');
      // Only int4 columns have the int4 range: a document's integers are any JSON integer.
      for (const url of [
        `${P}/streamers?channel_limit_gt=2147483647`,
        `${P}/streamers?updated_at_gt=1796285000000`,
        `${P}/streamers?total_bandwidth_gt=10000000000`,
        `${P}/streams?dvr.storage_limit_gt=1796285000000`,
      ]) {
        const fine = await t.call('GET', url);
        assert.equal(fine.statusCode, 200, `${url}: ${fine.body}`);
      }
    });

    test('a forged cursor with numbers the sort column cannot take is a 400', async () => {
      for (const v of [1.5, 1e20, -1e300])
        await expect400(
          `${P}/streamers?sort=channel_limit&cursor=${cursor({ d: 'a', k: [v, 's1'] })}`,
          'cursor',
        );
      for (const v of [1.5, 1e300])
        await expect400(`${P}/streams?sort=updated_at&cursor=${cursor({ d: 'a', k: [v, 'a'] })}`, 'cursor');
    });

    test('the cluster key cannot be filtered or sorted by, so no cursor or filter reveals it', async () => {
      assert.match(await expect400(`${P}/streamers?sort=cluster_key&select=hostname`, 'sort'), /secret/);
      await expect400(`${P}/streamers?cluster_key_like=Cluster`, 'cluster_key_like');
      await expect400(`${P}/streamers?cluster_key=${KEY}`, 'cluster_key');
      await expect400(`${P}/streamers?config.cluster_key_is_not=null`, 'config.cluster_key_is_not');
      const page = await t.call('GET', `${P}/streamers?limit=1`);
      const next = (page.json() as { next?: string }).next;
      assert.ok(next);
      assert.doesNotMatch(Buffer.from(next, 'base64url').toString(), /ClusterKey/);
    });

    test('filters, sorts and the search see URLs as lists show them, without credentials', async () => {
      const names = async (query: string) => {
        const res = await t.call('GET', `${P}/streamers?${query}`);
        assert.equal(res.statusCode, 200, res.body);
        return (res.json() as { streamers: { hostname: string }[] }).streamers.map((s) => s.hostname);
      };
      assert.deepEqual(await names('api_url_like=u:p@'), []);
      assert.deepEqual(await names(`q=${encodeURIComponent('u:p@')}`), []);
      assert.deepEqual(await names('api_url=http://192.0.2.1/'), ['s1']);
      assert.deepEqual(await names('api_url_like=192.0.2.'), ['s1', 's2']);
      assert.deepEqual(await names('sort=-api_url'), ['s2', 's1']);
    });

    test('pull endpoints: repeated names are one list; NUL and forged cursors are 400s', async () => {
      const pull = `${P}/streamers/s1`;
      const twice = await t.call('GET', `${pull}/update-streams?name=a&name=b`);
      assert.equal(twice.statusCode, 200, twice.body);
      assert.ok(Array.isArray((twice.json() as { streams: unknown }).streams), twice.body);
      await expect400(`${pull}/streams?name=a%00b`, 'name');
      await expect400(`${pull}/dynamic-streams?name=a%00b`, 'name');
      await expect400(`${pull}/streams?cursor=${cursor({ a: 'x\u0000' })}`, 'cursor');
      await expect400(`${pull}/streams?limit=1&limit=2`, 'limit');
      // A NUL in the path is a 400 before any key check or database query, with or without a key.
      for (const path of ['streams', 'update-streams?name=a', 'srt_port_resolve/1', 'pull_key'])
        for (const headers of [{}, { authorization: 'Bearer garbage-0123456789' }] as Record<
          string,
          string
        >[]) {
          const res = await t.call('GET', `${P}/streamers/s%00/${path}`, undefined, headers);
          assert.equal(res.statusCode, 400, `${path}: ${res.body}`);
          assert.equal(firstError(res.body).source?.parameter, 'hostname', path);
        }
      const streamName = await t.call('GET', `${P}/streams/a%00b`);
      assert.equal(streamName.statusCode, 400, streamName.body);
    });
  });
}
