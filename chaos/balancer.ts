// The load balancer in front of the Central processes, as an operator would run haproxy: it checks
// each backend's readiness every 300 ms (1 s deadline) and sends requests to the ready ones in turn.
// A refused connection goes to the next backend (nothing was sent, so retrying is safe for any method);
// a backend that accepts and then hangs (SIGSTOP) costs that request its deadline, like a real one.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const CHECK_EVERY_MS = 300;
const CHECK_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 20_000;
const READINESS = '/central/api/v3/monitoring/readiness';

/** Whether the Central process on `port` answers its readiness probe with 200 within `timeoutMs`. */
export async function isReady(port: number, timeoutMs = CHECK_TIMEOUT_MS): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${READINESS}`, { signal: AbortSignal.timeout(timeoutMs) });
    await r.body?.cancel();
    return r.ok;
  } catch {
    return false;
  }
}

interface Backend {
  port: number;
  ready: boolean;
}

export class Balancer {
  private server: http.Server | null = null;
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private readonly agent = new http.Agent({ keepAlive: false });
  readonly backends: Backend[];

  constructor(ports: number[]) {
    this.backends = ports.map((port) => ({ port, ready: false }));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(port = 0): Promise<void> {
    const server = http.createServer((req, res) => void this.forward(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    const check = () => {
      for (const b of this.backends) void isReady(b.port).then((ok) => (b.ready = ok));
      this.timer = setTimeout(check, CHECK_EVERY_MS);
    };
    check();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.agent.destroy();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Ready backends first, starting from the next in turn; then the others (a 503 beats no answer). */
  private order(): Backend[] {
    const n = this.backends.length;
    const start = this.next++ % n;
    const turn = this.backends.map((_, i) => this.backends[(start + i) % n]!);
    return [...turn.filter((b) => b.ready), ...turn.filter((b) => !b.ready)];
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    for (const b of this.order()) {
      const outcome = await this.tryBackend(b, req, body, res);
      if (outcome !== 'refused') return;
    }
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ errors: [{ status: '502', code: 'bad_gateway', title: 'no backend answered' }] }),
    );
  }

  private tryBackend(
    b: Backend,
    req: http.IncomingMessage,
    body: Buffer,
    res: http.ServerResponse,
  ): Promise<'done' | 'refused'> {
    return new Promise((resolve) => {
      const out = http.request(
        {
          host: '127.0.0.1',
          port: b.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, connection: 'close' },
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', () => resolve('done'));
          answer.on('error', () => (res.destroy(), resolve('done')));
        },
      );
      out.on('timeout', () => out.destroy(new Error('timeout')));
      out.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ECONNREFUSED') return resolve('refused');
        if (!res.headersSent) {
          res.writeHead(504, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ status: '504', code: 'gateway_timeout', title: e.message }] }));
        } else res.destroy();
        resolve('done');
      });
      out.end(body);
    });
  }
}
