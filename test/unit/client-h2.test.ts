// The kube client over HTTP/2, as the API server speaks it: one connection for every request, all in flight at
// once, with the same answers, limits and retries as over the HTTP/1.1 pool (test/unit/client.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki } from '../cluster/pki.ts';
import { KubeClient, defaultRetryPolicy, type RetryPolicy } from '../../src/kube/client.ts';
import { KubeApiError } from '../../src/kube/errors.ts';

const noWait: RetryPolicy = { ...defaultRetryPolicy, sleep: async () => undefined };

async function h2Server(t: { after(fn: () => unknown): void }, handler: (req: Http2ServerRequest, res: Http2ServerResponse) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-h2-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = createPki(dir);
  const tls = pki.serving('apiserver');
  const server: Http2SecureServer = createSecureServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key), allowHTTP1: true }, handler);
  const connections = { count: 0, alpn: [] as Array<string | false> };
  server.on('secureConnection', (socket) => { connections.count += 1; connections.alpn.push(socket.alpnProtocol); });
  const sessions = new Set<import('node:http2').ServerHttp2Session>();
  server.on('session', (s) => { sessions.add(s); s.once('close', () => sessions.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { for (const s of sessions) s.destroy(); server.close(() => resolve()); }));
  const { port } = server.address() as { port: number };
  const kube = new KubeClient(`https://127.0.0.1:${port}`, readFileSync(pki.caCert), {
    async apply(options) {
      options.headers = { ...(options.headers as Record<string, string>), authorization: 'Bearer t' };
    },
  }, 5_000, noWait);
  return { kube, connections, sessions };
}

test('a burst goes out at once on one HTTP/2 connection, with the bearer token and the body', async (t) => {
  let inFlight = 0;
  let mostInFlight = 0;
  const { kube, connections } = await h2Server(t, (req, res) => {
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => setTimeout(() => {
      inFlight -= 1;
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ version: req.httpVersion, auth: req.headers.authorization, body }));
    }, 20));
  });
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => kube.json<{ version: string; auth: string; body: string }>({
    method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', body: { i }, idempotent: true,
  })));
  assert.deepEqual(answers[7], { version: '2.0', auth: 'Bearer t', body: '{"i":7}' });
  assert.equal(mostInFlight, 40, 'all in flight at once');
  assert.equal(connections.count, 1);
  assert.deepEqual(connections.alpn, ['h2']);
});

test('over HTTP/2: statuses, Retry-After retries, the size cap, and a fresh connection after the server closes one', async (t) => {
  let calls = 0;
  const { kube, connections, sessions } = await h2Server(t, (req, res) => {
    calls += 1;
    if (req.url === '/busy' && calls === 1) return void res.writeHead(429, { 'retry-after': '0' }).end('{}');
    if (req.url === '/missing') return void res.writeHead(404).end(JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'pods "x" not found' }));
    if (req.url === '/big') return void res.writeHead(200).end('x'.repeat(100_000));
    res.writeHead(200).end('{"ok":true}');
  });
  assert.deepEqual(await kube.json({ path: '/busy' }), { ok: true });
  assert.equal(calls, 2, 'a 429 is retried');
  await assert.rejects(kube.json({ path: '/missing' }), (e: Error) => e instanceof KubeApiError && e.status === 404 && /not found/.test(e.message));
  const capped = await kube.raw({ path: '/big', maxBytes: 1000 });
  assert.equal(capped.truncated, true);
  assert.equal(capped.body.length, 1000);
  for (const s of sessions) s.close(); // the server ends the connection: the next request opens another
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(await kube.json({ path: '/again' }), { ok: true });
  assert.equal(connections.count, 2);
});
