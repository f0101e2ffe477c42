import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { testBackends } from '../../test-kit/backends.ts';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';

const P = '/central/api/v3';

for (const backend of await testBackends()) {
  describe(`streamers API on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(backend)));
    after(() => t.close());
    beforeEach(() => t.reset());

    test('the registration used in the field: hostname from the path, defaults filled in', async () => {
      const res = await t.call('PUT', `${P}/streamers/edge-1`, {
        api_url: 'http://10.0.0.5:81/',
        public_payload_url: 'http://203.0.113.5/',
        cluster_key: 'xS6i6Q3DCc5nEvnu',
      });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), {
        hostname: 'edge-1',
        role: 'streamer',
        channel_limit: 6000,
        api_url: 'http://10.0.0.5:81/',
        public_payload_url: 'http://203.0.113.5/',
        cluster_key: 'xS6i6Q3DCc5nEvnu',
        // Observed state: never reached, so offline with stats null (as in Flussonic).
        stats: null,
        status: { state: 'offline', streams: 0, provisioning: { status: 'pending' } },
      });
    });

    test('all streamer fields round-trip and merge', async () => {
      const full = {
        hostname: 'peer.example.com',
        role: 'inference',
        api_url: 'http://streamer.local:8080',
        private_payload_url: 'http://streamer.local',
        public_payload_url: 'https://public.example.com',
        cluster_key: 'k1',
        channel_limit: 5,
        cpu_limit: 80,
        total_bandwidth: 1000000,
        max_bitrate: 500,
        labels: { zone: 'eu', gpu: 'yes' },
        namespace: 'tenant1',
        is_restreamer: true,
        fetch_timeout: 1000,
        stale_timeout: 1500.5,
        dvrs: [
          {
            name: 'main',
            root: '/storage',
            disk_usage_limit: 90,
            disks: [{ path: 'volume1' }],
            schedule: [[800, 1600]],
          },
        ],
        config: {
          cluster_key: 'k1',
          rproxy: { streampoint_key: 'sp' },
          server_names: [{ domain: 'a.example', aliases: ['b'] }],
        },
      };
      assert.equal((await t.call('PUT', `${P}/streamers/peer.example.com`, full)).statusCode, 200);
      const {
        stats: _s,
        status: _st,
        ...got
      } = (await t.call('GET', `${P}/streamers/peer.example.com`)).json();
      assert.deepEqual(got, full);
      const merged = (
        await t.call('PUT', `${P}/streamers/peer.example.com`, { labels: { gpu: null }, channel_limit: 10 })
      ).json();
      assert.deepEqual(merged.labels, { zone: 'eu' });
      assert.equal(merged.channel_limit, 10);
      assert.equal(merged.api_url, full.api_url);
    });

    test('the cluster key never appears in list output, even when selected', async () => {
      await t.call('PUT', `${P}/streamers/a`, {
        cluster_key: 'secret-1',
        config: { cluster_key: 'secret-2', http_proxies: [] },
      });
      for (const q of ['', '?select=hostname,cluster_key,config.cluster_key']) {
        const body = (await t.call('GET', `${P}/streamers${q}`)).body;
        assert.doesNotMatch(body, /secret-/, q);
      }
      assert.equal((await t.call('GET', `${P}/streamers/a`)).json().cluster_key, 'secret-1');
    });

    test('the 2023 "public" field is accepted as public_payload_url', async () => {
      const res = await t.call('PUT', `${P}/streamers/old`, { public: 'http://old.example/' });
      assert.equal(res.json().public_payload_url, 'http://old.example/');
      assert.equal(res.json().public, undefined);
    });

    test('bad values are 400s naming the field', async () => {
      const cases: [unknown, string][] = [
        [{ api_url: 'not a url' }, '/api_url'],
        [{ api_url: 'ftp://x' }, '/api_url'],
        [{ channel_limit: -1 }, '/channel_limit'],
        [{ channel_limit: 1.5 }, '/channel_limit'],
        [{ channel_limit: '10' }, '/channel_limit'],
        [{ cpu_limit: 101 }, '/cpu_limit'],
        [{ role: 'boss' }, '/role'],
        [{ labels: { 'bad key': 'x' } }, '/labels'],
        [{ dvrs: [{ name: 'x' }] }, '/dvrs/0/root'],
        [{ is_restreamer: 'true' }, '/is_restreamer'],
      ];
      for (const [body, pointer] of cases) {
        const res = await t.call('PUT', `${P}/streamers/s1`, body);
        assert.equal(res.statusCode, 400, JSON.stringify(body));
        assert.equal(res.json().errors[0].source.pointer, pointer, JSON.stringify(body));
      }
      assert.equal((await t.call('PUT', `${P}/streamers/bad%20host`, {})).statusCode, 400);
      assert.equal((await t.call('GET', `${P}/streamers/s1`)).statusCode, 404);
    });

    test('namespace is fixed at creation; DELETE answers 204 then 404', async () => {
      await t.call('PUT', `${P}/streamers/s1`, { namespace: 'a' });
      assert.equal((await t.call('PUT', `${P}/streamers/s1`, { namespace: 'b' })).statusCode, 400);
      assert.equal((await t.call('DELETE', `${P}/streamers/s1`)).statusCode, 204);
      assert.equal((await t.call('DELETE', `${P}/streamers/s1`)).statusCode, 404);
    });

    test('PUT /streamers/batch creates and merges all or nothing', async () => {
      await t.call('PUT', `${P}/streamers/s1`, { api_url: 'http://s1:81' });
      const ok = await t.call('PUT', `${P}/streamers/batch`, [
        { hostname: 's1', channel_limit: 7 },
        { hostname: 's2' },
      ]);
      assert.equal(ok.statusCode, 204);
      const s1 = (await t.call('GET', `${P}/streamers/s1`)).json();
      assert.equal(s1.api_url, 'http://s1:81');
      assert.equal(s1.channel_limit, 7);
      const bad = await t.call('PUT', `${P}/streamers/batch`, [
        { hostname: 's3' },
        { hostname: 's4', role: 'x' },
      ]);
      assert.equal(bad.statusCode, 400);
      assert.equal((await t.call('GET', `${P}/streamers/s3`)).statusCode, 404);
    });

    test('list filters and sorts on columns: role, channel_limit, labels', async () => {
      await t.call('PUT', `${P}/streamers/batch`, [
        { hostname: 'a', channel_limit: 10, labels: { zone: 'eu' } },
        { hostname: 'b', role: 'inference', labels: { zone: 'us' } },
        { hostname: 'c', channel_limit: 100, labels: { zone: 'eu' } },
      ]);
      const names = async (q: string) =>
        (await t.call('GET', `${P}/streamers?${q}`))
          .json()
          .streamers.map((s: { hostname: string }) => s.hostname);
      assert.deepEqual(await names('role=inference'), ['b']);
      assert.deepEqual(await names('channel_limit_lt=1000'), ['a', 'c']);
      assert.deepEqual(await names('sort=-channel_limit'), ['b', 'c', 'a']);
      assert.deepEqual(await names('labels.zone=eu'), ['a', 'c']);
      assert.deepEqual(await names('q=US'), ['b']);
    });
  });
}
