// `npm run demo`: Central on its embedded database plus two local open streamers, registered with
// Central, and two `fake://` streams playing — then the URLs to try. Everything lives in data/demo
// (credentials are generated once and kept there); Ctrl-C stops it all.
//   --once         exit after the streams play (used by the test suite)
//   --dir <path>   data directory (default data/demo)
//   --free-ports   take free ports instead of 9019, 8081 and 8082
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

// From scripts/ or from dist/: the repository is the folder above either.
const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const dir = path.resolve(option('--dir') ?? path.join(root, 'data/demo'));
const STREAMS = [
  { name: 'bars', title: 'Test bars', url: 'fake://bars' },
  { name: 'clock', title: 'Second stream', url: 'fake://clock?width=854&height=480' },
];

interface Secrets {
  apiKey: string;
  password: string;
  clusterKey: string;
}

function secrets(): Secrets {
  const file = path.join(dir, 'credentials.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Secrets;
  const token = () => crypto.randomBytes(18).toString('base64url');
  const s = { apiKey: token(), password: token(), clusterKey: token() };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer().once('error', () => resolve(false));
    s.listen(port, () => s.close(() => resolve(true)));
  });
}

async function pickPort(preferred: number): Promise<number> {
  if (!flag('--free-ports') && (await portFree(preferred))) return preferred;
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const children: ChildProcess[] = [];
/** Run as dist/demo.js (`npm run build`), the demo starts the bundles beside it, else the sources. */
const bundled = path.basename(import.meta.dirname) === 'dist';

function run(name: string, entry: string, bundle: string, env: Record<string, string>): ChildProcess {
  const log = fs.openSync(path.join(dir, `${name}.log`), 'a');
  const program = bundled
    ? [path.join(import.meta.dirname, bundle)]
    : ['--import', 'tsx', path.join(root, entry)];
  const child = spawn(process.execPath, program, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
  child.once('exit', (code) => {
    if (!stopping) fail(`${name} exited (${code}); see ${path.join(dir, `${name}.log`)}`);
  });
  children.push(child);
  return child;
}

/** How long each step may take: generous, for a first start on a busy machine. */
const WAIT_MS = 120_000;

async function until<T>(what: string, ms: number, probe: () => Promise<T | null | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let stopping = false;
function stopAll(code: number): void {
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(
    () => process.exit(code),
    () => process.exit(code),
  );
}

function fail(message: string): never {
  console.error(`demo: ${message}`);
  stopAll(1);
  throw new Error(message);
}

async function main() {
  fs.mkdirSync(dir, { recursive: true });
  const s = secrets();
  const [centralPort, ...streamerPorts] = [await pickPort(9019), await pickPort(8081), await pickPort(8082)];
  const central = `http://127.0.0.1:${centralPort}`;
  const headers = { authorization: `Bearer ${s.apiKey}`, 'content-type': 'application/json' };
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${central}/central/api/v3${p}`, {
      method,
      headers,
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };

  console.log(`demo: starting Central on ${central} and two streamers (logs in ${dir})`);
  run('central', 'server/src/main.ts', 'central.js', {
    CENTRAL_CONFIG: '/dev/null',
    CENTRAL_DIR: path.join(dir, 'central'),
    API_KEY: s.apiKey,
    API_URL: central,
    EDIT_AUTH: `admin ${s.password}`,
    HTTP_PORT: String(centralPort),
    STREAMER_DEAD_TIMEOUT: '10s',
  });
  const streamers = streamerPorts.map((port, i) => {
    const hostname = `demo-streamer-${i + 1}`;
    run(hostname, 'streamer/src/main.ts', 'streamer.js', {
      STREAMER_CONFIG: '/dev/null',
      STREAMER_HOSTNAME: hostname,
      STREAMER_HTTP: String(port),
      STREAMER_CLUSTER_KEY: s.clusterKey,
      STREAMER_EDIT_AUTH: `admin:${s.password}`,
      STREAMER_DIR: path.join(dir, hostname),
    });
    return { hostname, url: `http://127.0.0.1:${port}` };
  });
  await until(
    'Central to start',
    WAIT_MS,
    async () => (await fetch(`${central}/central/api/v3/monitoring/liveness`)).ok,
  );
  for (const st of streamers) {
    await until(
      `${st.hostname} to start`,
      WAIT_MS,
      async () => (await fetch(`${st.url}/streamer/api/v3/monitoring/liveness`)).ok,
    );
    await api('PUT', `/streamers/${st.hostname}`, { api_url: st.url, cluster_key: s.clusterKey });
  }
  // Streams placed before both streamers are seen online would all land on the first one.
  for (const st of streamers)
    await until(`${st.hostname} to be online`, WAIT_MS, async () => {
      const r = (await api('GET', `/streamers/${st.hostname}`)) as { status?: { state?: string } };
      return r.status?.state === 'online';
    });
  for (const st of STREAMS)
    await api('PUT', `/streams/${st.name}`, { title: st.title, inputs: [{ url: st.url }] });

  console.log('demo: waiting for both streams to play…');
  for (const st of STREAMS) {
    const urls = await until(`${st.name} to play`, WAIT_MS, async () => {
      const p = (await api('GET', `/streams/${st.name}/playback`)) as { urls?: Record<string, string> };
      const hls = p.urls?.hls;
      if (!hls) return null;
      const list = await fetch(hls);
      return list.ok && (await list.text()).includes('.ts') ? p.urls : null;
    });
    console.log(`\n  ${st.name} (${st.title})`);
    for (const k of ['hls', 'embed', 'mpegts', 'preview'])
      if (urls[k]) console.log(`    ${k.padEnd(8)} ${urls[k]}`);
  }
  console.log(`
  Central API   ${central}/central/api/v3   (Authorization: Bearer ${s.apiKey})
  Admin UI      ${central}/   (sign in as admin / ${s.password})
  Try:          curl -s -H 'Authorization: Bearer ${s.apiKey}' ${central}/central/api/v3/streams | head -c 600
  Credentials are kept in ${path.join(dir, 'credentials.json')}.`);
  if (flag('--once')) return stopAll(0);
  console.log('\nPress Ctrl-C to stop.');
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));
}

main().catch((e: Error) => {
  if (!stopping) {
    console.error(`demo: ${e.message}`);
    stopAll(1);
  }
});
