// HTTP plumbing of the fake streamer: JSON replies, request bodies, PUT /config validation and
// GET /streams paging. Kept apart from the state machine in test-streamer.ts.
import type http from 'node:http';
import { errorBody, type Reply } from '../streamer/src/api/list.ts';

export { listStreams, parseConfigPut, type Json, type Reply } from '../streamer/src/api/list.ts';

const MAX_BODY = 1024 * 1024;

/** A request listener that turns `route`'s Reply (or its exception) into a JSON answer. */
export function jsonHandler(route: (req: http.IncomingMessage) => Promise<Reply>): http.RequestListener {
  return (req, res) =>
    void route(req)
      .catch((e: Error): Reply => [500, errorBody(500, 'internal_error', e.message)])
      .then(([status, body]) => {
        if (body === undefined) return void res.writeHead(status).end();
        const text = JSON.stringify(body);
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      })
      .catch(() => res.destroy());
}

/** The parsed JSON body, or undefined when it is not JSON. */
export async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString());
  } catch {
    return undefined;
  }
}
