// The ceiling for bench/run.ts: a bare Fastify 5 app (no auth, no validation, logger off) on a pg Pool
// of 20 against its own database, migrated with Central's own migrations by bench/run.ts. Its PUT is
// the very upsert statement Central runs (imported from server/src/db/documents.ts); its list is one
// SELECT. It answers what Central would cost if the HTTP framework and PostgreSQL were all there is.
// Env: DATABASE_URL, PORT.
import Fastify from 'fastify';
import pg from 'pg';
import { upsertSql } from '../server/src/db/documents.ts';
import { defaultPoolSize } from '../server/src/db/postgres.ts';

/** int8 as numbers, as Central does. */
pg.types.setTypeParser(20, (v: string) => Number(v));

const UPSERT = upsertSql('streams', 'name');

const LIST = 'SELECT name, config, updated_at FROM streams ORDER BY name LIMIT 101';

// The same pool size Central uses by default, so that the comparison is of the code, not the pool.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: defaultPoolSize() });
const app = Fastify({ logger: false });

app.put('/central/api/v3/streams/*', async (req) => {
  // The key goes to its column, the rest of the body is the patch: what Central stores, unvalidated.
  const { name, ...patch } = req.body as Record<string, unknown>;
  const key = typeof name === 'string' ? name : (req.params as { '*': string })['*'];
  const r = await pool.query({
    name: 'upsert',
    text: UPSERT,
    values: [key, JSON.stringify(patch), Date.now(), false],
  });
  return r.rows[0];
});

app.get('/central/api/v3/streams', async () => {
  const r = await pool.query({ name: 'list', text: LIST });
  return { streams: r.rows.slice(0, 100) };
});

const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
