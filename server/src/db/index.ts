import path from 'node:path';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import type { Db } from './types.ts';

export type { Db, Queryable, Row } from './types.ts';
export { DatabaseError } from './types.ts';
export { migrate } from './migrate.ts';

/** PostgreSQL when a URL is given, otherwise the embedded database in the data directory. */
export function openDatabase(opts: {
  databaseUrl: string | null;
  databaseMaxConnections?: number | null;
  centralDir: string;
  log?: (m: string) => void;
}): Promise<Db> {
  return opts.databaseUrl
    ? openPostgres(opts.databaseUrl, {
        log: opts.log,
        maxConnections: opts.databaseMaxConnections ?? undefined,
      })
    : openPglite(path.resolve(opts.centralDir));
}
