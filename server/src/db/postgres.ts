// PostgreSQL through node-postgres, with libpq's sslmode semantics (pg treats prefer/require as
// verify-full and never falls back to plaintext) and percent-decoded credentials.
import fs from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import type { Db, Queryable, Row } from './types.ts';
import { DatabaseError } from './types.ts';

type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/** int8 (count(*), bigint ms timestamps) as numbers, like PGlite; our values stay below 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

export function pgConfigFromUrl(url: string, env: Record<string, string | undefined> = process.env) {
  const u = new URL(url);
  const q = u.searchParams;
  const sslmode = (q.get('sslmode') ?? env.PGSSLMODE ?? 'prefer') as SslMode;
  const read = (p: string | null | undefined) => (p && p !== 'system' ? fs.readFileSync(p) : undefined);
  const ca = read(q.get('sslrootcert') ?? env.PGSSLROOTCERT);
  const cert = read(q.get('sslcert'));
  const key = read(q.get('sslkey'));
  const options = [q.get('options'), q.get('search_path') ? `-c search_path=${q.get('search_path')}` : null]
    .filter(Boolean)
    .join(' ');
  const config: pg.PoolConfig = {
    host: q.get('host') ?? (decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')) || 'localhost'),
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || env.PGUSER || undefined,
    password: u.password ? decodeURIComponent(u.password) : env.PGPASSWORD,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined,
    application_name: q.get('application_name') ?? 'central',
    connectionTimeoutMillis: q.get('connect_timeout') ? Number(q.get('connect_timeout')) * 1000 : 10_000,
    options: options || undefined,
    types,
  };
  switch (sslmode) {
    case 'disable':
      config.ssl = false;
      break;
    case 'allow':
    case 'prefer':
    case 'require':
      // libpq: encrypt, verify only when a root certificate is given.
      config.ssl = ca
        ? { ca, cert, key, checkServerIdentity: () => undefined }
        : { rejectUnauthorized: false, cert, key };
      break;
    case 'verify-ca':
      config.ssl = { ca, cert, key, checkServerIdentity: () => undefined };
      break;
    case 'verify-full':
      config.ssl = { ca, cert, key, rejectUnauthorized: true };
      break;
    default:
      throw new DatabaseError(`DATABASE_URL: unknown sslmode ${String(sslmode)}`);
  }
  return { config, sslmode, fallbackToPlain: sslmode === 'prefer' || sslmode === 'allow' };
}

/** A readable reason for a failed connection, without the password. */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code && !e.message?.includes(e.code) ? `${e.message} (${e.code})` : String(e.message ?? err);
}

const FATAL_CODES = new Set(['28P01', '28000', '3D000', 'ENOTFOUND']);

