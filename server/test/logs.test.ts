// Logs: the redaction every log line passes through (URL userinfo, secret query values, credential
// fields and headers, errors that quote URLs), and LOG_REQUESTS's one line per request. The secret scan
// of real Central and streamer processes is in logs.e2e.test.ts.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { logRedaction, redactRequestUrl, redactSecrets } from '@central/protocol';
import { pino } from 'pino';
import { pgliteBackend } from '../../test-kit/backends.ts';
import { startTestApp, TEST_API_KEY, type TestApp } from '../../test-kit/app.ts';

const P = '/central/api/v3';

/** A pino logger configured as main.ts does, writing parsed JSON lines into `lines`. */
function capture(level = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) {
        raw.push(l);
        lines.push(JSON.parse(l) as Record<string, unknown>);
      }
      done();
    },
  });
  const logger = pino({ level, base: { svc: 'central' }, ...logRedaction() }, sink);
  return { logger, lines, text: () => raw.join('\n') };
}

describe('redaction', () => {
  test('URLs lose their userinfo and secret query values; other parts stay readable', () => {
    const cases: [string, string][] = [
      [
        'http://KEY123@central:9019/central/api/v3/streamers/s1',
        'http://***@central:9019/central/api/v3/streamers/s1',
      ],
      ['rtsp://admin:s3cr3t@cam:554/live', 'rtsp://***@cam:554/live'],
      ['pulling http://cdn/x.m3u8?token=abc&q=1 failed', 'pulling http://cdn/x.m3u8?token=***&q=1 failed'],
      ['srt://h:9000?passphrase=longsecret&latency=1', 'srt://h:9000?passphrase=***&latency=1'],
      ['http://h/p?a=1&password=pw&api_key=k', 'http://h/p?a=1&password=***&api_key=***'],
      ['Authorization: Bearer abcdef123', 'Authorization: Bearer ***'],
      [`sent Basic ${Buffer.from('admin:pw').toString('base64')}`, 'sent Basic ***'],
      ['Cluster 1700000000:' + 'a'.repeat(40), 'Cluster ***'],
      ['Basic login failed for admin@example.com', 'Basic login failed for admin@example.com'],
      ['http://host/a@b', 'http://host/a@b'],
    ];
    for (const [input, want] of cases) assert.equal(redactSecrets(input), want, input);
  });

  test('request URLs: query values are decoded before redaction; secret parameter names drop the value', () => {
    const encoded = encodeURIComponent('rtsp://u:pw9@cam/live');
    assert.equal(
      redactRequestUrl(`${P}/streams?inputs.url=${encoded}&limit=5`),
      `${P}/streams?inputs.url=rtsp://***@cam/live&limit=5`,
    );
    assert.equal(redactRequestUrl('/x?token=abc&Password=p&flag'), '/x?token=***&Password=***&flag');
    assert.equal(redactRequestUrl('/plain/path'), '/plain/path');
  });

  test('however a call site passes a secret, the written line does not carry it', () => {
    const { logger, text, lines } = capture();
    const url = 'http://SECRETKEY@central:9019/central/api/v3/streamers/s1';
    logger.info({ url }, 'provisioning');
    logger.warn(`config_external is ${url}`);
    logger.info({ stream: { inputs: [{ url: 'rtsp://u:SECRETPW@cam/x' }] } }, 'nested');
    logger.info(
      { password: 'SECRETPW', api_key: 'SECRETKEY', streamer: { cluster_key: 'SECRETCK' } },
      'fields',
    );
    logger.info({
      req: { headers: { authorization: 'Bearer SECRETKEY', cookie: 'central_session=SECRETCOOKIE' } },
    });
    const cause = new Error(`connect ECONNREFUSED for ${url}?token=SECRETTOKEN`);
    logger.error({ err: new Error('provisioning failed', { cause }) }, 'failed');
    logger.error(new Error(`GET rtsp://u:SECRETPW@cam failed`));
    logger.debug('%s then %s', url, 'http://h/?password=SECRETPW');
    for (const secret of ['SECRETKEY', 'SECRETPW', 'SECRETCK', 'SECRETCOOKIE', 'SECRETTOKEN'])
      assert.ok(!text().includes(secret), `${secret} leaked:\n${text()}`);
    assert.equal(lines.length, 8, 'every call wrote its line');
    assert.equal(lines[0]!.url, 'http://***@central:9019/central/api/v3/streamers/s1');
    const err = lines[5]!.err as { message: string; stack: string; cause: { message: string } };
    assert.equal(err.message, 'provisioning failed', 'errors keep their message');
    assert.match(err.cause.message, /ECONNREFUSED for http:\/\/\*\*\*@central/);
  });
});

describe('request logs (LOG_REQUESTS=true)', () => {
  let t: TestApp;
  let log: ReturnType<typeof capture>;
  before(async () => {
    log = capture('info');
    t = await startTestApp(pgliteBackend, { logRequests: true }, { logger: log.logger });
  });
  after(() => t.close());

  test('one line per request: method, route, redacted URL, status, duration; never headers', async () => {
    const encoded = encodeURIComponent('rtsp://user:INPUTPW@cam/live');
    await t.call('GET', `${P}/streams?inputs.url=${encoded}&limit=5`);
    await t.call('GET', `${P}/streams/cam1`, undefined, { cookie: 'central_session=COOKIEVALUE' });
    await t.app.inject({ method: 'GET', url: `${P}/streams`, headers: { authorization: 'Bearer WRONGKEY' } });
    await t.app.inject({ method: 'GET', url: '/nowhere?password=PATHPW&token=QUERYTOKEN' });
    const lines = log.lines.filter((l) => l.msg === 'request');
    assert.equal(lines.length, 4, log.text());
    assert.ok(!log.lines.some((l) => l.msg === 'incoming request'), 'no second line at the start');
    assert.deepEqual(
      lines.map((l) => [l.method, l.route, l.status]),
      [
        ['GET', `${P}/streams`, 200],
        ['GET', `${P}/streams/*`, 404],
        ['GET', `${P}/streams`, 401],
        ['GET', 'unmatched', 404],
      ],
    );
    for (const l of lines) assert.ok(typeof l.duration_ms === 'number' && l.duration_ms >= 0);
    assert.equal(lines[0]!.url, `${P}/streams?inputs.url=rtsp://***@cam/live&limit=5`);
    assert.equal(lines[3]!.url, '/nowhere?password=***&token=***');
    for (const secret of [TEST_API_KEY, 'INPUTPW', 'QUERYTOKEN', 'COOKIEVALUE', 'WRONGKEY', 'PATHPW'])
      assert.ok(!log.text().includes(secret), `${secret} leaked:\n${log.text()}`);
  });
});
