// The Debian packages end to end, as an operator uses them: build central and central-streamer, install
// them with dpkg, run both services through `service` (the init scripts here; the systemd units where
// systemd runs), register the streamer in Central and play a stream from it, restart and stop, reinstall
// over an edited conffile, and purge everything. Needs root on Debian with dpkg-deb, the packages' own
// dependencies installed (nodejs >= 20.19, ffmpeg) and port 9019 free: elsewhere it is skipped with the
// reason, except under CI=true where that is a failure. Whatever happens, it purges what it installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { buildPackages, type BuiltPackage } from '../../packaging/deb/build.ts';
import { freePort, waitUntil } from '../../test-kit/fleet.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CENTRAL = 'http://127.0.0.1:9019';
const PACKAGES = ['central', 'central-streamer'] as const;
const SYSTEMD = fs.existsSync('/run/systemd/system');
const ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  DEBIAN_FRONTEND: 'noninteractive',
};

function run(cmd: string, args: string[], timeoutMs = 60_000) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'], // a conffile prompt fails instead of waiting
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function ok(cmd: string, ...args: string[]): string {
  const r = run(cmd, args);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} failed:\n${r.out}`);
  return r.out;
}

/** dpkg's status of a package: "" when dpkg does not know it. */
function dpkgStatus(pkg: string): string {
  const r = run('dpkg-query', ['-W', '-f', '${db:Status-Status}', pkg]);
  return r.code === 0 ? r.out.trim() : '';
}

function installedVersion(pkg: string): string | null {
  const r = run('dpkg-query', ['-W', '-f', '${db:Status-Status} ${Version}', pkg]);
  const [status, version] = r.out.trim().split(' ');
  return r.code === 0 && status === 'installed' && version ? version : null;
}

/** Why this machine cannot run the test, or null. */
function unsupported(): string | null {
  if (process.platform !== 'linux' || !fs.existsSync('/etc/debian_version')) return 'not a Debian system';
  if (process.getuid?.() !== 0) return 'not running as root (dpkg -i needs it)';
  for (const cmd of ['dpkg', 'dpkg-deb', 'dpkg-query', 'service', 'start-stop-daemon', 'pgrep'])
    if (run('sh', ['-c', `command -v ${cmd}`]).code !== 0) return `${cmd} is not installed`;
  const node = installedVersion('nodejs');
  if (!node || run('dpkg', ['--compare-versions', node, 'ge', '20.19']).code !== 0)
    return `the packages depend on the Debian package nodejs (>= 20.19), and it is ${node ?? 'not installed'} (NodeSource on Debian 12)`;
  if (!installedVersion('ffmpeg'))
    return 'central-streamer depends on the Debian package ffmpeg: not installed';
  return null;
}

/** Refuses to touch a system that has Central on it already: purge would delete its data. */
function checkClean() {
  for (const pkg of PACKAGES) {
    const status = dpkgStatus(pkg);
    assert.ok(
      status === '' || status === 'not-installed',
      `the package ${pkg} is on this system already (${status}); this test installs and purges its own, ` +
        `so it stops here: dpkg --purge ${pkg} first`,
    );
  }
  for (const p of ['/etc/central', '/var/lib/central', '/var/lib/central-streamer', '/opt/central'])
    assert.ok(!fs.existsSync(p), `${p} exists; the test's purge would delete it, so it stops here`);
  assert.equal(run('getent', ['passwd', 'central']).code, 2, 'a user "central" exists already');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '::', () => s.close(() => resolve(true)));
  });
}

/**
 * One HTTP request on a connection of its own: the services restart under the test, and a pooled
 * keep-alive connection to the old process would fail the first request after it. Status 0: no answer.
 */
function request(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, headers, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', (e) => resolve({ status: 0, type: '', text: String(e) }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ status: 0, type: '', text: String(e) }));
    req.end(body);
  });
}

const get = (url: string) => request('GET', url);

function mainPid(service: string): number {
  if (SYSTEMD) return Number(ok('systemctl', 'show', '-p', 'MainPID', '--value', service).trim());
  return Number(fs.readFileSync(`/run/${service}.pid`, 'utf8').trim());
}

