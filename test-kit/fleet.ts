// End-to-end helpers: a real Central process on a known port (so that API_URL can point at it), an
// authenticated JSON client for it, and fast fleet intervals for tests.
import { spawnCentral, type CentralProcess } from './central-process.ts';
import { TEST_API_KEY } from './app.ts';
import { patient } from './patience.ts';
import { freePort } from './postgres.ts';

export { freePort };

/** Intervals scaled down so that failover happens in seconds. */
export const FAST_FLEET_ENV = {
  STREAMS_STATS_FETCH_INTERVAL: '500ms',
  STREAMER_DEAD_TIMEOUT: '3s',
  STREAMER_FETCH_TIMEOUT: '1s',
  LAYOUT_HOLD_DOWN: '5s',
  LAYOUTER_SLEEPING_INTERVAL: '2s',
  CONFIG_EXTERNAL_RECONCILIATION_INTERVAL: '2s',
};

export interface RunningCentral {
  port: number;
  url: string;
  process: CentralProcess;
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
}

export async function startCentral(env: Record<string, string>, port?: number): Promise<RunningCentral> {
  const p = port ?? (await freePort());
  const url = `http://127.0.0.1:${p}`;
  const proc = spawnCentral({
    API_KEY: TEST_API_KEY,
    API_URL: url,
    HTTP_PORT: String(p),
    LOG_LEVEL: 'info',
    ...FAST_FLEET_ENV,
    ...env,
  });
  await proc.ready.catch(async (e) => {
    await proc.stop('SIGKILL'); // one that hangs before it is ready is not left behind
    throw e;
  });
  return {
    port: p,
    url,
    process: proc,
    async api<T>(method: string, path: string, body?: unknown) {
      const res = await fetch(`${url}/central/api/v3${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
  };
}

/** Polls until `check` is true; returns the time it took. Fails with `what` after patient(timeoutMs). */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<number> {
  const started = Date.now();
  const limit = patient(timeoutMs);
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > limit) throw new Error(`timed out after ${limit} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
