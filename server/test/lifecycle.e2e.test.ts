// SIGTERM, as `service central stop` and `docker stop` send it: requests already in flight finish (a
// write whose body is still arriving, a held long-poll pull), the process exits 0, and the fleet lease
// is released at once, so a second Central on the same PostgreSQL takes over the fleet loops in well
// under the lease's 10 s expiry.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';
import { TEST_API_KEY } from '../../test-kit/app.ts';
import { tempDir, testPostgres } from '../../test-kit/backends.ts';
import { freePort, startCentral, waitUntil, type RunningCentral } from '../../test-kit/fleet.ts';
import { patient } from '../../test-kit/patience.ts';

const LEADS = /this process leads the fleet loops/;
const AUTH = `Bearer ${TEST_API_KEY}`;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request whose body is sent by the caller (`write`, `end`), so that it is in flight for sure. */
function slowRequest(port: number, method: string, path: string, headers: Record<string, string>) {
  const req = http.request({
    host: '127.0.0.1',
    port,
    method,
    path,
    headers: { authorization: AUTH, ...headers },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
  return { req, answer };
}

test('SIGTERM finishes in-flight requests and hands the fleet lease over at once', async (t) => {
  const server = await testPostgres();
  if (!server) return t.skip('PostgreSQL is not installed here');
  const url = await server.createDatabase('lifecycle');
  const env = { CENTRAL_DIR: tempDir(), DATABASE_URL: url };
  const a = await startCentral({ ...env });
  await waitUntil(() => LEADS.test(a.process.output()), 10_000, 'A leads');
  const b: RunningCentral = await startCentral({ ...env, CENTRAL_DIR: tempDir() });
  after(async () => {
    await a.process.stop('SIGKILL');
    await b.process.stop();
  });
  assert.ok(!LEADS.test(b.process.output()), 'B waits while A leads');

  // A streamer for a long-poll pull (never reachable: only its list matters here).
  const dead = await freePort();
  const put = await a.api('PUT', '/streamers/s1', { api_url: `http://127.0.0.1:${dead}`, cluster_key: 'ck' });
  assert.equal(put.status, 200);
  const pulled = await fetch(`${a.url}/central/api/v3/streamers/s1/streams`, {
    headers: { authorization: AUTH },
  });
  const etag = pulled.headers.get('etag')!;
  assert.ok(etag, 'the list has an ETag');

  // In flight when the signal comes: a long-poll pull held by A, and a batch write half sent.
  const poll = slowRequest(a.port, 'GET', '/central/api/v3/streamers/s1/streams?poll_timeout=30', {
    'if-none-match': etag,
  });
  poll.req.end();
  const streams = Array.from({ length: 500 }, (_, i) => ({
    name: `late${i}`,
    inputs: [{ url: 'fake://fake' }],
  }));
  const body = JSON.stringify(streams);
  const write = slowRequest(a.port, 'PUT', '/central/api/v3/streams/batch', {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  });
  write.req.write(body.slice(0, 1000));
  await new Promise((r) => setTimeout(r, 300)); // both are with A now

  const signalled = Date.now();
  const exited = a.process.exited;
  a.process.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  write.req.end(body.slice(1000));

  const written = await write.answer;
  assert.equal(written.status, 204, `the write in flight is answered: ${written.body.slice(0, 300)}`);
  const polled = await poll.answer;
  assert.ok([200, 304].includes(polled.status), `the held pull is answered, not dropped: ${polled.status}`);
  assert.equal(await exited, 0, 'A exits cleanly');
  const exitMs = Date.now() - signalled;
  assert.ok(exitMs < patient(5000), `A took ${exitMs} ms to stop`);

  // Nothing acknowledged is lost: B (same database) has every stream of the write.
  const list = await b.api<{ estimated_count: number }>('GET', '/streams?limit=1');
  assert.equal(list.status, 200);
  assert.equal(list.body.estimated_count, 500);

  // The lease was released, not left to expire: B leads in well under its 10 s lifetime.
  const tookMs = await waitUntil(() => LEADS.test(b.process.output()), 8000, 'B takes over', 50);
  t.diagnostic(`A stopped ${exitMs} ms after SIGTERM; B led ${tookMs} ms after A exited`);
  assert.ok(tookMs < patient(4000), `B took over after ${tookMs} ms`);
});
