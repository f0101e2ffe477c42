// Issue 12: Central refuses at save time the inputs no streamer may run (400 naming the input, nothing
// stored), single and batch; and the always-denied addresses (item 11) that Central and the streamer
// share through protocol/net-rules.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { inputProblem } from '@central/protocol/input-rules';
import { ALWAYS_DENIED, checkAddress, type NetPolicy } from '@central/protocol/net-rules';
import { testBackends } from '../../test-kit/backends.ts';
import { startTestApp, type TestApp } from '../../test-kit/app.ts';

const P = '/central/api/v3';
const allowAll: NetPolicy = { allow: ['0.0.0.0/0', '::/0'], deny: [] };

describe('always-denied addresses (issue 12, item 11)', () => {
  test('cloud metadata services in every IPv4 and IPv6 form, whatever is allowed', () => {
    for (const ip of [
      '100.100.100.200',
      '168.63.129.16',
      '::a9fe:a9fe',
      '::ffff:0:a9fe:a9fe',
      '::ffff:0:169.254.169.254',
      '64:ff9b:1::1',
      '64:ff9b:1:ffff::a9fe:a9fe',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::6464:64c8',
      '64:ff9b::a83f:8110',
      '::ffff:100.100.100.200',
      '::ffff:168.63.129.16',
      '::6464:64c8',
      '2002:a83f:8110::1',
      '169.254.169.254',
      'fd00:ec2::254',
    ])
      assert.match(checkAddress(ip, allowAll) ?? '', /reserved address/, ip);
  });

  test('neighbours of the metadata addresses stay reachable', () => {
    for (const ip of [
      '100.100.100.201',
      '168.63.129.17',
      '64:ff9b::a01:203',
      '64:ff9b:2::1',
      '::1',
      '10.0.0.1',
    ])
      assert.equal(checkAddress(ip, allowAll), null, ip);
    assert.ok(ALWAYS_DENIED.includes('64:ff9b:1::/48'));
  });
});

describe('input rules (pure)', () => {
  test('the streamer refuses schemes only Flussonic runs; Central accepts them', () => {
    assert.match(inputProblem({ url: 'publish://' })?.reason ?? '', /not a supported input scheme/);
    assert.equal(
      inputProblem({ url: 'http://cam/x?mode=live&listen=1' }),
      null,
      'an http query is the server’s',
    );
  });

  test('"#" is refused, so nothing after it escapes the option rules', () => {
    for (const url of [
      'srt://127.0.0.1:19163/x?#&mode=listener',
      'udp://127.0.0.1:19161?#&localaddr=127.0.0.3&localport=19162',
      'udp://127.0.0.1:19161#?localport=19162',
      'rtp://127.0.0.1:5004?x=#&localrtpport=5006',
      'srt://h#:9000?streamid=x',
      'srt://h:9000?x=#!::r=a',
    ])
      assert.match(inputProblem({ url })?.reason ?? '', /"#"/, url);
    assert.equal(inputProblem({ url: 'srt://h:9000?streamid=#!::r=live/cam,m=request' }), null);
    assert.match(
      inputProblem({ url: 'srt://h:9000?streamid=#!::r=a&mode=listener' })?.reason ?? '',
      /mode=listener/,
    );
  });
});

