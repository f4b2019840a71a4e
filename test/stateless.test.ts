// MCP 2026-07-28 over HTTP: no handshake and no session, so any replica answers any request. Two server processes
// behind a plain round-robin proxy of the test's own (no affinity, nothing shared), raw requests on the wire, and the
// SDK v2 client. Every request goes to 127.0.0.1 and every loop is bounded.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { kubectl } from './cluster/cluster.ts';
import { applyRole, auditLines, connectHttp, eksArgs, hostEnv, startHttp, toolListChanges, useCluster, waitFor, type HttpServer } from './helpers.ts';

const cluster = await useCluster();
const env = hostEnv(cluster);
const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-stateless-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const token = randomBytes(24).toString('hex');
const tokensFile = join(dir, 'tokens');
writeFileSync(tokensFile, `agent:${token}\n`);
const auth = { authorization: `Bearer ${token}` };
const MODERN = '2026-07-28';

/** A 2026-07-28 request as the wire carries it: the envelope in _meta, the standard headers beside it. */
function modern(method: string, params: Record<string, unknown> = {}, id = 1) {
  return {
    body: {
      jsonrpc: '2.0', id, method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '0' },
          'io.modelcontextprotocol/clientCapabilities': {},
          ...(params['_meta'] as object | undefined),
        },
      },
    },
    headers: { 'mcp-protocol-version': MODERN, 'mcp-method': method, ...(typeof params['name'] === 'string' ? { 'mcp-name': params['name'] } : {}) },
  };
}

function post(url: string, message: { body: unknown; headers: Record<string, string> }, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...auth, ...message.headers, ...extra },
    body: JSON.stringify(message.body),
  });
}

/** The JSON-RPC message of a response, whether it came as JSON or as one SSE event. */
async function rpc(res: Response): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  const raw = await res.text();
  const json = res.headers.get('content-type')?.includes('text/event-stream')
    ? raw.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('')
    : raw;
  return JSON.parse(json);
}

describe('a 2026-07-28 request stands alone', () => {
  let server: HttpServer;
  before(async () => {
    server = await startHttp([...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), '--auth-tokens-file', tokensFile, '--refresh-interval', '7'], { env });
  });
  after(() => server?.stop());

  test('both revisions at one endpoint; a POST without any session header is answered, and no session id is issued', async () => {
    const discover = await post(server.url, modern('server/discover'));
    assert.equal(discover.status, 200);
    assert.equal(discover.headers.get('mcp-session-id'), null);
    const found = await rpc(discover);
    // server/discover names the per-request revision; the SDK answers it itself, and a 2025 revision is reached
    // through initialize, at the same endpoint.
    assert.deepEqual(found.result?.['supportedVersions'], ['2026-07-28'], JSON.stringify(found.result));
    assert.equal(found.result?.['cacheScope'], 'public');
    const initialize = await post(server.url, { body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } }, headers: {} });
    assert.equal((await rpc(initialize)).result?.['protocolVersion'], '2025-11-25');
    const list = await post(server.url, modern('tools/list'));
    assert.equal(list.status, 200);
    assert.equal(list.headers.get('mcp-session-id'), null);
    const tools = (await rpc(list)).result!;
    assert.ok((tools['tools'] as Array<{ name: string }>).some((t) => t.name === 'pods_list'));
    assert.equal(tools['ttlMs'], 7000, 'the list is good until the next re-discovery');
    assert.equal(tools['cacheScope'], 'public', 'a read-only role: the list depends on the connection, not on who asks');
  });

  test('Mcp-Method or Mcp-Name that disagree with the body are refused, as the revision says', async () => {
    const wrongMethod = await post(server.url, modern('tools/list'), { 'mcp-method': 'tools/call' });
    assert.equal(wrongMethod.status, 400);
    assert.equal((await rpc(wrongMethod)).error?.code, -32020);
    const wrongName = await post(server.url, modern('tools/call', { name: 'pods_list', arguments: { namespace: 'team-a' } }), { 'mcp-name': 'pods_delete' });
    assert.equal(wrongName.status, 400);
    assert.equal((await rpc(wrongName)).error?.code, -32020);
    const unknown = await post(server.url, { ...modern('tools/list'), headers: { 'mcp-protocol-version': '2099-01-01', 'mcp-method': 'tools/list' } });
    assert.equal(unknown.status, 400, 'a revision the server does not speak');
    await unknown.body?.cancel();
  });

  test('GET and DELETE have nothing to serve on this revision', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(server.url, { method, headers: { ...auth, accept: 'text/event-stream', 'mcp-protocol-version': MODERN } });
      assert.equal(res.status, 405, method);
      await res.body?.cancel();
    }
  });

  test('a traceparent, in _meta or in the header, becomes the trace_id of the call\'s audit line', async () => {
    const inMeta = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const inHeader = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const session = await connectHttp(server.url, { token });
    try {
      const result = (await session.client.callTool({ name: 'pods_list', arguments: { namespace: 'team-a' }, _meta: { traceparent: inMeta } })) as CallToolResult;
      assert.ok(!result.isError);
    } finally {
      await session.close();
    }
    const res = await post(server.url, modern('tools/call', { name: 'whoami', arguments: {} }), { traceparent: inHeader });
    assert.equal((await rpc(res)).result?.['isError'], undefined);
    const lines = auditLines(server.stderr());
    assert.ok(lines.some((l) => l['tool'] === 'pods_list' && l['trace_id'] === '4bf92f3577b34da6a3ce929d0e0e4736' && l['principal'] === 'static:agent'), JSON.stringify(lines));
    assert.ok(lines.some((l) => l['tool'] === 'whoami' && l['trace_id'] === '0af7651916cd43dd8448eb211c80319c'));
  });
});

