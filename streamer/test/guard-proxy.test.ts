// The input proxy's CONNECT tunnels (https inputs) end with either side: a server that drops the
// connection ends ffmpeg's side of the tunnel, and closing the proxy (a stream stopped, the streamer
// shutting down) never waits on a tunnel whose client is still there. A hang here once held a whole
// test run (the proxy's close waited forever on a tunnel left half open).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import pino from 'pino';
import { GuardProxy } from '../src/media/guard-proxy.ts';

const OPEN = { allow: [], deny: [] };
const log = pino({ level: 'silent' });
const servers: net.Server[] = [];
after(() => servers.forEach((s) => s.close()));

/** A TCP server on 127.0.0.1 that hands each connection to `onConnection`. */
async function upstream(onConnection: (s: net.Socket) => void): Promise<number> {
  const srv = net.createServer(onConnection);
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as net.AddressInfo).port;
}

/** Opens a CONNECT tunnel through the proxy; resolves with the client socket once it is established. */
async function tunnel(proxy: GuardProxy, port: number): Promise<net.Socket> {
  const ticket = await proxy.ticket();
  const u = new URL(ticket.url);
  const auth = Buffer.from(`${u.username}:${u.password}`).toString('base64');
  const client = net.connect(Number(u.port), '127.0.0.1');
  client.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: x\r\nProxy-Authorization: Basic ${auth}\r\n\r\n`);
  await new Promise<void>((resolve, reject) => {
    client.once('data', (d) =>
      /^HTTP\/1\.1 200/.test(d.toString()) ? resolve() : reject(new Error(d.toString())),
    );
    client.once('error', reject);
  });
  return client;
}

const ended = (s: net.Socket) =>
  new Promise<void>((resolve) => {
    if (s.readableEnded || s.destroyed) return resolve();
    s.once('end', resolve).once('close', resolve);
    s.resume();
  });

test('a server dropping the connection ends the client side of the tunnel', async () => {
  const proxy = new GuardProxy(OPEN, log);
  try {
    const port = await upstream((s) => setImmediate(() => s.destroy()));
    const client = await tunnel(proxy, port);
    await ended(client);
    client.destroy();
  } finally {
    await proxy.close();
  }
});

test('closing the proxy does not wait on a tunnel whose client stays', async () => {
  const proxy = new GuardProxy(OPEN, log);
  const held: net.Socket[] = [];
  const port = await upstream((s) => held.push(s));
  const client = await tunnel(proxy, port);
  client.pause();
  const closed = proxy.close().then(() => 'closed');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((r) => (timer = setTimeout(r, 10_000, 'still waiting after 10 s')));
  assert.equal(await Promise.race([closed, deadline]), 'closed');
  clearTimeout(timer);
  await ended(client);
  held.forEach((s) => s.destroy());
});