for (const backend of await testBackends()) {
  describe(`stream inputs at save time on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(backend)));
    after(() => t.close());
    beforeEach(() => t.reset());

    const refusals: [string, Record<string, unknown>, string, RegExp][] = [
      ['passwd', { url: 'file:///etc/../etc/passwd' }, '/inputs/0/url', /"\.\."/],
      ['dotdot', { url: 'file://../x' }, '/inputs/0/url', /"\.\."/],
      ['concat', { url: 'concat:/etc/passwd|/etc/hosts' }, '/inputs/0/url', /not a supported input scheme/],
      ['subfile', { url: 'subfile,,start,0,end,0,,:/etc/passwd' }, '/inputs/0/url', /not a supported/],
      ['data', { url: 'data:text/plain;base64,eA==' }, '/inputs/0/url', /not a supported/],
      ['pipe', { url: 'pipe:0' }, '/inputs/0/url', /not a supported/],
      ['tcp-listen', { url: 'tcp://0.0.0.0:9000?listen=1' }, '/inputs/0/url', /not a supported/],
      ['udp-port', { url: 'udp://239.0.0.1:1234?localport=22' }, '/inputs/0/url', /localport/],
      ['srt-listen', { url: 'srt://h:9000?mode=listener' }, '/inputs/0/url', /mode=listener/],
      // ffmpeg reads options from the first "?" to the end: "#" hides nothing, and it reads the first
      // of a repeated option.
      ['srt-hash', { url: 'srt://127.0.0.1:19163/x?#&mode=listener' }, '/inputs/0/url', /"#"/],
      [
        'udp-hash',
        { url: 'udp://127.0.0.1:19161?#&localaddr=127.0.0.3&localport=19162' },
        '/inputs/0/url',
        /"#"/,
      ],
      ['udp-hash-first', { url: 'udp://127.0.0.1:19161#?localport=19162' }, '/inputs/0/url', /"#"/],
      ['http-hash', { url: 'http://h/live.m3u8#x' }, '/inputs/0/url', /"#"/],
      ['file-hash', { url: 'file://clip#1.ts' }, '/inputs/0/url', /"#"/],
      ['srt-twice', { url: 'srt://h:9000?mode=listener&mode=caller' }, '/inputs/0/url', /mode=listener/],
      [
        'srt-streamid-listen',
        { url: 'srt://h:9000?streamid=#!::r=a,m=request&mode=listener' },
        '/inputs/0/url',
        /mode=listener/,
      ],
      ['metadata', { url: 'http://169.254.169.254/latest/meta-data/' }, '/inputs/0/url', /reserved/],
      ['decimal', { url: 'http://2852039166/' }, '/inputs/0/url', /reserved/],
      ['alibaba', { url: 'rtsp://100.100.100.200/x' }, '/inputs/0/url', /reserved/],
      ['crlf-url', { url: 'http://h/x\r\nHost: evil' }, '/inputs/0/url', /control characters/],
      ['ua', { url: 'http://h/x', user_agent: 'a\r\nX: y' }, '/inputs/0/user_agent', /control/],
      [
        'flavor',
        { url: 'http://h/x', headers: { 'Metadata-Flavor': 'Google' } },
        '/inputs/0/headers/Metadata-Flavor',
        /may not be set/,
      ],
      ['hdr-crlf', { url: 'http://h/x', headers: { 'X-A': 'b\nc' } }, '/inputs/0/headers/X-A', /control/],
    ];

    test('PUT /streams/{name}: 400 naming the input, nothing stored', async () => {
      for (const [name, input, pointer, title] of refusals) {
        const res = await t.call('PUT', `${P}/streams/${name}`, { inputs: [input] });
        assert.equal(res.statusCode, 400, name);
        const [err] = res.json().errors;
        assert.equal(err.code, 'invalid_input', name);
        assert.equal(err.source.pointer, pointer, name);
        assert.match(err.title, /^inputs\[0\]\./, name);
        assert.match(err.title, title, name);
        assert.equal((await t.call('GET', `${P}/streams/${name}`)).statusCode, 404, `${name} was not stored`);
      }
    });

    test('an existing stream keeps its inputs when an update is refused', async () => {
      const good = [{ url: 'fake://fake' }];
      assert.equal((await t.call('PUT', `${P}/streams/keep`, { inputs: good })).statusCode, 200);
      const res = await t.call('PUT', `${P}/streams/keep`, {
        inputs: [...good, { url: 'file://../../etc/passwd' }],
      });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errors[0].source.pointer, '/inputs/1/url');
      assert.deepEqual((await t.call('GET', `${P}/streams/keep`)).json().inputs, good);
    });

    test('PUT /streams/batch: the refused item is named, and nothing of the batch is stored', async () => {
      const res = await t.call('PUT', `${P}/streams/batch`, [
        { name: 'b-ok', inputs: [{ url: 'fake://fake' }] },
        { name: 'b-bad', inputs: [{ url: 'udp://239.0.0.1:1' }, { url: 'pipe:0' }] },
      ]);
      assert.equal(res.statusCode, 400);
      const [err] = res.json().errors;
      assert.equal(err.source.pointer, '/1/inputs/1/url');
      assert.match(err.title, /^\[1\]\.inputs\[1\]\.url: /);
      for (const name of ['b-ok', 'b-bad'])
        assert.equal((await t.call('GET', `${P}/streams/${name}`)).statusCode, 404, name);
    });

    test('what some streamer runs is accepted, Flussonic schemes included', async () => {
      const inputs = [
        { url: 'fake://fake' },
        { url: 'file:///srv/media/clip.ts' },
        { url: 'file://clip.ts' },
        { url: 'udp://239.0.0.1:1234' },
        { url: 'udp://1' },
        { url: 'rtsp://u:p@cam.local/live' },
        { url: 'srt://h:9000?mode=caller&streamid=x' },
        // SRT access control (what Flussonic's own SRT URLs carry): the one place a "#" may stand.
        { url: 'srt://h:9000?streamid=#!::r=live/cam,m=request' },
        { url: 'file://clip%231.ts' },
        { url: 'http://cdn/live.m3u8?listen=1&mode=x', headers: { 'X-Token': 'a' }, user_agent: 'UA/1' },
        { url: 'publish://' },
        { url: 'm4s://10.0.0.5:80/s' },
      ];
      const res = await t.call('PUT', `${P}/streams/ok`, { inputs });
      assert.equal(res.statusCode, 200, res.body);
      const batch = await t.call('PUT', `${P}/streams/batch`, [{ name: 'ok2', inputs }]);
      assert.equal(batch.statusCode, 204, batch.body);
    });
  });
}
