// The secret scan: a full end-to-end run (real Central on PostgreSQL with a password in DATABASE_URL,
// or PGlite where PostgreSQL is missing; two open streamers with real ffmpeg), every log at debug level
// with request logging on, exercising every way a secret enters the system: the API key (Bearer, the
// provisioned config_external URL), EDIT_AUTH (Basic, the UI sign-in and its session cookie), cluster
// keys, the streamers' admin login, input URLs with passwords and tokens, a streamer URL with userinfo,
// wrong credentials. Then the complete output of every process is searched for each secret.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TEST_API_KEY } from '../../test-kit/app.ts';
import { embeddedDir, tempDir, testPostgres } from '../../test-kit/backends.ts';
import { freePort, startCentral, waitUntil, type RunningCentral } from '../../test-kit/fleet.ts';
import { ffmpegAvailable } from '../../test-kit/media.ts';
import {
  fetchNewestSegment,
  startStreamer,
  STREAMER_ADMIN,
  type RunningStreamer,
} from '../../test-kit/streamers.ts';

const EDIT = { login: 'admin', password: 'edit-SECRET-pw-4417' };
const CLUSTER_KEY = 'cluster-SECRET-key-9931';
const CAM_PASSWORD = 'cam-SECRET-pw-2287';
const TOKEN = 'token-SECRET-6642';
const DB_PASSWORD = 'db-SECRET-pw-5120';
const URL_PASSWORD = 'url-SECRET-pw-7735';
const WRONG_KEY = 'wrong-SECRET-key-3308';