async function probe(config: pg.PoolConfig): Promise<void> {
  const client = new pg.Client(config);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Bounds on what one session may hold, so that a stalled or paused Central process cannot block the
 * others: a lock waited for longer than lock_timeout fails (the caller retries), a statement is cut
 * after statement_timeout, and a transaction left idle (its process stopped mid-way) is ended by the
 * server after idle_in_transaction_session_timeout, releasing its locks. Migrations lift the first two
 * for their own transaction (db/migrate.ts).
 */
export const SESSION_LIMITS = {
  lock_timeout: 5000,
  statement_timeout: 30_000,
  idle_in_transaction_session_timeout: 5000,
} as const;

/**
 * Connections per Central process: 2 x cores + 2 (PostgreSQL's usual sizing rule). More backends than
 * that only contend for the CPU: on 2 cores 6 connections gave 4,400 PUT/s at p99 20 ms where 20 gave
 * 3,300 at 31 ms (npm run bench).
 */
export function defaultPoolSize(): number {
  return Math.max(4, os.availableParallelism() * 2 + 2);
}

export interface PostgresOptions {
  maxConnections?: number;
  retries?: number;
  retryDelayMs?: number;
  log?: (msg: string) => void;
}

const LISTEN_RETRY_MS = 1000;
const LISTEN_MAX_RETRY_MS = 30_000;

/** Connects (retrying while the server is starting), decides TLS once, and returns a pooled Db. */
export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<Db> {
  const { config, fallbackToPlain } = pgConfigFromUrl(url);
  let chosen = config;
  const retries = opts.retries ?? 20;
  for (let attempt = 0; ; attempt++) {
    try {
      await probe(chosen);
      break;
    } catch (err) {
      const msg = describe(err);
      if (fallbackToPlain && chosen.ssl && /does not support SSL/i.test(msg)) {
        chosen = { ...config, ssl: false };
        continue;
      }
      const code = (err as { code?: string }).code ?? '';
      if (FATAL_CODES.has(code) || attempt >= retries || /SSL|certificate/i.test(msg))
        throw new DatabaseError(`cannot connect to PostgreSQL at ${config.host}:${config.port}: ${msg}`);
      opts.log?.(`PostgreSQL not reachable yet (${msg}); retrying`);
      await new Promise((r) => setTimeout(r, opts.retryDelayMs ?? 1000));
    }
  }
  const pool = new pg.Pool({ ...chosen, ...SESSION_LIMITS, max: opts.maxConnections ?? defaultPoolSize() });
  pool.on('error', (err) => opts.log?.(`idle PostgreSQL connection failed: ${describe(err)}`));
  const wrap = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T extends Row>(text: string, params?: unknown[], name?: string) {
      const r = await c.query(name ? { name, text, values: params } : { text, values: params });
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
    async exec(text: string) {
      await c.query(text);
    },
  });
  const server = await pool.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v");
  if (server.rows[0]!.v < 140000) {
    await pool.end();
    throw new DatabaseError(`PostgreSQL 14 or newer is required, the server is ${server.rows[0]!.v}`);
  }
  return {
    kind: 'postgres',
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      // A checked-out client has no listener of the pool's: a connection dropped mid-transaction (a
      // server restart, pg_terminate_backend, idle_in_transaction_session_timeout) would be an
      // unhandled 'error' event and end the process. It fails this transaction instead.
      let broken: Error | null = null;
      const onError = (err: Error) => {
        broken = err;
        opts.log?.(`PostgreSQL connection failed in a transaction: ${describe(err)}`);
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (!broken) await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.off('error', onError);
        // A broken connection is discarded, never handed to the next transaction.
        client.release(broken ?? undefined);
      }
    },
    listen: (channel, fn) => listenOn(chosen, channel, fn, opts.log),
    close: () => pool.end(),
  };
}

/**
 * One dedicated connection per channel, reopened after a failure with back-off (1 s doubling to 30 s,
 * back to 1 s once it works); notifications meanwhile are lost, and the loops' polling covers them.
 */
async function listenOn(
  config: pg.ClientConfig,
  channel: string,
  fn: (payload: string) => void,
  log?: (msg: string) => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let delayMs = LISTEN_RETRY_MS;
  // One reconnect per failure, however many ways (an error event, a failed query) it showed up.
  const retry = (c: pg.Client) => {
    if (c !== client && client !== null) return;
    client = null;
    c.end().catch(() => {});
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect().catch(() => {});
    }, delayMs);
    delayMs = Math.min(delayMs * 2, LISTEN_MAX_RETRY_MS);
  };
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ ...config, keepAlive: true });
    client = c;
    c.on('notification', (m) => {
      if (m.channel === channel) fn(m.payload ?? '');
    });
    c.on('error', (err) => {
      log?.(`LISTEN ${channel} connection failed: ${describe(err)}; reconnecting`);
      retry(c);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      delayMs = LISTEN_RETRY_MS;
      if (closed) await c.end();
    } catch (err) {
      retry(c);
      throw err;
    }
  };
  // A first failure is retried like any other: the caller still gets the way to stop listening.
  await connect().catch((err) => log?.(`LISTEN ${channel} failed: ${describe(err)}; retrying`));
  return async () => {
    closed = true;
    clearTimeout(timer);
    await client?.end().catch(() => {});
  };
}
