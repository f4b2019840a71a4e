// A counting relay in front of moto: every STS call a party makes (AssumeRole at start, any refresh later) is counted
// by action before it is passed on unchanged. Our server reaches it through AWS_ENDPOINT_URL_STS. The AWS CLI reaches
// it as an HTTPS proxy (HTTPS_PROXY): `aws eks get-token` signs its token for the STS host its client would call, and
// an EKS authenticator accepts only STS's own host names, so the CLI must call sts.REGION.amazonaws.com, which the
// relay answers through the CONNECT tunnel with a certificate from the control plane's CA (AWS_CA_BUNDLE).
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket } from 'node:tls';
import { issueServingCert } from '../../test/cluster/pki.ts';
import type { ClusterInfo } from '../../test/cluster/cluster.ts';

/** A serving certificate for the STS host names the relay answers for as a proxy. */
export interface StsCertificate { cert: string; key: string }

/** STS's host names in the cluster's region (regional and global), certified by the control plane's CA. */
export function stsCertificate(cluster: ClusterInfo): StsCertificate {
  return issueServingCert(dirname(cluster.caFile), 'sts-relay', [`sts.${cluster.region}.amazonaws.com`, 'sts.amazonaws.com']);
}

export class StsRelay {
  readonly counts: Record<string, number> = {};
  private server?: Server;
  url = '';

  constructor(private readonly target: string) {}

  async start(proxyCertificate?: StsCertificate): Promise<this> {
    this.server = createServer((req, res) => this.relay(req, res));
    if (proxyCertificate) {
      const secureContext = createSecureContext({ cert: readFileSync(proxyCertificate.cert), key: readFileSync(proxyCertificate.key) });
      this.server.on('connect', (_req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (head.length) socket.unshift(head);
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        this.server!.emit('connection', new TLSSocket(socket, { isServer: true, secureContext }));
      });
    }
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  private relay(req: IncomingMessage, res: ServerResponse): void {
    const target = new URL(this.target);
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
  }

  get assumeRole(): number {
    return this.counts['AssumeRole'] ?? 0;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