const basic = (login: string, password: string) =>
  `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

/** Central's environment: PostgreSQL with a role that has a password when there is PostgreSQL. */
async function database(): Promise<Record<string, string>> {
  const pg = await testPostgres();
  if (!pg) return { CENTRAL_DIR: await embeddedDir() };
  const url = new URL(await pg.createDatabase('logs_e2e'));
  const role = `logs_${Date.now().toString(36)}`;
  await pg.admin(`CREATE ROLE ${role} LOGIN PASSWORD '${DB_PASSWORD}'`);
  await pg.admin(`ALTER DATABASE ${url.pathname.slice(1)} OWNER TO ${role}`);
  url.username = role;
  url.password = DB_PASSWORD;
  return { CENTRAL_DIR: tempDir(), DATABASE_URL: url.toString() };
}

const media = ffmpegAvailable();
describe('no secret reaches a log', { skip: !media && 'needs ffmpeg' }, () => {
  let central: RunningCentral;
  let streamers: RunningStreamer[] = [];
  let cookie = '';
  const logs = () => [central, ...streamers].map((p) => p.process.output()).join('\n');

  before(async () => {
    central = await startCentral({
      ...(await database()),
      EDIT_AUTH: `${EDIT.login} ${EDIT.password}`,
      LOG_LEVEL: 'debug',
      LOG_REQUESTS: 'true',
    });
    streamers = await Promise.all(
      ['logs-a', 'logs-b'].map((h) => startStreamer(h, CLUSTER_KEY, { STREAMER_LOG_LEVEL: 'debug' })),
    );
  });
  after(async () => {
    await Promise.all(streamers.map((s) => s.process.stop()));
    await central?.process.stop();
  });

  test('a full run: provisioning, sign-in, credentials right and wrong, streams with secret inputs', async () => {
    for (const s of streamers) {
      const r = await central.api('PUT', `/streamers/${s.hostname}`, {
        api_url: s.url,
        cluster_key: CLUSTER_KEY,
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    // A streamer nobody can reach, registered with a password in its URL: Central logs its failures.
    const dead = await freePort();
    const r = await central.api('PUT', '/streamers/unreachable', {
      api_url: `http://op:${URL_PASSWORD}@127.0.0.1:${dead}`,
      cluster_key: CLUSTER_KEY,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const s of streamers)
      await waitUntil(
        async () =>
          (await s.api<{ config_external?: string }>('GET', '/config')).body.config_external !== undefined,
        15_000,
        `${s.hostname} provisioned`,
      );

    // The web UI's sign-in, then the session cookie; a wrong password; Basic right and wrong.
    const ui = `${central.url}/ui/api/session`;
    const xhr = { 'x-requested-with': 'XMLHttpRequest', 'content-type': 'application/json' };
    const bad = await fetch(ui, {
      method: 'POST',
      headers: xhr,
      body: JSON.stringify({ ...EDIT, password: WRONG_KEY }),
    });
    assert.equal(bad.status, 401);
    const signIn = await fetch(ui, { method: 'POST', headers: xhr, body: JSON.stringify(EDIT) });
    assert.equal(signIn.status, 200);
    cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.match(cookie, /^central_session=.{20,}/);
    const api = `${central.url}/central/api/v3`;
    const asUser = await fetch(`${api}/streams`, {
      headers: { cookie, 'x-requested-with': 'XMLHttpRequest' },
    });
    assert.equal(asUser.status, 200);
    assert.equal(
      (await fetch(`${api}/streams`, { headers: { authorization: basic(EDIT.login, EDIT.password) } }))
        .status,
      200,
    );
    assert.equal(
      (await fetch(`${api}/streams`, { headers: { authorization: `Bearer ${WRONG_KEY}` } })).status,
      401,
    );
    assert.equal(
      (await fetch(`${api}/streams`, { headers: { authorization: basic('admin', WRONG_KEY) } })).status,
      401,
    );
    const metrics = await fetch(`${central.url}/metrics`, {
      headers: { authorization: `Bearer ${TEST_API_KEY}` },
    });
    assert.equal(metrics.status, 200);

    // A stream whose first inputs fail (a camera with a password, a URL with a token), then plays.
    const refused = await freePort();
    const put = await central.api('PUT', '/streams/cam', {
      inputs: [
        { url: `rtsp://viewer:${CAM_PASSWORD}@127.0.0.1:${refused}/live` },
        { url: `http://127.0.0.1:${refused}/live.m3u8?token=${TOKEN}` },
        { url: 'fake://fake' },
      ],
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    // The secret in a query string too, as a client filtering by input URL would send it.
    const q = encodeURIComponent(`rtsp://viewer:${CAM_PASSWORD}@127.0.0.1:${refused}/live`);
    assert.equal((await central.api('GET', `/streams?inputs.url=${q}`)).status, 200);
    const dir = tempDir('segments-');
    await waitUntil(
      async () => {
        for (const s of streamers) if (await fetchNewestSegment(`${s.url}/cam/index.m3u8`, dir)) return true;
        return false;
      },
      30_000,
      'cam to play after its failing inputs',
      250,
    );
    // The streamers' own API with their admin login.
    for (const s of streamers) assert.equal((await s.api('GET', '/streams')).status, 200);
  });

  test('the logs of every process carry none of the secrets, yet say what happened', async () => {
    await Promise.all(streamers.map((s) => s.process.stop()));
    await central.process.stop();
    const text = logs();
    const secrets = {
      API_KEY: TEST_API_KEY,
      'EDIT_AUTH password': EDIT.password,
      'EDIT_AUTH as Basic': basic(EDIT.login, EDIT.password).slice(6),
      'cluster key': CLUSTER_KEY,
      'streamer admin password': STREAMER_ADMIN.password,
      'streamer admin as Basic': basic(STREAMER_ADMIN.login, STREAMER_ADMIN.password).slice(6),
      'input password': CAM_PASSWORD,
      'input token': TOKEN,
      'DATABASE_URL password': DB_PASSWORD,
      'streamer URL password': URL_PASSWORD,
      'wrong key': WRONG_KEY,
      'session cookie': cookie.slice('central_session='.length),
    };
    for (const [what, secret] of Object.entries(secrets)) {
      const at = text.indexOf(secret);
      assert.equal(at, -1, `the ${what} is in the logs: …${text.slice(Math.max(0, at - 200), at + 100)}…`);
    }
    // The scan looked at real logs: request lines, provisioning, and the failing inputs (redacted).
    assert.match(text, /"route":"\/central\/api\/v3\/streams"[^\n]*"msg":"request"/);
    assert.match(text, /"status":401[^\n]*"msg":"request"/);
    assert.match(text, /"url":"\/central\/api\/v3\/streams\?inputs\.url=rtsp:\/\/\*\*\*@/);
    assert.match(text, /"msg":"input failed"/);
    assert.match(text, /rtsp:\/\/\*\*\*@127\.0\.0\.1/);
    assert.match(text, /provisioning unreachable: error/);
    assert.match(text, /streamer logs-a is online/);
    assert.ok(text.split('\n').length > 40, `only ${text.split('\n').length} log lines`);
  });
});
