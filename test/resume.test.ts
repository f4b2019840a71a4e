// Resumable 2025-11-25 streams, end to end: the built server behind a proxy of our own that cuts a tool call's
// connection right after the stream's priming event, before any message of the call reaches the client. The SDK's
// client reconnects with Last-Event-ID and gets what it missed; the API server's audit log shows the call ran once.
// Every request goes to 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { kubectl } from './cluster/cluster.ts';
import { auditMark, connectHttp, eksArgs, hostEnv, requestsUpToMarker, resultText, startHttp, useCluster, type HttpServer } from './helpers.ts';

const cluster = await useCluster();
const USER = 'eks-agent:editor';

interface Seen { method: string; lastEventId?: string; cut: boolean }

/**
 * Forwards everything to the server, except that the next tools/call's event stream is cut: its priming event (an
 * event without data) goes through, and the connection is closed at the first event that carries a message.
 */
class CuttingProxy {
  readonly seen: Seen[] = [];
  private cutNext = false;
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(target: string): Promise<CuttingProxy> {
    let proxy: CuttingProxy | undefined;
    const server = createServer((req, res) => void proxy!.forward(req, res, new URL(target)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new CuttingProxy(server, `http://127.0.0.1:${(server.address() as { port: number }).port}${new URL(target).pathname}`);
    return proxy;
  }

  cutNextCall(): void {
    this.cutNext = true;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async forward(req: IncomingMessage, res: ServerResponse, target: URL): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const cut = this.cutNext && req.method === 'POST' && body.includes('"tools/call"');
    if (cut) this.cutNext = false;
    const lastEventId = req.headers['last-event-id'];
    this.seen.push({ method: req.method!, cut, ...(typeof lastEventId === 'string' ? { lastEventId } : {}) });
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      if (!cut) return void answer.pipe(res);
      res.flushHeaders();
      let written = Promise.resolve();
      let pending = '';
      answer.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        for (let end = pending.indexOf('\n\n'); end !== -1; end = pending.indexOf('\n\n')) {
          const event = pending.slice(0, end + 2);
          pending = pending.slice(end + 2);
          if (/^data: ?\S/m.test(event)) { // a message of the call: the connection drops here, once what came before is out
            answer.destroy();
            void written.then(() => res.socket?.end());
            return;
          }
          written = new Promise((resolve) => res.write(event, () => resolve()));
        }
      });
    });
    upstream.on('error', () => res.socket?.destroy());
    upstream.end(body);
  }
}

/** The user's requests to a pods subresource since the mark, each counted once (a streaming request is audited as it starts and as it ends). */
function subresourceRequests(since: number, subresource: string): number {
  return new Set(readFileSync(cluster.auditLog).subarray(since).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.user?.username === USER && e.objectRef?.subresource === subresource).map((e) => e.auditID)).size;
}

let server: HttpServer;
let proxy: CuttingProxy;
before(async () => {
  server = await startHttp([...eksArgs(cluster, 'eks-mcp-agent', 'editor', 'team-a')], { env: hostEnv(cluster) });
  proxy = await CuttingProxy.start(server.url);
});
after(async () => {
  await proxy?.close();
  await server?.stop();
});

/** A 2025-11-25 client through the proxy, which answers the server's questions with yes. */
async function connect() {
  return connectHttp(proxy.url, { era: '2025-11-25', elicit: () => ({ action: 'accept', content: { confirm: true } }) });
}

/** The connection of the next call is cut; returns its result and what the proxy saw after the cut. */
async function cutAndResume(session: Awaited<ReturnType<typeof connect>>, name: string, args: Record<string, unknown>): Promise<{ result: CallToolResult; after: Seen[] }> {
  const from = proxy.seen.length;
  proxy.cutNextCall();
  const result = await session.client.callTool({ name, arguments: args }, { timeout: 30_000 }) as CallToolResult;
  const seen = proxy.seen.slice(from);
  assert.equal(seen.filter((s) => s.cut).length, 1, JSON.stringify(seen));
  return { result, after: seen.slice(seen.findIndex((s) => s.cut) + 1) };
}

test('a pods_exec whose connection drops mid-call is resumed with Last-Event-ID: the result arrives, and the command ran once', async () => {
  const pod = kubectl(cluster, ['get', 'pods', '-n', 'team-a', '-l', 'app=api', '-o', 'jsonpath={.items[0].metadata.name}']);
  const session = await connect();
  try {
    const mark = auditMark(cluster);
    const { result, after: seen } = await cutAndResume(session, 'pods_exec', { namespace: 'team-a', name: pod, command: ['sh', '-c', 'sleep 2; echo resumed after the cut'] });
    assert.ok(!result.isError, resultText(result));
    assert.match(resultText(result), /exit code: 0\nstdout:\nresumed after the cut/);
    const resumed = seen.filter((s) => s.method === 'GET' && s.lastEventId !== undefined);
    assert.ok(resumed.length >= 1, `the client resumed with Last-Event-ID: ${JSON.stringify(seen)}`);
    await requestsUpToMarker(cluster, USER, mark, () => session.client.callTool({ name: 'whoami', arguments: {} }));
    assert.equal(subresourceRequests(mark, 'exec'), 1, 'the call was resumed, not sent again');
  } finally {
    await session.close();
  }
});

test('a workload_logs whose connection drops mid-call is resumed: the logs of every pod arrive, read once', async () => {
  const session = await connect();
  try {
    const mark = auditMark(cluster);
    const { result, after: seen } = await cutAndResume(session, 'workload_logs', { namespace: 'team-a', kind: 'deployment', name: 'web' });
    assert.ok(!result.isError, resultText(result));
    const pods = kubectl(cluster, ['get', 'pods', '-n', 'team-a', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}']).split(' ');
    for (const pod of pods) assert.match(resultText(result), new RegExp(pod), 'every pod\'s lines');
    assert.ok(seen.some((s) => s.method === 'GET' && s.lastEventId !== undefined), JSON.stringify(seen));
    await requestsUpToMarker(cluster, USER, mark, () => session.client.callTool({ name: 'whoami', arguments: {} }));
    assert.equal(subresourceRequests(mark, 'log'), pods.length, 'each pod\'s log read once: the call was resumed, not sent again');
  } finally {
    await session.close();
  }
});

test('resuming after an event the session no longer holds, or in a session that is gone, is answered plainly', async () => {
  const session = await connect();
  const headers = { accept: 'text/event-stream', 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': session.transport.sessionId!, 'last-event-id': '424242' };
  const stale = await fetch(server.url, { headers });
  assert.equal(stale.status, 400);
  assert.match(((await stale.json()) as { error: { message: string } }).error.message, /no longer held .* the outcome of the request that stream answered is unknown/);
  await session.close();
  const gone = await fetch(server.url, { headers });
  assert.equal(gone.status, 404, 'the session ended, and its events with it: the client starts a new session');
  await gone.body?.cancel();
});
