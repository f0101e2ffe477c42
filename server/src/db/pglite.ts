// The embedded default: PGlite (PostgreSQL in WebAssembly) in the data directory. PGlite does not lock
// its directory, so we take a pid lock file: a second process must refuse instead of corrupting data.
import fs from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable, Row } from './types.ts';
import { DatabaseError } from './types.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<dir>/central.pid`; a lock left by a dead process is taken over. Returns the release function. */
export function lockDirectory(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'central.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && alive(pid))
        throw new DatabaseError(
          `the embedded database in ${dir} is in use by another Central process (pid ${pid}); ` +
            'stop it, or set DATABASE_URL to share a PostgreSQL server between several Central processes',
        );
      fs.rmSync(file, { force: true });
    }
  }
  throw new DatabaseError(`cannot lock ${file}`);
}

export async function openPglite(dataDir: string): Promise<Db> {
  const release = lockDirectory(dataDir);
  const dbDir = path.join(dataDir, 'pglite');
  try {
    // The database holds cluster keys and input credentials, and PGlite creates its files readable by
    // all (0666 less the umask): the directory is the owner's alone, whatever an older version made.
    fs.mkdirSync(dbDir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dbDir, 0o700);
    const { PGlite } = await import('@electric-sql/pglite');
    return pgliteDb(await PGlite.create(dbDir), release);
  } catch (err) {
    release();
    throw err;
  }
}

/** The Db over an open PGlite; `release` runs once it is closed. */
export function pgliteDb(pg: PGlite, release: () => void = () => {}): Db {
  const wrap = (c: { query: typeof pg.query; exec: typeof pg.exec }): Queryable => ({
    async query<T extends Row>(text: string, params?: unknown[]) {
      const r = await c.query<T>(text, params);
      return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
    },
    async exec(text: string) {
      await c.exec(text);
    },
  });
  return {
    kind: 'pglite',
    ...wrap(pg),
    // PGlite has one connection: its transaction() holds it exclusively, other queries wait.
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    listen: async (channel, fn) => {
      const unlisten = await pg.listen(channel, fn);
      return () => unlisten();
    },
    async close() {
      try {
        await pg.close();
      } finally {
        release();
      }
    },
  };
}
