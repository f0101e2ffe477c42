// Contract with the official Go SDK (go-flussonic/central): every implemented operation is sent exactly
// as the SDK sends it, and every answer must decode with the SDK's own model. The model and the
// operation list are generated from the SDK and live outside the repo (../shared/conformance), so a
// checkout without them skips this suite instead of failing; CI must have them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { LightMyRequestResponse } from 'fastify';
import { testBackends } from '../../test-kit/backends.ts';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIR = path.resolve(ROOT, '../shared/conformance');
const CENTRAL = '/central/api/v3';
const LEGACY = '/streamer/api/v3';

interface Operation {
  operation: string;
  method: string;
  path_template: string;
  response_type: string | null;
  list: boolean;
  example_method: string;
  example_path: string;
  example_response: unknown;
}

/** Every SDK operation this project implements, with the status it answers. */
const STATUS = {
  StreamSave: 200,
  StreamGet: 200,
  StreamsList: 200,
  StreamDelete: 204,
  StreamsBatchUpdate: 204,
  StreamerSave: 200,
  StreamerGet: 200,
  StreamersList: 200,
  StreamerDelete: 204,
  StreamersBatchUpdate: 204,
  ConfigGet: 200,
  LivenessProbe: 200,
  ReadinessProbe: 200,
  StreamLayoutsGet: 200,
  BatchUpdateStreamsLayouts: 204,
  ClusterStatsGet: 200,
  PreviewLayoutChangeForStreamConfig: 200,
  BatchStreamLayoutPreview: 200,
  PreviewLayoutChangeForStreamerConfig: 200,
  BatchStreamerLayoutPreview: 200,
  StreamerStreamsList: 200,
  StreamerUpdateStreamsList: 200,
  StreamerDynamicStreamsList: 200,
  SrtPortResolve: 200,
} as const satisfies Record<string, number>;
type Covered = keyof typeof STATUS;
const COVERED = Object.keys(STATUS) as Covered[];

// The fleet operations need a placed stream and a streamer that reports (set up by fleetSetup).
const FLEET_OPS = new Set<Covered>([
  'StreamLayoutsGet',
  'BatchUpdateStreamsLayouts',
  'ClusterStatsGet',
  'PreviewLayoutChangeForStreamConfig',
  'BatchStreamLayoutPreview',
  'PreviewLayoutChangeForStreamerConfig',
  'BatchStreamerLayoutPreview',
  'StreamerStreamsList',
  'StreamerUpdateStreamsList',
  'StreamerDynamicStreamsList',
  'SrtPortResolve',
]);

// Query parameters the caller of the SDK must give (the example paths carry none).
const QUERY: Partial<Record<Covered, string>> = {
  StreamerUpdateStreamsList: '?name=test-name,other',
  StreamerDynamicStreamsList: '?name=test-name,other',
};

// The example path's port is the placeholder `test-port`; a streamer always sends a number.
const SRT_PORT = 9000;
const examplePath = (op: Operation) =>
  op.operation === 'SrtPortResolve'
    ? op.example_path.replace(/test-port$/, String(SRT_PORT))
    : op.example_path;

// The SDK serialises whole structs, so `updated_at: 0` and the key field are always in a PUT body.
const STREAM = {
  name: 'test-name',
  updated_at: 0,
  title: 'Channel One',
  comment: 'main studio feed',
  inputs: [
    { url: 'udp://239.0.0.1:1234', priority: 1, source_timeout: 10, programs: [1] },
    { url: 'rtsp://cam.example.com/live', priority: 2, headers: { 'X-Token': 'abc' }, latency: 1.5 },
  ],
  labels: { zone: 'eu-1', tier: 'gold' },
  namespace: 'tenant1',
  protocols: { hls: true, dash: true, rtmp: false, webrtc: true },
  dvr: { root: '/storage', expiration: 86400, disk_usage_limit: 90, schedule: [[800, 1600]] },
  pushes: [{ url: 'rtmp://a.rtmp.youtube.com/live2/key', retry_limit: 3, comment: 'yt' }],
  transcoder: {
    video: [{ bitrate: 2000000, codec: 'h264', track: 1 }],
    audio: { codec: 'aac', bitrate: 128000 },
  },
  on_play: { url: 'http://auth.example.com/', max_sessions: 10 },
  claims: { bitrate: 2543 },
  segment_duration: 2000,
  segment_count: 5,
  static: true,
};

