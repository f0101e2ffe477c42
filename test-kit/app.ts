// An in-process Central (never listening) on a fresh database, with a clock the test drives.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppDeps } from '../server/src/app.ts';
import type { Config } from '../server/src/config.ts';
import { FLEET_DEFAULTS } from '../server/src/config-fleet.ts';
import { migrate, type Db } from '../server/src/db/index.ts';
import type { Backend } from './backends.ts';

/**
 * Empties every table the API and the loops write (the migrations' own bookkeeping stays). DELETE,
 * not TRUNCATE: on the embedded database a TRUNCATE of these tables cost 25 ms of CPU (new files for
 * each table and index), a DELETE of their few rows 0.3 ms, and suites reset before every test.
 */
export const RESET_SQL = [
  'stream_layout_history',
  'stream_layouts',
  'stream_status',
  'streamer_status',
  'streamer_pulls',
  'streamer_stats_history',
  'central_leases',
  'streams',
  'streamers',
]
  .map((table) => `DELETE FROM ${table};`)
  .join(' ');

export const TEST_API_KEY = 'test-api-key-0123456789';
export const TEST_EDIT_AUTH = { login: 'admin', password: 'admin' };

export class ManualClock {
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  now() {
    return this.t;
  }
  advance(ms: number) {
    this.t += ms;
  }
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    configFile: null,
    databaseUrl: null,
    databaseMaxConnections: null,
    apiKey: TEST_API_KEY,
    apiUrl: null,
    editAuth: TEST_EDIT_AUTH,
    httpPort: 9019,
    https: null,
    logLevel: 'silent',
    logLevelName: 'none',
    logRequests: false,
    metricsAuth: 'api_key',
    centralDir: '/tmp/central-test',
    provisionEnabled: true,
    webDir: null,
    trustProxy: [],
    fleet: FLEET_DEFAULTS,
    ...overrides,
  };
}

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  clock: ManualClock;
  /** An authenticated JSON request (Bearer API key), as the Go SDK sends it. */
  call(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** `deps`: extra app dependencies, e.g. a Metrics or a logger the test reads. */
export async function startTestApp(
  backend: Backend,
  overrides: Partial<Config> = {},
  deps: Pick<AppDeps, 'metrics' | 'logger'> = {},
): Promise<TestApp> {
  const db = await backend.open();
  await migrate(db);
  const clock = new ManualClock();
  const config = testConfig(overrides);
  const info = {
    serverId: '00000000-0000-4000-8000-000000000001',
    instanceId: '00000000-0000-4000-8000-000000000002',
    startedAt: clock.now(),
  };
  const app = buildApp({ config, db, clock, apiKey: config.apiKey ?? TEST_API_KEY, info, ...deps });
  await app.ready();
  return {
    app,
    db,
    clock,
    call(method, url, body, headers = {}) {
      return app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
    },
    async reset() {
      await db.exec(RESET_SQL);
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}