function pidsOf(uid: number): number[] {
  const r = run('pgrep', ['-U', String(uid)]);
  return r.out
    .split('\n')
    .map(Number)
    .filter((p) => p > 0);
}

function ids(name: string): { uid: number; gid: number } | null {
  const r = run('getent', ['passwd', name]);
  if (r.code !== 0) return null;
  const f = r.out.trim().split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

function statusCode(service: string): number | null {
  return run('service', [service, 'status']).code;
}

describe('Debian packages', () => {
  let installed = false;
  let centralUid: number | null = null;
  let work: string | null = null;

  after(async () => {
    if (installed) {
      // The test failed with the packages installed: show the services' logs before purging them.
      for (const log of ['/var/log/central/central.log', '/var/log/central/streamer.log'])
        if (fs.existsSync(log))
          console.log(`# ${log} (end):\n${fs.readFileSync(log, 'utf8').split('\n').slice(-15).join('\n')}`);
      for (const pkg of [...PACKAGES].reverse()) run('service', [pkg, 'stop']);
      // Anything the services left behind (there should be nothing) would keep purge from removing the
      // user: end it, by pid.
      const uid = centralUid ?? ids('central')?.uid;
      if (uid !== undefined)
        for (const pid of pidsOf(uid))
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
      if (uid !== undefined) await waitUntil(() => pidsOf(uid).length === 0, 5000, 'killed').catch(() => {});
      run('dpkg', ['--purge', ...PACKAGES], 120_000);
      // checkClean() saw no user central before the test: the one left is the test's.
      if (ids('central')) run('deluser', ['--system', 'central']);
    }
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('build, install, run, register a streamer, reinstall over an edited conffile, purge', async (t) => {
    const reason = unsupported();
    if (reason) {
      if (process.env.CI === 'true') assert.fail(`CI=true but the packaging test cannot run: ${reason}`);
      return t.skip(reason);
    }
    const step = (s: string) => t.diagnostic(`${new Date().toISOString().slice(11, 23)} ${s}`);
    checkClean();
    assert.ok(await portFree(9019), 'port 9019 is in use; the installed Central listens on it');

    step('building the packages');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'central-packaging-'));
    const built = await buildPackages({ root: ROOT, outDir: work, compressLevel: 1 });
    const deb = Object.fromEntries(built.map((p) => [p.name, p])) as Record<string, BuiltPackage>;
    const version = String(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    for (const pkg of PACKAGES) {
      assert.equal(path.basename(deb[pkg]!.file), `${pkg}_${version}_all.deb`);
      const fields = ok('dpkg-deb', '-f', deb[pkg]!.file, 'Architecture', 'Depends', 'Installed-Size');
      assert.match(fields, /Architecture: all/);
      assert.match(fields, /Depends: nodejs \(>= 20\.19\), adduser \| passwd/);
      if (pkg === 'central-streamer') assert.match(fields, /ffmpeg, util-linux/);
      assert.match(fields, /Installed-Size: [1-9]\d*/);
    }

    step('dpkg -i');
    installed = true;
    ok('dpkg', '-i', deb.central!.file, deb['central-streamer']!.file);
    for (const pkg of PACKAGES) assert.equal(dpkgStatus(pkg), 'installed');
    const user = ids('central');
    assert.ok(user, 'postinst created the user central');
    centralUid = user.uid;
    assert.equal(run('getent', ['group', 'central']).code, 0, 'and its group');
    assert.match(ok('getent', 'passwd', 'central'), /:\/var\/lib\/central:\/usr\/sbin\/nologin$/m);
    for (const f of [
      '/opt/central/central.js',
      '/opt/central/migrations/0001_streams_streamers.sql',
      '/opt/central/web/dist/index.html',
      '/opt/central/node_modules/@electric-sql/pglite/package.json',
      '/opt/central-streamer/streamer.js',
      '/opt/central-streamer/node_modules/hls.js/dist/hls.light.min.js',
      '/etc/init.d/central',
      '/etc/init.d/central-streamer',
      '/usr/lib/systemd/system/central.service',
      '/usr/lib/systemd/system/central-streamer.service',
    ])
      assert.ok(fs.existsSync(f), `${f} is installed`);
    for (const dev of ['tsx', 'typescript', 'esbuild', 'vite', 'eslint', '@central'])
      for (const app of ['/opt/central', '/opt/central-streamer'])
        assert.ok(!fs.existsSync(`${app}/node_modules/${dev}`), `no ${dev} in ${app}/node_modules`);
    for (const bin of ['/usr/bin/central', '/usr/bin/central-streamer'])
      assert.ok(fs.statSync(bin).mode & 0o111, `${bin} is executable`);
    for (const [pkg, conf] of [
      ['central', '/etc/central/central.conf'],
      ['central-streamer', '/etc/central/streamer.conf'],
    ] as const) {
      const st = fs.statSync(conf);
      assert.equal(st.mode & 0o777, 0o640, `${conf} mode`);
      assert.deepEqual([st.uid, st.gid], [0, user.gid], `${conf} is root:central`);
      assert.match(ok('dpkg-query', '-W', '-f', '${Conffiles}', pkg), new RegExp(`${conf} [0-9a-f]{32}`));
    }
    for (const dir of ['/var/lib/central', '/var/lib/central-streamer']) {
      const st = fs.statSync(dir);
      assert.deepEqual([st.uid, st.mode & 0o777], [user.uid, 0o750], `${dir} is central's, 0750`);
    }

    // A first install enables the services but does not start them: the operator configures first.
    assert.deepEqual(pidsOf(user.uid), [], 'nothing runs before the operator starts it');
    const edits = `\n# added by the packaging test\nAPI_URL=${CENTRAL}\nSTREAMS_STATS_FETCH_INTERVAL=500ms\n`;
    fs.appendFileSync('/etc/central/central.conf', edits);

    step('service central start');
    ok('service', 'central', 'start');
    const live = await get(`${CENTRAL}/central/api/v3/monitoring/liveness`);
    assert.equal(live.status, 200, `Central answers its liveness probe: ${live.text}`);
    const pid = mainPid('central');
    assert.equal(fs.statSync(`/proc/${pid}`).uid, user.uid, 'Central runs as the user central');
    assert.equal(statusCode('central'), 0, 'service central status: running');
    const ui = await get(`${CENTRAL}/`);
    assert.equal(ui.status, 200, 'the web UI installed with the package is served at /');
    assert.match(ui.type, /text\/html/);
    assert.doesNotMatch(ui.text, /not built/);
    const keyFile = '/var/lib/central/api_key';
    const keyStat = fs.statSync(keyFile);
    assert.deepEqual([keyStat.uid, keyStat.mode & 0o777], [user.uid, 0o600], 'the generated API key');
    const apiKey = fs.readFileSync(keyFile, 'utf8').trim();
    if (!SYSTEMD) {
      const log = fs.readFileSync('/var/log/central/central.log', 'utf8');
      assert.match(log, /central is ready/, 'the init script logs to /var/log/central/central.log');
    }
    const api = async (method: string, p: string, body?: unknown) => {
      const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const json = body === undefined ? undefined : JSON.stringify(body);
      const r = await request(method, `${CENTRAL}/central/api/v3${p}`, headers, json);
      return { status: r.status, body: (r.status ? JSON.parse(r.text) : null) as Record<string, unknown> };
    };
    assert.equal((await api('GET', '/streamers')).status, 200, 'the API key from /var/lib/central/api_key');

    step('service central-streamer start');
    const port = await freePort();
    const streamerUrl = `http://127.0.0.1:${port}`;
    const clusterKey = 'packaging-test-cluster-key';
    fs.appendFileSync(
      '/etc/central/streamer.conf',
      `\nHTTP=${port}\nCLUSTER_KEY=${clusterKey}\nHOSTNAME=pkg-edge\n`,
    );
    ok('service', 'central-streamer', 'start');
    const streamerLive = await get(`${streamerUrl}/streamer/api/v3/monitoring/liveness`);
    assert.equal(streamerLive.status, 200, `the streamer answers its liveness probe: ${streamerLive.text}`);
    assert.equal(fs.statSync(`/proc/${mainPid('central-streamer')}`).uid, user.uid, 'as the user central');
    const hls = await get(`${streamerUrl}/_player/hls.light.min.js`);
    assert.equal(hls.status, 200, 'the bundled streamer serves hls.js for embed.html');
    assert.ok(hls.text.length > 100_000, 'the whole hls.js');

    step('registering the streamer in Central');
    const reg = await api('PUT', '/streamers/pkg-edge', { api_url: streamerUrl, cluster_key: clusterKey });
    assert.equal(reg.status, 200, JSON.stringify(reg.body));
    let last: Record<string, unknown> | null = null;
    await waitUntil(
      async () => {
        last = (await api('GET', '/streamers/pkg-edge')).body;
        const status = last?.status as { state?: string; provisioning?: { status?: string } } | undefined;
        return status?.state === 'online' && status.provisioning?.status === 'ok';
      },
      30_000,
      'Central to provision the streamer and report it online',
      250,
    ).catch((e: Error) => assert.fail(`${e.message}; last: ${JSON.stringify(last)}`));

    step('playing a stream from the streamer');
    assert.equal((await api('PUT', '/streams/pkgtest', { inputs: [{ url: 'fake://fake' }] })).status, 200);
    let playlist = '';
    await waitUntil(
      async () => {
        const r = await get(`${streamerUrl}/pkgtest/index.m3u8`);
        playlist = r.text;
        return r.status === 200 && r.text.includes('#EXTINF');
      },
      30_000,
      'the stream to play on the installed streamer (ffmpeg as the user central)',
      250,
    ).catch((e: Error) => assert.fail(`${e.message}; last answer: ${playlist}`));
    const embed = await get(`${streamerUrl}/pkgtest/embed.html`);
    assert.equal(embed.status, 200);
    assert.match(embed.text, /hls\.light\.min\.js/);

    step('service central restart');
    ok('service', 'central', 'restart');
    const relive = await get(`${CENTRAL}/central/api/v3/monitoring/liveness`);
    assert.equal(relive.status, 200, `liveness after the restart: ${relive.text}`);
    assert.notEqual(mainPid('central'), pid, 'a new process');
    assert.equal(statusCode('central'), 0, 'service central status after the restart');

    step('service stop');
    ok('service', 'central-streamer', 'stop');
    ok('service', 'central', 'stop');
    assert.equal(statusCode('central'), 3, 'service central status: stopped');
    assert.equal(statusCode('central-streamer'), 3, 'service central-streamer status: stopped');
    await waitUntil(() => pidsOf(user.uid).length === 0, 5000, 'no process of the user central').catch(
      (e: Error) => assert.fail(`${e.message}: ${run('ps', ['-u', 'central', '-o', 'pid,args']).out}`),
    );

    step('dpkg -i again over the edited conffiles');
    ok('dpkg', '-i', deb.central!.file);
    assert.ok(fs.readFileSync('/etc/central/central.conf', 'utf8').endsWith(edits), 'the edit survives');
    const st = fs.statSync('/etc/central/central.conf');
    assert.deepEqual([st.mode & 0o777, st.uid, st.gid], [0o640, 0, user.gid]);
    assert.equal(statusCode('central'), 3, 'an upgrade does not start a stopped service');

    step('central --check-config');
    const check = run('central', ['--check-config'], 15_000);
    assert.equal(check.code, 0, `central --check-config on /etc/central/central.conf:\n${check.out}`);
    assert.match(check.out, /configuration OK/);
    assert.match(check.out, /\/var\/lib\/central/);

    step('dpkg --purge');
    ok('dpkg', '--purge', 'central-streamer', 'central');
    installed = false;
    for (const pkg of PACKAGES)
      assert.ok(['', 'not-installed'].includes(dpkgStatus(pkg)), `${pkg} is purged`);
    for (const p of [
      '/opt/central',
      '/opt/central-streamer',
      '/etc/central',
      '/var/lib/central',
      '/var/lib/central-streamer',
      '/var/log/central',
      '/etc/init.d/central',
      '/etc/init.d/central-streamer',
      '/usr/bin/central',
      '/usr/bin/central-streamer',
    ])
      assert.ok(!fs.existsSync(p), `${p} is gone`);
    assert.equal(ids('central'), null, 'the user central is gone');
    assert.notEqual(run('getent', ['group', 'central']).code, 0, 'and its group');
    assert.deepEqual(pidsOf(user.uid), [], 'no process left');
    step('done');
  });
});
