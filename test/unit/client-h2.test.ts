// The kube client over HTTP/2, as the API server speaks it: one connection for every request, all in flight at
// once, with the same answers, limits and retries as over the HTTP/1.1 pool (test/unit/client.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants as h2, createSecureServer, type Http2SecureServer, type Http2Session, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createPki } from '../cluster/pki.ts';
import { KubeClient, defaultRetryPolicy, type RetryPolicy } from '../../src/kube/client.ts';
import { ConnectionError, KubeApiError } from '../../src/kube/errors.ts';

const noWait: RetryPolicy = { ...defaultRetryPolicy, sleep: async () => undefined };

async function h2Server(t: { after(fn: () => unknown): void }, handler: (req: Http2ServerRequest, res: Http2ServerResponse) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-h2-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = createPki(dir);
  const tls = pki.serving('apiserver');
  const server: Http2SecureServer = createSecureServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key), allowHTTP1: true }, handler);
  const connections = { count: 0, alpn: [] as Array<string | false> };
  const sockets: TLSSocket[] = [];
  server.on('secureConnection', (socket) => { connections.count += 1; connections.alpn.push(socket.alpnProtocol); sockets.push(socket); });
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (s) => { sessions.add(s); s.once('close', () => sessions.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { for (const s of sessions) s.destroy(); server.close(() => resolve()); }));
  const { port } = server.address() as { port: number };
  const kube = new KubeClient(`https://127.0.0.1:${port}`, readFileSync(pki.caCert), {
    async apply(options) {
      options.headers = { ...(options.headers as Record<string, string>), authorization: 'Bearer t' };
    },
  }, 5_000, noWait);
  return { kube, connections, sessions, sockets };
}

test('a burst goes out at once on one HTTP/2 connection, with the bearer token and the body', { timeout: 30_000 }, async (t) => {
  // Nothing is answered until all 40 are held at once: a client that sent fewer at a time would never be answered.
  const respond = new Map<Http2ServerRequest, () => void>();
  const hold = holdUntil(40, (held) => { for (const req of held) respond.get(req)!(); });
  const { kube, connections } = await h2Server(t, (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    const ended = new Promise((resolve) => req.on('end', resolve));
    respond.set(req, () => void ended.then(() => res.writeHead(201, { 'content-type': 'application/json' })
      .end(JSON.stringify({ version: req.httpVersion, auth: req.headers.authorization, body }))));
    hold(req);
  });
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => kube.json<{ version: string; auth: string; body: string }>({
    method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', body: { i }, idempotent: true,
  })));
  assert.deepEqual(answers[7], { version: '2.0', auth: 'Bearer t', body: '{"i":7}' });
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
  const closed = [...sessions].map((s) => once(s, 'close'));
  for (const s of sessions) s.close(); // the server ends the connection: the next request opens another
  await Promise.all(closed);
  assert.deepEqual(await kube.json({ path: '/again' }), { ok: true });
  assert.equal(connections.count, 2);
});

/** A handler that leaves requests unanswered; once it holds `count` of them, it gives them to `onAllHeld`. */
function holdUntil(count: number, onAllHeld: (held: Http2ServerRequest[]) => void) {
  const held: Http2ServerRequest[] = [];
  return (req: Http2ServerRequest) => {
    held.push(req);
    if (held.length === count) onAllHeld(held);
  };
}

const read = (kube: KubeClient, i: number) => kube.json<{ path: string }>({ path: `/api/v1/namespaces/n/pods/p${i}` });

test('a connection the server ends mid-stream (GOAWAY with an error, then closed) is replaced: every read in flight on it is answered on a new one, a write is not sent again', async (t) => {
  let first: Http2Session | undefined;
  const writes: string[] = [];
  const hold = holdUntil(21, () => {
    first!.goaway(h2.NGHTTP2_ENHANCE_YOUR_CALM, 1 << 30); // every stream was processed: none is known to be unsent
    first!.destroy();
  });
  const { kube, connections } = await h2Server(t, (req, res) => {
    if (req.method === 'POST') writes.push(req.url);
    if (req.stream.session === (first ??= req.stream.session)) return hold(req);
    res.writeHead(200).end(JSON.stringify({ path: req.url }));
  });
  const reads = Array.from({ length: 20 }, (_, i) => read(kube, i));
  const write = assert.rejects(kube.json({ method: 'POST', path: '/api/v1/namespaces/n/configmaps', body: {} }),
    (e: Error) => e instanceof ConnectionError && e.sent, 'a write that reached the server may have landed');
  assert.deepEqual((await Promise.all(reads)).map((a) => a.path), Array.from({ length: 20 }, (_, i) => `/api/v1/namespaces/n/pods/p${i}`));
  await write;
  assert.deepEqual(writes, ['/api/v1/namespaces/n/configmaps'], 'the write was sent once');
  assert.equal(connections.count, 2);
  assert.deepEqual(await read(kube, 99), { path: '/api/v1/namespaces/n/pods/p99' }, 'the next call goes out on the new connection');
});