const conformancePresent = fs.existsSync(DIR);
if (!conformancePresent && process.env.CI === 'true') {
  test('SDK contract', () => assert.fail(`CI=true but ${DIR} is missing`));
} else if (!conformancePresent) {
  console.log('# notice: ../shared/conformance not found; contract tests skipped');
  describe('SDK contract', { skip: '../shared/conformance not found' }, () => {});
} else {
  const schema = JSON.parse(fs.readFileSync(path.join(DIR, 'central-model.schema.json'), 'utf8'));
  const { operations } = JSON.parse(
    fs.readFileSync(path.join(DIR, 'central-sdk-operations.json'), 'utf8'),
  ) as { operations: Operation[] };
  const ops = new Map(operations.map((o) => [o.operation, o]));
  // The file's `list` flag is also set on ConfigGet and others; only the collection lists carry
  // estimated_count and both cursors. The config_external lists (streamers pull them) page with next only.
  const isList = (op: Operation) => op.operation === 'StreamsList' || op.operation === 'StreamersList';
  const isPull = (op: Operation) => /\/streamers\/%s\/[a-z-]+$/.test(op.path_template) && op.list;
  // strict: false makes ajv ignore the generator's x-go-type / x-always-sent-by-sdk annotations.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(schema, 'central');
  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (type: string) => {
    if (!validators.has(type)) {
      const v = ajv.getSchema(`central#/$defs/${type}`);
      assert.ok(v, `type ${type} is not in the model`);
      validators.set(type, v);
    }
    return validators.get(type)!;
  };

  // The SDK's own StreamerGet example carries every field the model knows; stats is read-only.
  const streamerExample = (hostname: string) => {
    const { stats: _stats, ...rest } = (ops.get('StreamerGet')?.example_response ?? {}) as Record<
      string,
      unknown
    >;
    return { ...rest, hostname, updated_at: 0 };
  };
  const bodies: Partial<Record<Covered, unknown>> = {
    StreamSave: STREAM,
    StreamerSave: streamerExample('test-hostname'),
    StreamsBatchUpdate: [
      { ...STREAM, name: 'batch-1' },
      { name: 'batch-2', updated_at: 0, inputs: [{ url: 'fake://fake' }] },
    ],
    StreamersBatchUpdate: [
      streamerExample('batch-1.example.com'),
      { hostname: 'batch-2.example.com', updated_at: 0, api_url: 'http://10.0.0.2:80' },
    ],
    BatchUpdateStreamsLayouts: {
      layouts: [
        { name: 'test-name', ingest: 'other.example.com', change_reason: 'relayout_by_api' },
        { name: 'other', ingest: 'test-hostname' },
      ],
    },
    PreviewLayoutChangeForStreamConfig: { ...STREAM, disabled: true },
    BatchStreamLayoutPreview: [
      STREAM,
      { name: 'preview-new', updated_at: 0, inputs: [{ url: 'fake://fake' }] },
    ],
    PreviewLayoutChangeForStreamerConfig: streamerExample('test-hostname'),
    BatchStreamerLayoutPreview: [
      streamerExample('test-hostname'),
      { hostname: 'new.example.com', updated_at: 0, channel_limit: 10 },
    ],
  };

  test('every covered operation is still in the SDK operation list', () => {
    const missing = COVERED.filter((name) => !ops.has(name));
    assert.deepEqual(missing, [], `renamed or removed in the SDK: ${missing.join(', ')}`);
  });

  for (const backend of await testBackends()) {
    describe(`Go SDK contract on ${backend.name}`, () => {
      let t: TestApp;
      before(async () => (t = await startTestApp(backend)));
      after(() => t.close());
      beforeEach(() => t.reset());

      // The objects the example paths name must exist, or GET/DELETE would rightly be 404.
      const prerequisites = async () => {
        for (const [url, body] of [
          [`${CENTRAL}/streams/test-name`, STREAM],
          [`${CENTRAL}/streams/other`, { name: 'other', updated_at: 0, title: 'x' }],
          [`${CENTRAL}/streamers/test-hostname`, streamerExample('test-hostname')],
          [`${CENTRAL}/streamers/other.example.com`, { hostname: 'other.example.com', updated_at: 0 }],
        ] as const) {
          const res = await t.call('PUT', url, body);
          assert.equal(res.statusCode, 200, `setup ${url}: ${res.body}`);
        }
      };

      // Both streams placed on test-hostname, which reports the SDK's own example stats; test-name plays
      // SRT on SRT_PORT. The status row is upserted: an earlier test's pull may already have recorded
      // a sign of life for test-hostname (pulls are written in the background, once a second).
      const fleetSetup = async () => {
        const placed = await t.call('POST', `${CENTRAL}/streams/layouts`, {
          layouts: [
            { name: 'test-name', ingest: 'test-hostname' },
            { name: 'other', ingest: 'test-hostname' },
          ],
        });
        assert.equal(placed.statusCode, 204, `setup layouts: ${placed.body}`);
        const stats = (ops.get('StreamerGet')?.example_response as { stats?: unknown } | undefined)?.stats;
        await t.db.query(
          `INSERT INTO streamer_status (hostname, state, online_since, last_poll_ok, stats, updated_at)
           VALUES ('test-hostname', 'online', 0, $1, $2, $1)
           ON CONFLICT (hostname) DO UPDATE SET state = EXCLUDED.state, online_since = EXCLUDED.online_since,
             last_poll_ok = EXCLUDED.last_poll_ok, stats = EXCLUDED.stats, updated_at = EXCLUDED.updated_at`,
          [t.clock.now(), JSON.stringify(stats ?? {})],
        );
        await t.db.query(
          `UPDATE streams SET config = config || jsonb_build_object('srt_play', jsonb_build_object('port', $1::int))
           WHERE name = 'test-name'`,
          [SRT_PORT],
        );
      };

      const send = (op: Operation, prefix: string, query = '') => {
        const path = examplePath(op);
        assert.ok(path.startsWith(CENTRAL), path);
        const url = prefix + path.slice(CENTRAL.length) + query;
        const body = bodies[op.operation as Covered];
        // t.call sends Bearer auth and Content-Type: application/json even without a body, as the SDK does.
        return t.call(op.example_method as 'GET', url, body, { 'x-originator': 'flussonic-sdk' });
      };

      const checkBody = (op: Operation, res: LightMyRequestResponse, label: string) => {
        if (res.statusCode === 204) {
          assert.equal(res.body, '', `${label}: a 204 has no body`);
          return;
        }
        if (!op.response_type) return;
        assert.match(String(res.headers['content-type']), /^application\/json/, `${label}: JSON`);
        const body: Record<string, unknown> = res.json();
        const validate = validatorFor(op.response_type);
        assert.ok(
          validate(body),
          `${label}: answer is not a valid ${op.response_type}:\n` +
            `${JSON.stringify(validate.errors, null, 2)}\nbody: ${res.body}`,
        );
        if (isList(op)) {
          // Go decodes next/prev as strings and re-sends them as the cursor: "" would loop forever.
          for (const k of ['next', 'prev'])
            assert.ok(
              !(k in body) || (typeof body[k] === 'string' && body[k] !== ''),
              `${label}: ${k} must be absent or a non-empty string, got ${JSON.stringify(body[k])}`,
            );
          assert.ok(Number.isInteger(body.estimated_count), `${label}: estimated_count must be an integer`);
        }
        if (isPull(op))
          assert.ok(
            !('next' in body) || (typeof body.next === 'string' && body.next !== ''),
            `${label}: next must be absent or a non-empty string, got ${JSON.stringify(body.next)}`,
          );
      };

      for (const name of COVERED) {
        test(`${name} as the SDK sends it, on both prefixes`, async () => {
          const op = ops.get(name);
          assert.ok(op, `${name} is not in central-sdk-operations.json`);
          const statuses: number[] = [];
          for (const prefix of [CENTRAL, LEGACY]) {
            await t.reset();
            await prerequisites();
            if (FLEET_OPS.has(name)) await fleetSetup();
            const query = QUERY[name] ?? '';
            const res = await send(op, prefix, query);
            const label: string = `${op.example_method} ${prefix}${examplePath(op).slice(CENTRAL.length)}${query}`;
            assert.equal(res.statusCode, STATUS[name], `${label}: ${res.body}`);
            checkBody(op, res, label);
            statuses.push(res.statusCode);
            if (isList(op)) {
              // A page smaller than the collection yields real cursors, whose shape the SDK cares about.
              const first = await send(op, prefix, '?limit=1');
              assert.equal(first.statusCode, 200, first.body);
              checkBody(op, first, `${label}?limit=1`);
              const next = first.json().next;
              assert.ok(next, `${label}?limit=1 of 2 items must have a next cursor`);
              const second = await send(op, prefix, `?limit=1&cursor=${encodeURIComponent(next)}`);
              assert.equal(second.statusCode, 200, second.body);
              checkBody(op, second, `${label}?limit=1&cursor=…`);
              assert.ok(second.json().prev, `${label}: the second page must have a prev cursor`);
            }
            if (isPull(op)) {
              // Two streams on the streamer: a page of one has a next cursor leading to the other.
              const amp = query ? '&' : '?';
              const first = await send(op, prefix, `${query}${amp}limit=1`);
              assert.equal(first.statusCode, 200, first.body);
              checkBody(op, first, `${label} limit=1`);
              const next = first.json().next;
              assert.ok(next, `${label} limit=1 of 2 streams must have a next cursor`);
              const second = await send(
                op,
                prefix,
                `${query}${amp}limit=1&cursor=${encodeURIComponent(next)}`,
              );
              assert.equal(second.statusCode, 200, second.body);
              checkBody(op, second, `${label} limit=1&cursor=…`);
              const names = [...first.json().streams, ...second.json().streams].map(
                (s: { name: string }) => s.name,
              );
              assert.deepEqual(names, ['other', 'test-name']);
            }
          }
          assert.equal(statuses[1], statuses[0], 'the legacy prefix answers like the central one');
        });
      }

      test('the fleet operations answer with content, not just a valid shape', async () => {
        await prerequisites();
        await fleetSetup();
        const get = async (op: Covered, query = '') => {
          const res = await send(ops.get(op)!, CENTRAL, query);
          assert.equal(res.statusCode, 200, `${op}: ${res.body}`);
          return res;
        };
        const history = (await get('StreamLayoutsGet')).json().layouts;
        assert.equal(history[0].ingest, 'test-hostname');
        const pulled = (await get('StreamerStreamsList')).json().streams.map((s: { name: string }) => s.name);
        assert.deepEqual(pulled, ['other', 'test-name']);
        const { streams: updated } = (await get('StreamerUpdateStreamsList', '?name=test-name')).json();
        assert.deepEqual(
          updated.map((s: { name: string }) => s.name),
          ['test-name'],
        );
        const srt = await get('SrtPortResolve');
        assert.equal(srt.body, 'test-name');
        assert.match(String(srt.headers['content-type']), /^text\/plain/);
        const stats = (await get('ClusterStatsGet')).json();
        assert.equal(
          stats.streamer_metrics.find((m: { hostname: string }) => m.hostname === 'test-hostname').status,
          'operational',
        );
        const preview = (await get('PreviewLayoutChangeForStreamConfig')).json();
        assert.deepEqual(
          preview.changes.map((c: { name: string; change_reason: string }) => [c.name, c.change_reason]),
          [['test-name', 'stream_disabled']],
        );
        const streamerPreview = (await get('BatchStreamerLayoutPreview')).json();
        assert.ok(streamerPreview.changes.length > 0, 'the example streamer config moves streams');
      });

      test('the saved objects read back as the SDK sent them', async () => {
        await prerequisites();
        const { updated_at, stats, ...stream } = (await t.call('GET', `${CENTRAL}/streams/test-name`)).json();
        const { updated_at: _u, ...sent } = STREAM;
        assert.deepEqual(stream, sent);
        assert.equal(stats.status, 'waiting', "observed state is the server's: not placed, so waiting");
        assert.equal(updated_at, t.clock.now(), "the server keeps updated_at, not the SDK's 0");
        const { updated_at: _v, ...sentStreamer } = streamerExample('test-hostname');
        // Runtime counters nested in the example (disk and proxy stats) are server-owned: not stored.
        const withoutStats = JSON.parse(
          JSON.stringify(sentStreamer, (k, v) => (k === 'stats' ? undefined : v)),
        );
        const {
          stats: peer,
          status,
          ...streamer
        } = (await t.call('GET', `${CENTRAL}/streamers/test-hostname`)).json();
        assert.deepEqual(streamer, withoutStats);
        assert.equal(peer, null, 'never reached: offline, so stats is null');
        assert.equal(status.state, 'offline');
      });
    });
  }
}
