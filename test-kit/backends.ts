// Every database-backed suite runs twice: on embedded PGlite and on a real PostgreSQL server.
// The test runner (scripts/test.ts) starts one server for the whole run and passes its superuser URL
// in CENTRAL_TEST_PG_URL; a test file run on its own starts its own server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pgliteDb } from '../server/src/db/pglite.ts';
import { openPostgres } from '../server/src/db/postgres.ts';
import type { Db } from '../server/src/db/types.ts';
import { attachPostgres, findPgBin, startPostgres, type PgServer } from './postgres.ts';

export interface Backend {
  name: 'pglite' | 'postgres';
  /** Opens a fresh, empty database. */
  open(): Promise<Db>;
}

let server: Promise<PgServer | null> | null = null;

/** The PostgreSQL server for this process, or null when none can run here (outside CI). */
export function testPostgres(): Promise<PgServer | null> {
  server ??= (async () => {
    if (process.env.CENTRAL_TEST_PG_URL) return attachPostgres(process.env.CENTRAL_TEST_PG_URL);
    if (findPgBin()) {
      const s = await startPostgres();
      process.once('beforeExit', () => void s.stop());
      return s;
    }
    if (process.env.CI === 'true')
      throw new Error('CI=true but PostgreSQL (initdb, pg_ctl) is not installed');
    console.log('# notice: PostgreSQL is not installed here; the PostgreSQL half of the suite is skipped');
    return null;
  })();
  return server;
}

const temporary: string[] = [];
process.once('exit', () => {
  for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new temporary folder, removed when the test process exits. */
export function tempDir(prefix = 'central-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/**
 * Makes `dir` an embedded database as a first start leaves it (before migrations), closed, plus the
 * same database as one archive (`pglite.tar`) that in-process tests load into memory.
 */
export async function makePgliteTemplate(dir: string): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  // Central makes the folder its owner's alone (openPglite); a copy keeps the mode.
  fs.mkdirSync(path.join(dir, 'pglite'), { recursive: true, mode: 0o700 });
  const pg = await PGlite.create(path.join(dir, 'pglite'));
  const dump = await pg.dumpDataDir('none');
  await pg.close();
  fs.writeFileSync(path.join(dir, 'pglite.tar'), Buffer.from(await dump.arrayBuffer()));
}

let template: Promise<string> | null = null;

/**
 * A PGlite data folder after its initdb, made once per run (by scripts/test.ts,
 * CENTRAL_TEST_PGLITE_TEMPLATE) or once per process: a copy opens in a fraction of a fresh initdb's
 * seconds, and is the same empty, unmigrated database.
 */
function pgliteTemplate(): Promise<string> {
  template ??= (async () => {
    const fromRun = process.env.CENTRAL_TEST_PGLITE_TEMPLATE;
    if (fromRun && fs.existsSync(path.join(fromRun, 'pglite.tar'))) return fromRun;
    const dir = tempDir('central-pglite-template-');
    await makePgliteTemplate(dir);
    return dir;
  })();
  return template;
}

/** A fresh CENTRAL_DIR holding an empty embedded database (a copy of the template). */
export async function embeddedDir(): Promise<string> {
  const dir = tempDir();
  fs.cpSync(path.join(await pgliteTemplate(), 'pglite'), path.join(dir, 'pglite'), { recursive: true });
  return dir;
}

let archive: Promise<Blob> | null = null;

/**
 * In-process tests get an embedded database in memory, loaded from the template's archive: the same
 * engine and the same empty database, without the thousand files a data folder costs to copy,
 * open and delete.
 */
export const pgliteBackend: Backend = {
  name: 'pglite',
  async open() {
    archive ??= pgliteTemplate().then(
      async (dir) => new Blob([await fs.promises.readFile(path.join(dir, 'pglite.tar'))]),
    );
    const { PGlite } = await import('@electric-sql/pglite');
    return pgliteDb(await PGlite.create({ loadDataDir: await archive }));
  },
};

export async function postgresBackend(): Promise<Backend | null> {
  const pg = await testPostgres();
  if (!pg) return null;
  return { name: 'postgres', open: async () => openPostgres(await pg.createDatabase(), { retries: 0 }) };
}

export async function testBackends(): Promise<Backend[]> {
  const pg = await postgresBackend();
  return pg ? [pgliteBackend, pg] : [pgliteBackend];
}

/**
 * The databases a real Central process runs on in end-to-end tests, as environment variables: the
 * embedded one, and PostgreSQL (`env()` is null where PostgreSQL is not installed).
 */
export function processBackends(dbPrefix: string) {
  return [
    {
      name: 'pglite',
      env: async (): Promise<Record<string, string> | null> => ({ CENTRAL_DIR: await embeddedDir() }),
    },
    {
      name: 'postgres',
      env: async (): Promise<Record<string, string> | null> => {
        const pg = await testPostgres();
        return pg ? { CENTRAL_DIR: tempDir(), DATABASE_URL: await pg.createDatabase(dbPrefix) } : null;
      },
    },
  ];
}