test('a GOAWAY that says the streams in flight were never processed: reads and writes alike go again, on a new connection', async (t) => {
  let first: Http2Session | undefined;
  const answer = (req: Http2ServerRequest, res: Http2ServerResponse) => res.writeHead(201).end(JSON.stringify({ path: req.url }));
  const hold = holdUntil(6, (held) => {
    first!.goaway(h2.NGHTTP2_NO_ERROR, 1); // the first stream is processed (and answered), the five after it never were
    answer(held[0]!, responses[0]!);
  });
  const responses: Http2ServerResponse[] = [];
  let writes = 0;
  const { kube, connections } = await h2Server(t, (req, res) => {
    if (req.method === 'POST') writes += 1;
    if (req.stream.session !== (first ??= req.stream.session)) return answer(req, res);
    responses.push(res);
    hold(req);
  });
  const answers = await Promise.all([
    ...Array.from({ length: 5 }, (_, i) => read(kube, i)),
    kube.json<{ path: string }>({ method: 'POST', path: '/api/v1/namespaces/n/configmaps', body: {} }),
  ]);
  assert.equal(answers[5]!.path, '/api/v1/namespaces/n/configmaps');
  assert.equal(writes, 2, 'the write was never processed: it was sent again');
  assert.equal(connections.count, 2);
});

test('answers cut mid-body by a socket closing under them are not taken for whole ones: the reads are retried on a new connection', async (t) => {
  let cut = false;
  const hold = holdUntil(10, (held) => {
    cut = true;
    held[0]!.stream.session!.ping(() => sockets[0]!.destroy()); // the ping's answer comes after the client read every frame before it
  });
  const { kube, connections, sockets } = await h2Server(t, (req, res) => {
    if (cut) return void res.writeHead(200).end(JSON.stringify({ path: req.url }));
    res.writeHead(200).write('{"path":');
    hold(req);
  });
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => read(kube, i)));
  assert.deepEqual(answers.map((a) => a.path), Array.from({ length: 10 }, (_, i) => `/api/v1/namespaces/n/pods/p${i}`));
  assert.equal(connections.count, 2);
  assert.ok(await read(kube, 10));
  assert.equal(connections.count, 2, 'the call after it reuses the new connection');
});

test('an idle connection the server sends away (GOAWAY, then closed) or cuts is not used again: the next call opens another', async (t) => {
  const { kube, connections, sessions, sockets } = await h2Server(t, (req, res) => res.writeHead(200).end(JSON.stringify({ path: req.url })));
  await read(kube, 1);
  const [idle] = sessions;
  const gone = new Promise((resolve) => idle!.once('close', resolve));
  idle!.goaway(h2.NGHTTP2_NO_ERROR);
  idle!.close();
  await gone;
  assert.ok(await read(kube, 2));
  assert.equal(connections.count, 2);
  sockets[1]!.destroy();
  assert.ok(await read(kube, 3));
  assert.equal(connections.count, 3);
});

test('a stream the server resets with ENHANCE_YOUR_CALM retires its connection: the read is retried on a new one, the calls that follow use it', async (t) => {
  let calmed = false;
  const { kube, connections } = await h2Server(t, (req, res) => {
    if (!calmed) {
      calmed = true;
      return void req.stream.close(h2.NGHTTP2_ENHANCE_YOUR_CALM);
    }
    res.writeHead(200).end(JSON.stringify({ path: req.url }));
  });
  assert.deepEqual(await read(kube, 1), { path: '/api/v1/namespaces/n/pods/p1' });
  assert.equal(connections.count, 2, 'the connection that was told to calm down took no new stream');
  await Promise.all(Array.from({ length: 5 }, (_, i) => read(kube, i)));
  assert.equal(connections.count, 2);
});

/** A server that refuses every PATCH at once, its body left unread, as the API server refuses an unauthorized (403) or oversized (413) write. */
function refusingWrites(t: { after(fn: () => unknown): void }) {
  return h2Server(t, (req, res) => {
    if (req.method !== 'PATCH') return void res.writeHead(200).end(JSON.stringify({ path: req.url }));
    const big = Number(req.headers['content-length']) > 3 << 20;
    res.writeHead(big ? 413 : 403).end(JSON.stringify({ kind: 'Status', reason: big ? 'RequestEntityTooLarge' : 'Forbidden', message: big ? 'Request entity too large' : 'forbidden' }));
  });
}

const patch = (kube: KubeClient, bytes: number) => kube.json({
  method: 'PATCH', path: '/api/v1/namespaces/n/configmaps/c', body: 'x'.repeat(bytes), contentType: 'application/apply-patch+yaml',
});

test('bodies the server refuses before reading them leave the connection fit, however many: each answer arrives, and so does every call after it', async (t) => {
  const { kube } = await refusingWrites(t);
  for (let i = 0; i < 64; i += 1) { // each leaves part of its body unsent: more than the connection's 10 MB budget in all
    await assert.rejects(patch(kube, 512 << 10), (e: Error) => e instanceof KubeApiError && e.status === 403);
    assert.ok(await read(kube, i), `the read after refused body ${i + 1}`);
  }
});

test('a body of tens of MB that the server refuses unread: its own answer (413) arrives, and so do the reads sent meanwhile and after', async (t) => {
  const { kube } = await refusingWrites(t);
  await read(kube, 0);
  const meanwhile = Promise.allSettled(Array.from({ length: 30 }, (_, i) => read(kube, i)));
  await assert.rejects(patch(kube, 64 << 20), (e: Error) => e instanceof KubeApiError && e.status === 413, 'the server\'s answer, not a refused stream');
  assert.deepEqual((await meanwhile).filter((r) => r.status === 'rejected'), [], 'no read sent meanwhile is lost');
  assert.ok(await read(kube, 100));
});

test('a read whose every connection is reset gives up after the retry policy\'s attempts', async (t) => {
  let received = 0;
  const { kube, connections } = await h2Server(t, (req) => {
    received += 1;
    req.stream.session!.destroy();
  });
  await assert.rejects(read(kube, 1), (e: Error) => e instanceof ConnectionError);
  assert.equal(received, noWait.attempts);
  assert.equal(connections.count, noWait.attempts, 'each attempt on a new connection');
});
