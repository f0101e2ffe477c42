// Secrets stay out of list output: a streamer's URLs may carry credentials as userinfo
// (http://user:password@streamer:81), which `GET /streamers` must not show, as it never shows the
// cluster key. The streamer itself (`GET /streamers/{hostname}`) keeps them, for editing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pgliteBackend } from '../../test-kit/backends.ts';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';

const P = '/central/api/v3';
const SAVED = {
  api_url: 'http://admin:api-secret@10.0.0.5:81/streamer/api/v3',
  public_payload_url: 'https://viewer:pub-secret@cdn.example.com/live',
  private_payload_url: 'http://only-user-secret@10.0.0.5:80',
  cluster_key: 'cluster-secret-0123',
};

describe('streamer URLs in lists', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(pgliteBackend);
    assert.equal((await t.call('PUT', `${P}/streamers/s1`, SAVED)).statusCode, 200);
  });
  after(() => t.close());

  test('GET /streamers shows no userinfo (nor the cluster key)', async () => {
    for (const url of [
      `${P}/streamers`,
      `${P}/streamers?select=hostname,api_url`,
      '/streamer/api/v3/streamers',
    ]) {
      const res = await t.call('GET', url);
      assert.equal(res.statusCode, 200);
      assert.doesNotMatch(res.body, /secret|admin:|viewer:|@/, url);
      const [item] = res.json().streamers;
      assert.equal(item.api_url, 'http://10.0.0.5:81/streamer/api/v3');
      if (!url.includes('select')) {
        assert.equal(item.public_payload_url, 'https://cdn.example.com/live');
        assert.equal(item.private_payload_url, 'http://10.0.0.5:80');
      }
    }
  });

  test('the streamer itself keeps them, and a list read changes nothing', async () => {
    const one = (await t.call('GET', `${P}/streamers/s1`)).json();
    for (const [k, v] of Object.entries(SAVED)) assert.equal(one[k], v, k);
  });
});