// --- two replicas, one round-robin proxy -----------------------------------------------------------------

interface Balancer {
  url: string;
  close(): Promise<void>;
}

/** Plain HTTP forwarding, alternating between upstreams: no affinity, no shared store. */
async function roundRobin(upstreams: string[]): Promise<Balancer> {
  let next = 0;
  const server: Server = createServer((req, res) => {
    const target = new URL(upstreams[next++ % upstreams.length]!);
    const forward = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(res);
    });
    forward.on('error', () => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'bad gateway' }, id: null }));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('two replicas behind a round-robin proxy', () => {
  const binding = 'replicated';
  const refreshSeconds = 2;
  let replicas: HttpServer[];
  let balancer: Balancer;
  before(async () => {
    applyRole(cluster, { name: binding, namespace: 'team-a', user: `eks-agent:${binding}`, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] });
    const args = [...eksArgs(cluster, 'eks-mcp-agent', binding, 'team-a'), '--auth-tokens-file', tokensFile, '--refresh-interval', String(refreshSeconds)];
    replicas = await Promise.all([startHttp(args, { env }), startHttp(args, { env })]);
    balancer = await roundRobin(replicas.map((r) => r.url));
  });
  after(async () => {
    kubectl(cluster, ['delete', 'role,rolebinding', binding, '-n', 'team-a', '--ignore-not-found']);
    await balancer?.close();
    await Promise.all((replicas ?? []).map((r) => r.stop()));
  });

  test('an RBAC edit reaches the listening client within the refresh interval + 5 s, from the replica it listens to', async () => {
    const session = await connectHttp(balancer.url, { token });
    try {
      assert.ok(!(await session.client.listTools()).tools.some((t) => t.name === 'events_list'));
      const changes = await toolListChanges(session.client);
      kubectl(cluster, ['patch', 'role', binding, '-n', 'team-a', '--type', 'json', '-p',
        JSON.stringify([{ op: 'add', path: '/rules/-', value: { apiGroups: [''], resources: ['events'], verbs: ['list'] } }])]);
      const waited = await changes.next('the Role gaining events (within the refresh interval + 5 s)', (refreshSeconds + 5) * 1000);
      // Each replica re-discovers on its own clock: the next list may reach the other one, which follows within its interval.
      await waitFor('the other replica to follow', async () => ((await session.client.listTools()).tools.some((t) => t.name === 'events_list') ? true : undefined),
        (refreshSeconds * 2 + 5 - waited) * 1000, { everyMs: 200 });
    } finally {
      await session.close();
    }
  });

  test('500 tool calls with no error; a replica killed mid-run costs at most a retry of the call it dropped', async () => {
    const session = await connectHttp(balancer.url, { token });
    let retried = 0;
    try {
      for (let i = 0; i < 500; i += 1) {
        if (i === 250) await replicas[1]!.stop(); // SIGTERM: it drains, then refuses; the proxy keeps sending it half the calls
        const call = () => session.client.callTool({ name: 'pods_list', arguments: { namespace: 'team-a', limit: 1 } }) as Promise<CallToolResult>;
        let result: CallToolResult;
        try {
          result = await call();
        } catch {
          retried += 1; // the connection to the dead replica dropped: a read is safe to send again, to the next replica
          result = await call();
        }
        assert.ok(!result.isError, `call ${i}: ${JSON.stringify(result.content)}`);
      }
      assert.ok(retried <= 250, `${retried} retries`);
    } finally {
      await session.close();
    }
  });
});
