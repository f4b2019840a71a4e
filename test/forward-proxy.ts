// A real forward proxy for the tests (the `proxy` npm package, as a corporate HTTP proxy would behave), with
// its own log of what it was asked: the proof of which connections went through it and what it saw.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createProxy, type ProxyServer } from 'proxy';

export interface ProxyLogEntry {
  method: string;
  /** host:port for CONNECT, the absolute URL for a forwarded request. */
  target: string;
  headers: IncomingMessage['headers'];
}

export class ForwardProxy {
  readonly log: ProxyLogEntry[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: ProxyServer) {}

  /** Starts on a free loopback port; with `refuse`, it answers every request 407 (Proxy Authentication Required). */
  static async start(options: { refuse?: boolean } = {}): Promise<ForwardProxy> {
    const server = createProxy(createServer());
    const proxy = new ForwardProxy(server);
    const record = (req: IncomingMessage) => proxy.log.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers });
    server.authenticate = (req) => {
      record(req);
      return !options.refuse;
    };
    server.on('connection', (socket: Socket) => {
      proxy.sockets.add(socket);
      socket.once('close', () => proxy.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The CONNECT targets (host:port), in order. */
  connects(): string[] {
    return this.log.filter((e) => e.method === 'CONNECT').map((e) => e.target);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
