// A fault-injecting HTTP(S) proxy of our own, placed between the server and the API server (or STS):
// it answers with chosen statuses, resets connections, delays, or stops listening altogether.
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: number }
  | { kind: 'reset' } // the connection is cut before any answer
  | { kind: 'reset-after-forward' } // the request reaches the target, the answer is cut
  | { kind: 'delay'; ms: number };

export class FaultProxy {
  /** Requests that arrived, faulted or not. */
  received = 0;
  /** Requests passed on to the target. */
  forwarded = 0;
  private faults: Fault[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server;

  private constructor(private readonly target: URL, private readonly ca: Buffer | undefined, private readonly tls: { cert: Buffer; key: Buffer } | undefined, public port = 0) {
    this.server = this.create();
  }

  static async start(target: string, options: { caFile?: string; tls?: { cert: string; key: string } } = {}): Promise<FaultProxy> {
    const proxy = new FaultProxy(new URL(target), options.caFile ? readFileSync(options.caFile) : undefined,
      options.tls ? { cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) } : undefined);
    await proxy.up();
    return proxy;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** The next requests get these faults, in order. */
  inject(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  /** Stops listening and cuts every open connection: the target looks dead. */
  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server = this.create();
  }

  /** Listens again, on the same port once it had one. */
  async up(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.port = (this.server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    await this.down();
  }

  private create(): Server {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const server = this.tls ? createHttpsServer({ ...this.tls }, handler) : createHttpServer(handler);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.received += 1;
    const fault = this.faults.shift();
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}) });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'InjectedFault', message: `injected ${fault.status}`, code: fault.status }));
      return;
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    this.forwarded += 1;
    const send = this.target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(new URL(req.url ?? '/', this.target), {
      method: req.method,
      headers: req.headers, // Host unchanged: SigV4 signs it (STS), and the API server ignores it
      ...(this.ca ? { ca: this.ca } : {}),
    }, (answer) => {
      if (fault?.kind === 'reset-after-forward') {
        answer.resume();
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  }
}
