// Starts a throw-away PostgreSQL server for tests and benchmarks: initdb + pg_ctl in a temp dir on a
// free loopback port, TLS on with a self-signed certificate (so sslmode behaviour is testable),
// scram passwords for TCP. As root (CI), the server runs as the `postgres` user via runuser.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { selfSignedCert } from './tls.ts';

const execFileAsync = promisify(execFile);

const PG_BIN_DIRS = [
  '/usr/lib/postgresql/17/bin',
  '/usr/lib/postgresql/16/bin',
  '/usr/lib/postgresql/15/bin',
  '/usr/lib/postgresql/14/bin',
];

export function findPgBin(): string | null {
  const fromEnv = process.env.PG_BIN;
  for (const dir of [fromEnv, ...PG_BIN_DIRS]) if (dir && fs.existsSync(path.join(dir, 'initdb'))) return dir;
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return which.status === 0 ? path.dirname(which.stdout.trim()) : null;
}

/**
 * A free port for a server a test starts, below the kernel's ephemeral range (32768 and up): a port
 * taken from that range can be given to some outgoing connection before the server binds it (many
 * run at once, busy machines make the gap long), and then the server cannot start.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

export interface PgServer {
  port: number;
  host: string;
  /** Superuser URL (sslmode=disable) for administration. */
  adminUrl: string;
  /** The server's self-signed certificate (also its own CA), for verify-ca/verify-full. */
  certFile: string;
  version: number;
  /** Creates an empty database and returns a URL for it (as the superuser, sslmode=disable). */
  createDatabase(prefix?: string): Promise<string>;
  /** Runs SQL as the superuser on the `postgres` database. */
  admin(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
  /** `pg_ctl restart -m immediate` (a crash and a restart), for a server this process started. */
  restart?(): Promise<void>;
  /** SIGSTOP (pause) or SIGCONT (resume) of the server and all its processes, for a server this process started. */
  signal?(sig: 'SIGSTOP' | 'SIGCONT'): void;
}

export interface PgServerOptions {
  /** fsync and synchronous_commit stay on (benchmarks); tests turn them off for speed. */
  durable?: boolean;
  /** TLS on (default) or off (to test sslmode=prefer falling back to plaintext). */
  ssl?: boolean;
}

export async function startPostgres(opts: PgServerOptions = {}): Promise<PgServer> {
  const bin = findPgBin();
  if (!bin)
    throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql');
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'central-pg-'));
  // A server program run as the server's owner: `postgres` when we are root.
  const asOwner = (cmd: string, args: string[]): [string, string[]] =>
    asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]]
      : [path.join(bin, cmd), args];
  const run = (cmd: string, args: string[]) => execFileSync(...asOwner(cmd, args), { stdio: 'pipe' });
  // initdb and the start take seconds: asynchronous, so that the test runner's other set-up goes on.
  const runAsync = (cmd: string, args: string[]) => execFileAsync(...asOwner(cmd, args));
  const password = randomBytes(12).toString('hex');
  const data = path.join(dir, 'data');
  fs.writeFileSync(path.join(dir, 'pw'), password);
  selfSignedCert(dir, 'server');
  fs.chmodSync(path.join(dir, 'server.key'), 0o600);
  fs.chmodSync(dir, 0o755);
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  await runAsync('initdb', [
    '-D',
    data,
    '-U',
    'central_admin',
    `--pwfile=${path.join(dir, 'pw')}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--no-locale',
    '--no-instructions',
  ]);
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    `-c ssl=${opts.ssl === false ? 'off' : 'on'}`,
    `-c ssl_cert_file=${path.join(dir, 'server.crt')}`,
    `-c ssl_key_file=${path.join(dir, 'server.key')}`,
    '-c max_connections=300',
    '-c shared_buffers=128MB',
    ...(opts.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
  ];
  // Without a log file the server would keep pg_ctl's output pipe, and the call, open.
  const pgCtl = (action: 'start' | 'restart', extra: string[] = []) => [
    '-D',
    data,
    ...extra,
    '-o',
    settings.join(' '),
    '-l',
    path.join(dir, 'log'),
    '-w',
    '-t',
    '60',
    action,
  ];
  await runAsync('pg_ctl', pgCtl('start'));
  const adminUrl = `postgres://central_admin:${password}@127.0.0.1:${port}/postgres?sslmode=disable`;
  let stopped = false;
  const stopServer = (wait: boolean) => {
    if (stopped) return;
    stopped = true;
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', ...(wait ? ['-w'] : []), 'stop']);
    } catch {
      /* already stopped */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => stopServer(false));
  const attached = await attachPostgres(adminUrl, path.join(dir, 'server.crt'), async () => stopServer(true));
  // Asynchronous, so that the caller's event loop (a balancer, an observer) keeps running meanwhile.
  const restart = async () => {
    await execFileAsync(...asOwner('pg_ctl', pgCtl('restart', ['-m', 'immediate'])));
  };
  const signal = (sig: 'SIGSTOP' | 'SIGCONT') => {
    const postmaster = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    for (const pid of [postmaster, ...childrenOf(postmaster)])
      try {
        process.kill(pid, sig);
      } catch {
        /* a backend that just ended */
      }
  };
  return { ...attached, restart, signal };
}

/** Process ids whose parent is `pid`, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

/**
 * A client for a running server given by its superuser URL: the test runner shares one server with
 * every test file this way. `stopServer` runs after the admin pool is closed (for a server we started).
 */
export async function attachPostgres(
  adminUrl: string,
  certFile = process.env.CENTRAL_TEST_PG_CERT ?? '',
  stopServer: () => Promise<void> = async () => {},
): Promise<PgServer> {
  const u = new URL(adminUrl);
  const adminPool = new pg.Pool({
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: 'postgres',
    max: 2,
  });
  // Idle connections die with a restarted server (restart()): the pool replaces them.
  adminPool.on('error', () => {});
  const version = Number(
    (await adminPool.query("SELECT current_setting('server_version_num') AS v")).rows[0].v,
  );
  return {
    port: Number(u.port),
    host: u.hostname,
    adminUrl,
    certFile,
    version,
    async createDatabase(prefix = 't') {
      const name = `${prefix}_${randomBytes(6).toString('hex')}`;
      await adminPool.query(`CREATE DATABASE ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    admin: (sql, params) => adminPool.query(sql, params as unknown[]),
    async stop() {
      await adminPool.end().catch(() => {});
      await stopServer();
    },
  };
}
