// A counting relay in front of moto: a server's AWS_ENDPOINT_URL_STS points here, so every STS call it makes
// (AssumeRole at start, any refresh later) is counted by action before it is passed on unchanged.
import { createServer, request as httpRequest, type Server } from 'node:http';

export class StsRelay {
  readonly counts: Record<string, number> = {};
  private server?: Server;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'))?.[1]
          ?? /Action=([A-Za-z]+)/.exec(req.url ?? '')?.[1]
          ?? String(req.headers['x-amz-target'] ?? 'unknown').split('.').pop()!;
        this.counts[action] = (this.counts[action] ?? 0) + 1;
        const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        out.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
        out.end(body);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  get assumeRole(): number {
    return this.counts['AssumeRole'] ?? 0;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
