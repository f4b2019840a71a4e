// `serve --http` end to end: the built server spawned on 127.0.0.1 (port chosen by the kernel or by us), the
// SDK's client over real HTTP, and a local OAuth issuer (metadata, JWKS, a client-credentials token endpoint)
// on 127.0.0.1. Every request in this file goes to 127.0.0.1 and every loop is bounded.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect as netConnect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  ClientCredentialsProvider, discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams, SdkHttpError, type CallToolResult,
} from '@modelcontextprotocol/client';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { freePort, kubectl } from './cluster/cluster.ts';
import { applyRole, cliPath, connectHttp as connectHttpClient, toolListChanges, eksArgs, hostEnv, readTable, root, startHttp as startHttpServer, useCluster, resultText, type HttpServer } from './helpers.ts';
import { goldenTools } from './golden.ts';
import { loadConfig, loadHttpConfig, type HttpFieldName } from '../src/config.ts';

const cluster = await useCluster();
const env = hostEnv(cluster);
const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-http-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const golden = goldenTools('pods-reader').map((t) => t.name);
const PROTOCOL = '2025-06-18';
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };
const LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list' };

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function httpCode(error: unknown): number | undefined {
  return error instanceof SdkHttpError ? error.status : undefined;
}

/** Most of this file pins down the sessionful 2025 behaviour: its clients speak 2025-11-25 unless a test says otherwise. */
function connectHttp(url: string, options: Parameters<typeof connectHttpClient>[1] = {}) {
  return connectHttpClient(url, { era: '2025-11-25', ...options });
}

/** `serve --http` from dist/ as the agent host (its AWS keys, STS at moto), on a port of its own. */
function startHttp(args: string[], options: { env?: Record<string, string>; port?: number } = {}): Promise<HttpServer> {
  return startHttpServer(args, { ...options, env: { ...env, ...options.env } });
}

const token = () => randomBytes(24).toString('hex');
const alice = token();
const bob = token();
const carol = token(); // no name: its principal is a fingerprint
const tokensFile = join(dir, 'tokens');
writeFileSync(tokensFile, `# one per line; name:token keeps a principal across rotation\nalice:${alice}\nbob:${bob}\n${carol}\n`);

// --- static tokens ------------------------------------------------------------------------------------

describe('streamable HTTP with static bearer tokens (stateful)', () => {
  let server: HttpServer;
  before(async () => {
    server = await startHttp([...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), '--auth-tokens-file', tokensFile,
      '--allowed-origins', 'https://agents.example.com', '--rate-limit', '0', '--max-body-bytes', '65536']);
  });
  after(() => server?.stop());

  test('tools are listed and called over HTTP as the connection\'s identity, never with the client\'s token', async () => {
    const session = await connectHttp(server.url, { token: alice });
    try {
      assert.ok(session.transport.sessionId, 'stateful: the server issued a session id');
      assert.deepEqual((await session.client.listTools()).tools.map((t) => t.name), golden);
      const who = (await session.client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
      assert.match(resultText(who), /^user: eks-agent:pods-reader\n/);
      const pods = (await session.client.callTool({ name: 'pods_list', arguments: { namespace: 'team-a' } })) as CallToolResult;
      assert.ok(!pods.isError, resultText(pods));
    } finally {
      await session.close();
    }
    assert.ok(!server.stderr().includes(alice), 'the client\'s token is never logged');
  });

  test('no token, a wrong token or another scheme: 401 with a Bearer challenge, through the SDK client and on the wire', async () => {
    for (const headers of [{}, bearer(token()), bearer(`${alice.slice(0, -1)}x`), { authorization: `Basic ${Buffer.from(`alice:${alice}`).toString('base64')}` }]) {
      await assert.rejects(connectHttp(server.url, { headers }), (error) => httpCode(error) === 401, JSON.stringify(headers));
      const res = await post(server.url, INIT, headers);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token", error_description="[^"]+"$/);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_token');
    }
  });

  test('every configured token works, named or not', async () => {
    for (const t of [bob, carol]) {
      const session = await connectHttp(server.url, { token: t });
      assert.deepEqual((await session.client.listTools()).tools.map((x) => x.name), golden);
      await session.close();
    }
  });

  test('every audit line names the principal beside the tool: the token\'s name, or its fingerprint', async () => {
    for (const t of [bob, carol]) {
      const session = await connectHttp(server.url, { token: t });
      await session.client.callTool({ name: 'pods_list', arguments: { namespace: 'team-a' } });
      await session.close();
    }
    const audit = server.stderr().split('\n').filter((l) => l.includes('"audit":true')).map((l) => JSON.parse(l) as { tool: string; principal?: string });
    const principals = new Set(audit.filter((l) => l.tool === 'pods_list').map((l) => l.principal));
    assert.ok(principals.has('static:bob'), JSON.stringify([...principals]));
    assert.ok([...principals].some((p) => /^static:sha256:[0-9a-f]{12}$/.test(p ?? '')), JSON.stringify([...principals]));
    assert.ok(audit.every((l) => typeof l.principal === 'string' && l.principal !== 'stdio'));
  });

  test('a session belongs to the principal that opened it: its id with another token is refused', async () => {
    const owner = await connectHttp(server.url, { token: alice });
    try {
      const id = owner.transport.sessionId!;
      const hijack = { 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL };
      for (const thief of [bob, carol]) {
        const res = await post(server.url, LIST, { ...bearer(thief), ...hijack });
        assert.equal(res.status, 404);
        assert.deepEqual(((await res.json()) as { error: unknown }).error, { code: -32001, message: 'Session not found' });
        assert.equal((await fetch(server.url, { headers: { ...bearer(thief), ...hijack, accept: 'text/event-stream' } })).status, 404, 'GET');
        assert.equal((await fetch(server.url, { method: 'DELETE', headers: { ...bearer(thief), ...hijack } })).status, 404, 'DELETE');
      }
      assert.deepEqual((await owner.client.listTools()).tools.map((t) => t.name), golden, 'the owner\'s session is untouched');
      assert.match(server.stderr(), /a session id was presented by another principal: refused/);
    } finally {
      await owner.close();
    }
  });

  test('a foreign Origin gets 403; an allowed one gets CORS headers, and its preflight needs no token', async () => {
    await assert.rejects(connectHttp(server.url, { token: alice, headers: { Origin: 'https://evil.example.com' } }), (error) => httpCode(error) === 403);
    for (const origin of ['https://evil.example.com', 'https://agents.example.com:8443', 'null', 'http://127.0.0.1.nip.io']) {
      const res = await post(server.url, INIT, { ...bearer(alice), origin });
      assert.equal(res.status, 403, origin);
      assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32000);
    }
    const preflight = await fetch(server.url, { method: 'OPTIONS', headers: { origin: 'https://agents.example.com', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization.*Mcp-Session-Id/);
    assert.equal((await fetch(server.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com' } })).status, 403);
    const allowed = await connectHttp(server.url, { token: alice, headers: { Origin: 'https://agents.example.com' } });
    assert.deepEqual((await allowed.client.listTools()).tools.map((t) => t.name), golden);
    await allowed.close();
    const res = await post(server.url, INIT, { ...bearer(alice), origin: 'https://agents.example.com' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://agents.example.com');
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /Mcp-Session-Id/);
    await res.body?.cancel();
  });

  test('bound to loopback, its own origin is allowed at its port beside --allowed-origins; other local origins are not', async () => {
    const port = new URL(server.url).port;
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const res = await post(server.url, INIT, { ...bearer(alice), origin });
      assert.equal(res.status, 200, origin);
      assert.equal(res.headers.get('access-control-allow-origin'), origin);
      await res.body?.cancel();
    }
    for (const origin of [`http://localhost:${Number(port) + 1}`, `https://localhost:${port}`, `http://localhost.evil.example:${port}`]) {
      assert.equal((await post(server.url, INIT, { ...bearer(alice), origin })).status, 403, origin);
    }
  });

  test('malformed or misdirected requests get the transport spec\'s status codes, and the server stays up', async () => {
    const live = await connectHttp(server.url, { token: alice });
    const auth = bearer(alice);
    const inSession = { ...auth, 'mcp-session-id': live.transport.sessionId!, 'mcp-protocol-version': PROTOCOL };
    const cases: Array<[string, () => Promise<Response>, number, number?]> = [
      ['invalid JSON', () => post(server.url, '{"jsonrpc": "2.0", "id": 1,', inSession), 400, -32700],
      ['JSON that is not JSON-RPC', () => post(server.url, { hello: 'world' }, inSession), 400, -32600],
      ['invalid JSON before any session', () => post(server.url, '{', auth), 400, -32700],
      ['Accept without text/event-stream', () => post(server.url, LIST, { ...inSession, accept: 'application/json' }), 406],
      ['Content-Type text/plain', () => post(server.url, LIST, { ...inSession, 'content-type': 'text/plain' }), 415],
      ['a request other than initialize without a session id', () => post(server.url, LIST, auth), 400],
      ['an unknown session', () => post(server.url, LIST, { ...inSession, 'mcp-session-id': randomUUID() }), 404, -32001],
      ['an unsupported protocol version', () => post(server.url, LIST, { ...inSession, 'mcp-protocol-version': '1999-01-01' }), 400],
      ['a body over --max-body-bytes', () => post(server.url, { ...LIST, params: { pad: 'x'.repeat(100_000) } }, inSession), 413],
      ['a second initialize on a session', () => post(server.url, INIT, inSession), 400, -32600],
      // Without a session id there is nothing of 2025 to stream or end; 2026-07-28 has no GET or DELETE at all.
      ['GET without a session id', () => fetch(server.url, { headers: { ...auth, accept: 'text/event-stream' } }), 405],
      ['DELETE without a session id', () => fetch(server.url, { method: 'DELETE', headers: auth }), 405],
      ['PUT', () => fetch(server.url, { method: 'PUT', headers: auth }), 405],
    ];
    try {
      for (const [what, send, status, code] of cases) {
        const res = await send();
        assert.equal(res.status, status, what);
        const body = (await res.json()) as { jsonrpc?: string; error?: { code: number } };
        assert.equal(body.jsonrpc, '2.0', `${what}: a JSON-RPC error body`);
        if (code !== undefined) assert.equal(body.error?.code, code, what);
      }
      const ended = await connectHttp(server.url, { token: alice });
      const endedId = ended.transport.sessionId!;
      await ended.transport.terminateSession();
      await ended.client.close();
      const res = await post(server.url, LIST, { ...inSession, 'mcp-session-id': endedId });
      assert.equal(res.status, 404, 'an ended session');
      await res.body?.cancel();
      assert.deepEqual((await live.client.listTools()).tools.map((t) => t.name), golden, 'still serving');
      assert.equal((await fetch(`${server.origin}/healthz`)).status, 200);
    } finally {
      await live.close();
    }
  });

  test('a client still uploading a body far over --max-body-bytes reads its 413, every time, on a connection it may reuse', async () => {
    // The rest of such a body is read and dropped (up to 64 MiB): closing under the upload made the client's write
    // fail (EPIPE) before it read the answer, for about one body in five of these sizes.
    for (let i = 0; i < 30; i++) {
      const res = await post(server.url, { ...LIST, params: { pad: 'x'.repeat(1_000_000 * (1 + (i % 4))) } }, bearer(alice));
      assert.equal(res.status, 413, `upload ${i + 1}`);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /larger than 65536 bytes \(--max-body-bytes\)/);
    }
    assert.equal((await fetch(`${server.origin}/healthz`)).status, 200);
  });

  test('a session has one GET stream for server-to-client messages', async () => {
    const init = await post(server.url, INIT, bearer(alice));
    const id = init.headers.get('mcp-session-id')!;
    await init.body?.cancel();
    const inSession = { ...bearer(alice), 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL };
    assert.equal((await post(server.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, inSession)).status, 202);
    const controller = new AbortController();
    try {
      const stream = await fetch(server.url, { headers: { ...inSession, accept: 'text/event-stream' }, signal: controller.signal });
      assert.equal(stream.status, 200);
      assert.equal(stream.headers.get('content-type'), 'text/event-stream');
      const second = await fetch(server.url, { headers: { ...inSession, accept: 'text/event-stream' } });
      assert.equal(second.status, 409, 'one stream per session (the SDK\'s rule)');
      await second.body?.cancel();
    } finally {
      controller.abort();
      await fetch(server.url, { method: 'DELETE', headers: inSession });
    }
  });

  test('100 concurrent sessions each list and call tools, and all finish without an error', async () => {
    const open = async () => Number(/^eks_rbac_mcp_active_sessions (\d+)$/m.exec(await (await fetch(`${server.origin}/metrics`)).text())?.[1]);
    const openBefore = await open();
    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, async (_, i) => {
      const session = await connectHttp(server.url, { token: [alice, bob, carol][i % 3]! });
      try {
        const names = (await session.client.listTools()).tools.map((t) => t.name);
        assert.deepEqual(names, golden);
        const result = (await session.client.callTool({ name: i % 2 ? 'pods_list' : 'can_i', arguments: i % 2 ? { namespace: 'team-a' } : { verb: 'get', resource: 'pods', namespace: 'team-b' } })) as CallToolResult;
        assert.ok(!result.isError, resultText(result));
        return session.transport.sessionId!;
      } finally {
        await session.close();
      }
    }));
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.deepEqual(failed.map((f) => String(f.reason)), []);
    const ids = new Set(outcomes.map((o) => (o as PromiseFulfilledResult<string>).value));
    assert.equal(ids.size, 100, 'each client had its own session');
    assert.equal(await open(), openBefore, 'every session was ended by its client (DELETE)');
    const metrics = await (await fetch(`${server.origin}/metrics`)).text();
    const calls = Number(/^eks_rbac_mcp_tool_calls_total\{tool="pods_list",outcome="ok"\} (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(calls >= 50, `pods_list ok calls: ${calls}`);
  });

  test('/healthz, /readyz and /metrics answer without a token and say nothing about the cluster', async () => {
    const health = await fetch(`${server.origin}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok\n');
    const ready = await fetch(`${server.origin}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(await ready.text(), 'ok\n');
    const res = await fetch(`${server.origin}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const metrics = await res.text();
    for (const expected of [
      /^eks_rbac_mcp_tool_calls_total\{tool="whoami",outcome="ok"\} \d+$/m,
      /^eks_rbac_mcp_tool_call_duration_seconds_bucket\{le="\+Inf",tool="pods_list"\} \d+$/m,
      /^eks_rbac_mcp_kubernetes_api_responses_total\{method="POST",code="201"\} \d+$/m, // discovery's reviews
      /^eks_rbac_mcp_kubernetes_api_responses_total\{method="GET",code="200"\} \d+$/m,
      /^eks_rbac_mcp_kubernetes_api_request_duration_seconds_count\{method="GET"\} \d+$/m,
      /^eks_rbac_mcp_eks_token_mints_total [1-9]\d*$/m,
      /^eks_rbac_mcp_aws_credential_refreshes_total [1-9]\d*$/m,
      /^eks_rbac_mcp_active_sessions \d+$/m,
      /^eks_rbac_mcp_http_requests_total\{route="mcp",method="POST",code="401"\} \d+$/m,
      /^eks_rbac_mcp_http_rejections_total\{reason="unauthenticated"\} \d+$/m,
      /^eks_rbac_mcp_http_rejections_total\{reason="forbidden-origin"\} \d+$/m,
      /^eks_rbac_mcp_http_rejections_total\{reason="session-of-another-principal"\} \d+$/m,
      /^eks_rbac_mcp_process_resident_memory_bytes \d+/m,
    ]) assert.match(metrics, expected);
    const endpoint = new URL(cluster.endpoint);
    const pods = kubectl(cluster, ['get', 'pods', '-n', 'team-a', '-o', 'jsonpath={.items[*].metadata.name}']).split(' ').filter(Boolean);
    for (const secret of [cluster.clusterName, endpoint.host, endpoint.port, cluster.sts.accountId, 'team-a', 'team-b', 'eks-agent', 'pods-reader', 'alice', alice, bob, ...pods]) {
      assert.ok(!metrics.includes(secret), `/metrics mentions ${secret}`);
    }
  });
});

// --- rate limit, request timeout, tokens from the environment -----------------------------------------

describe('per-principal rate limit and request timeout (tokens from EKS_MCP_AUTH_TOKENS)', () => {
  let server: HttpServer;
  before(async () => {
    server = await startHttp([...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), '--rate-limit', '4', '--request-timeout', '1'],
      { env: { EKS_MCP_AUTH_TOKENS: `alice:${alice},bob:${bob}` } });
  });
  after(() => server?.stop());

  test('each principal has its own budget; past it, 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 10; i += 1) {
      const res = await post(server.url, INIT, bearer(alice));
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.body?.cancel();
    }
    assert.ok(statuses.includes(200) && statuses.includes(429), statuses.join(','));
    assert.ok(Number(retryAfter) >= 1, `Retry-After: ${retryAfter}`);
    const other = await post(server.url, INIT, bearer(bob));
    assert.equal(other.status, 200, 'another principal is not limited by the first');
    await other.body?.cancel();
  });

  test('a request that does not finish arriving within --request-timeout is cut off (408)', async () => {
    const { port } = new URL(server.url);
    const halfSent = (head: string) => new Promise<string>((resolve, reject) => {
      const socket = netConnect(Number(port), '127.0.0.1', () => socket.write(head));
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (data += chunk));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      socket.setTimeout(60_000, () => socket.destroy(new Error('the server kept the half-sent request open')));
    });
    const headers = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n`;
    assert.match(await halfSent(headers), /^HTTP\/1\.1 408/, 'headers that never end');
    const body = await halfSent(`${headers}Authorization: Bearer ${bob}\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":`);
    assert.match(body, /^HTTP\/1\.1 408/, 'a body that never ends, past authentication');
    assert.equal((await fetch(`${server.origin}/healthz`)).status, 200, 'still serving');
  });
});

// --- OAuth 2.1 resource server --------------------------------------------------------------------------

interface Issuer {
  url: string;
  /** Signs an RFC 9068 access token (typ at+jwt) unless given another header typ (null: none). */
  sign(claims: Record<string, unknown>, options?: { key?: CryptoKey; kid?: string; iss?: string; typ?: string | null }): Promise<string>;
  close(): void;
}

/** A minimal authorization server on 127.0.0.1: RFC 8414 metadata, a JWKS, client-credentials tokens. */
async function startIssuer(): Promise<Issuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let url = '';
  const sign: Issuer['sign'] = async (claims, options = {}) => {
    const typ = options.typ === undefined ? 'at+jwt' : options.typ;
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'k1', ...(typ === null ? {} : { typ }) }).setIssuer(options.iss ?? url).setIssuedAt();
    if (claims['exp'] === undefined) jwt.setExpirationTime('5m');
    return jwt.sign(options.key ?? privateKey);
  };
  const server: Server = createServer((req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/.well-known/oauth-authorization-server') {
      return json(200, {
        issuer: url, authorization_endpoint: `${url}/authorize`, token_endpoint: `${url}/token`, jwks_uri: `${url}/jwks`, response_types_supported: ['code'],
        grant_types_supported: ['client_credentials'], token_endpoint_auth_methods_supported: ['client_secret_basic'], scopes_supported: ['mcp'],
      });
    }
    if (req.url === '/jwks') return json(200, { keys: [jwk] });
    if (req.url === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':');
        if (form.get('grant_type') !== 'client_credentials' || secret !== 'agent-secret') return json(401, { error: 'invalid_client' });
        void sign({ sub: id, client_id: id, aud: form.get('resource'), scope: form.get('scope') ?? '' })
          .then((accessToken) => json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300 }));
      });
      return undefined;
    }
    return json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, sign, close: () => server.close() };
}

describe('OAuth 2.1 resource server: JWTs from an issuer\'s JWKS', () => {
  let issuer: Issuer;
  let server: HttpServer;
  let resource: string;
  let metadataUrl: string;
  before(async () => {
    issuer = await startIssuer();
    const port = await freePort();
    resource = `http://127.0.0.1:${port}/mcp`;
    metadataUrl = `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`;
    // No --oauth-jwks-url: the JWKS is found through the issuer's RFC 8414 metadata.
    server = await startHttp([...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), '--oauth-issuer', issuer.url,
      '--resource-url', resource, '--oauth-scopes', 'mcp'], { port });
  });
  after(async () => {
    await server?.stop();
    issuer?.close();
  });

  const valid = (claims: Record<string, unknown> = {}) => issuer.sign({ sub: 'agent-1', aud: resource, scope: 'mcp', ...claims });

  test('each refused token gets 401 and a challenge pointing at the protected-resource metadata', async () => {
    const { privateKey: stranger } = await generateKeyPair('ES256');
    const refused: Array<[string, Promise<string | undefined>, RegExp]> = [
      ['no token', Promise.resolve(undefined), /Missing Authorization header/],
      ['an expired token', valid({ exp: Math.floor(Date.now() / 1000) - 3600 }), /Token has expired/],
      ['a token for another audience', valid({ aud: 'https://other.example.com/mcp' }), /Token audience is not this server/],
      ['a token from another issuer', issuer.sign({ sub: 'agent-1', aud: resource, scope: 'mcp' }, { iss: 'https://issuer.example.com' }), /Token issuer is not trusted/],
      ['a bad signature (the issuer\'s key id, another key)', issuer.sign({ sub: 'agent-1', aud: resource, scope: 'mcp' }, { key: stranger }), /Token signature is invalid/],
      ['a key the issuer does not publish', issuer.sign({ sub: 'agent-1', aud: resource, scope: 'mcp' }, { key: stranger, kid: 'k9' }), /key the issuer does not publish/],
      ['a token without a subject', issuer.sign({ aud: resource, scope: 'mcp' }), /Token lacks the sub claim/],
      ['not a JWT', Promise.resolve(token()), /Token is not a valid JWT/],
    ];
    for (const [what, pending, description] of refused) {
      const jwt = await pending;
      const headers = jwt ? bearer(jwt) : {};
      await assert.rejects(connectHttp(server.url, { headers }), (error) => httpCode(error) === 401, what);
      const res = await post(server.url, INIT, headers);
      assert.equal(res.status, 401, what);
      const challenge = res.headers.get('www-authenticate') ?? '';
      const params = extractWWWAuthenticateParams(res);
      assert.equal(params.error, 'invalid_token', what);
      assert.equal(params.resourceMetadataUrl?.href, metadataUrl, what);
      assert.equal(params.scope, 'mcp', what);
      assert.match(challenge, description, what);
      await res.body?.cancel();
    }
  });

  test('access tokens as Entra ID, Auth0 and Keycloak label them (typ JWT) and as Okta does (no typ) get in; their ID tokens do not', async () => {
    const accepted: Array<[string, Record<string, unknown>, string | null]> = [
      ['Entra ID v1.0', { sub: 'agent-1', aud: resource, scp: 'mcp', appid: 'client-app', ver: '1.0' }, 'JWT'],
      ['Auth0', { sub: 'agent-1', aud: [resource, `${issuer.url}/userinfo`], azp: 'client-app', scope: 'openid mcp' }, 'JWT'],
      ['Keycloak', { sub: 'agent-1', aud: [resource, 'account'], typ: 'Bearer', azp: 'client-app', scope: 'openid mcp' }, 'JWT'],
      ['Okta', { sub: 'agent-1', aud: resource, cid: 'client-app', scp: ['mcp'], ver: 1 }, null],
    ];
    for (const [provider, claims, typ] of accepted) {
      const session = await connectHttp(server.url, { token: await issuer.sign(claims, { typ }) });
      const who = (await session.client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
      assert.match(resultText(who), /^user: eks-agent:pods-reader\n/, provider);
      await session.close();
    }
    const idTokens: Array<[string, Record<string, unknown>, string | null, RegExp]> = [
      ['an ID token whose client id is this resource URL', { sub: 'agent-1', aud: resource, nonce: 'n', scope: 'mcp' }, 'JWT', /it carries nonce/],
      ['a Keycloak ID token from an audience mapper', { sub: 'agent-1', aud: resource, typ: 'ID', azp: 'client-app', scope: 'mcp' }, 'JWT', /its typ claim is not Bearer/],
      ['a Cognito ID token', { sub: 'agent-1', aud: resource, token_use: 'id', scope: 'mcp' }, null, /token_use is not access/],
      ['a JWT without its grant', { sub: 'agent-1', aud: resource }, 'JWT', /not provably an access token/],
    ];
    for (const [what, claims, typ, description] of idTokens) {
      const res = await post(server.url, INIT, bearer(await issuer.sign(claims, { typ })));
      assert.equal(res.status, 401, what);
      assert.match(res.headers.get('www-authenticate') ?? '', description, what);
      await res.body?.cancel();
    }
  });

  test('a valid token without the required scope gets 403 insufficient_scope', async () => {
    const res = await post(server.url, INIT, bearer(await valid({ scope: 'read' })));
    assert.equal(res.status, 403);
    const params = extractWWWAuthenticateParams(res);
    assert.equal(params.error, 'insufficient_scope');
    assert.equal(params.scope, 'mcp');
    await res.body?.cancel();
  });

  test('RFC 9728 metadata names this resource and the issuer, and the SDK client finds it', async () => {
    const metadata = await discoverOAuthProtectedResourceMetadata(new URL(resource));
    assert.equal(metadata.resource, resource);
    assert.deepEqual(metadata.authorization_servers, [issuer.url]);
    assert.deepEqual(metadata.scopes_supported, ['mcp']);
    assert.deepEqual(metadata.bearer_methods_supported, ['header']);
  });

  test('the SDK client authorizes through the metadata (client credentials) and works as the connection\'s identity', async () => {
    const provider = new ClientCredentialsProvider({ clientId: 'agent-7', clientSecret: 'agent-secret', scope: 'mcp', expectedIssuer: issuer.url });
    const session = await connectHttp(server.url, { authProvider: provider });
    try {
      assert.deepEqual((await session.client.listTools()).tools.map((t) => t.name), golden);
      const who = (await session.client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
      assert.match(resultText(who), /^user: eks-agent:pods-reader\n/, 'the cluster sees the connection, not the OAuth client');
    } finally {
      await session.close();
    }
    const accessToken = (await provider.tokens())?.access_token;
    assert.ok(accessToken);
    assert.ok(!server.stderr().includes(accessToken), 'the access token is never logged');
  });

  test('a session opened by one subject is refused to another subject of the same issuer', async () => {
    const owner = await connectHttp(server.url, { token: await valid() });
    try {
      const thief = await valid({ sub: 'agent-2' });
      const res = await post(server.url, LIST, { ...bearer(thief), 'mcp-session-id': owner.transport.sessionId!, 'mcp-protocol-version': PROTOCOL });
      assert.equal(res.status, 404);
      await res.body?.cancel();
      assert.deepEqual((await owner.client.listTools()).tools.map((t) => t.name), golden);
    } finally {
      await owner.close();
    }
  });
});

// --- stateless --------------------------------------------------------------------------------------------

describe('--stateless: for replicas behind a load balancer without affinity', () => {
  let server: HttpServer;
  before(async () => {
    server = await startHttp([...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), '--stateless', '--auth-tokens-file', tokensFile]);
  });
  after(() => server?.stop());

  test('each request stands alone: tools work, no session id is issued, GET and DELETE are 405', async () => {
    const session = await connectHttp(server.url, { token: alice });
    try {
      assert.equal(session.transport.sessionId, undefined);
      assert.deepEqual((await session.client.listTools()).tools.map((t) => t.name), golden);
      const pods = (await session.client.callTool({ name: 'pods_list', arguments: { namespace: 'team-a' } })) as CallToolResult;
      assert.ok(!pods.isError, resultText(pods));
    } finally {
      await session.client.close();
    }
    const init = await post(server.url, INIT, bearer(alice));
    assert.equal(init.status, 200);
    assert.equal(init.headers.get('mcp-session-id'), null);
    await init.body?.cancel();
    const list = await post(server.url, LIST, { ...bearer(alice), 'mcp-protocol-version': PROTOCOL });
    assert.equal(list.status, 200, 'a request needs no earlier initialize on this replica');
    assert.match(await list.text(), /"name":"pods_list"/);
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(server.url, { method, headers: { ...bearer(alice), accept: 'text/event-stream' } });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'POST');
      await res.body?.cancel();
    }
    assert.equal((await post(server.url, INIT, {})).status, 401, 'still authenticated');
  });
});

// --- tools/list_changed reaches connected clients ----------------------------------------------------------

describe('stateful sessions receive tools/list_changed when the role changes', () => {
  const binding = 'http-watcher';
  let server: HttpServer;
  before(async () => {
    server = await startHttp([...eksArgs(cluster, 'eks-mcp-agent', binding, 'team-b'), '--auth-tokens-file', tokensFile, '--refresh-interval', '1']);
  });
  after(async () => {
    kubectl(cluster, ['delete', 'role,rolebinding', binding, '-n', 'team-b', '--ignore-not-found']);
    await server?.stop();
  });

  test('a Role granted while the client is connected: one notification on its GET stream, then the new tool is listed', async () => {
    const session = await connectHttp(server.url, { token: alice });
    try {
      const before = (await session.client.listTools()).tools.map((t) => t.name);
      assert.ok(!before.includes('pods_list'), before.join(','));
      const changes = await toolListChanges(session.client);
      applyRole(cluster, { name: binding, namespace: 'team-b', user: `eks-agent:${binding}`, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] });
      await changes.next('the Role applied', 60_000);
      const after = (await session.client.listTools()).tools.map((t) => t.name);
      assert.ok(after.includes('pods_list'), after.join(','));
    } finally {
      await session.close();
    }
  });
});

// --- start-up refusals ---------------------------------------------------------------------------------------

describe('closed by default: what the server refuses to start with', () => {
  const run = (args: string[], extraEnv: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cliPath, 'serve', ...args, ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')], { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 30_000 });

  test('a non-loopback address without authentication, unless told so explicitly', () => {
    const refused = run(['--http', '--host', '0.0.0.0']);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /host 0\.0\.0\.0 is not a loopback address and no authentication is configured: set static tokens \(--auth-tokens-file or EKS_MCP_AUTH_TOKENS\) or an OAuth issuer \(--oauth-issuer with --resource-url\), or serve without authentication on purpose with --allow-unauthenticated \(--host or EKS_MCP_HOST\)/);
    assert.equal(refused.stdout, '');
  });

  test('bound to every address, only --allowed-origins are allowed: not even its own origin', async () => {
    const server = await startHttp([...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), '--host', '0.0.0.0'], { env: { EKS_MCP_AUTH_TOKENS: `alice:${alice}` } });
    try {
      const url = server.url.replace('0.0.0.0', '127.0.0.1');
      const status = async (headers: Record<string, string>) => {
        const res = await post(url, INIT, { ...bearer(alice), ...headers });
        await res.body?.cancel();
        return res.status;
      };
      for (const origin of [new URL(url).origin, `http://localhost:${new URL(url).port}`]) assert.equal(await status({ origin }), 403, origin);
      assert.equal(await status({}), 200, 'no Origin: not a browser');
    } finally {
      await server.stop();
    }
  });

  test('weak or conflicting credentials, and HTTP options without --http', () => {
    const weak = run(['--http'], { EKS_MCP_AUTH_TOKENS: 'alice:short' });
    assert.equal(weak.status, 2);
    assert.match(weak.stderr, /EKS_MCP_AUTH_TOKENS: entry 1 is shorter than 16 characters/);
    const missing = run(['--http', '--auth-tokens-file', join(dir, 'no-such-file')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read the token file .*no-such-file.*ENOENT/);
    const both = run(['--http', '--auth-tokens-file', tokensFile, '--oauth-issuer', 'https://issuer.example.com', '--resource-url', 'https://mcp.example.com/mcp']);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /choose one authentication: static tokens or an OAuth issuer/);
    const noResource = run(['--http', '--oauth-issuer', 'https://issuer.example.com']);
    assert.match(noResource.stderr, /resourceUrl is required with an OAuth issuer.*--resource-url or EKS_MCP_RESOURCE_URL/);
    const plainIssuer = run(['--http', '--oauth-issuer', 'http://issuer.example.com', '--resource-url', 'https://mcp.example.com/mcp']);
    assert.match(plainIssuer.stderr, /oauthIssuer an https:\/\/ URL \(http:\/\/ only on a loopback address\)/);
    const stray = run(['--port', '9000']);
    assert.equal(stray.status, 2);
    assert.match(stray.stderr, /--port is an HTTP option: add --http/);
  });
});

// --- the MCP Inspector's CLI mode -------------------------------------------------------------------------

describe('the MCP Inspector (CLI mode) against both transports', () => {
  // The Inspector does not pass its own environment to a stdio server: the AWS settings go in with -e, as the README shows.
  const inspector = async (args: string[]) => {
    const { stdout } = await promisify(execFile)('npx', ['--no-install', '@modelcontextprotocol/inspector', '--cli', ...args], {
      cwd: root, env: { PATH: env.PATH!, HOME: env.HOME!, npm_config_update_notifier: 'false' }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
  };

  test('stdio: node dist/cli.js … --method tools/list', async () => {
    const awsEnv = Object.entries(env).filter(([name]) => name.startsWith('AWS_')).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
    const out = await inspector([...awsEnv, process.execPath, cliPath, ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), '--method', 'tools/list']);
    assert.deepEqual((out['tools'] as Array<{ name: string }>).map((t) => t.name), golden);
  });

  test('HTTP with a bearer token: the /mcp URL with --transport http, listing and calling tools', async () => {
    const server = await startHttp([...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), '--auth-tokens-file', tokensFile]);
    try {
      const auth = ['--header', `Authorization: Bearer ${alice}`];
      const listed = await inspector([server.url, '--transport', 'http', ...auth, '--method', 'tools/list']);
      assert.deepEqual((listed['tools'] as Array<{ name: string }>).map((t) => t.name), golden);
      const called = await inspector([server.url, '--transport', 'http', ...auth, '--method', 'tools/call', '--tool-name', 'pods_list',
        '--tool-arg', 'namespace=team-a']);
      assert.equal(called['isError'], undefined, JSON.stringify(called));
      const page = readTable((called['content'] as Array<{ text: string }>)[0]!.text);
      assert.deepEqual([...page.columns].sort(), ['AGE', 'NAME', 'NODE', 'READY', 'RESTARTS', 'STATUS'], 'kubectl\'s columns, on the table or stated once above it');
      assert.ok(page.rows.length > 0);
      await assert.rejects(inspector([server.url, '--transport', 'http', '--method', 'tools/list']), 'without the token: refused');
    } finally {
      await server.stop();
    }
  });
});

// --- deployment -------------------------------------------------------------------------------------------

describe('manifests/deploy, the Dockerfile and mcp.json', () => {
  const deploy = join(root, 'manifests', 'deploy');

  test('the API server accepts every object (server-side dry run), and the Deployment is locked down', () => {
    const out = kubectl(cluster, ['apply', '--dry-run=server', '-f', deploy, '-o', 'json']);
    const items = ((JSON.parse(out) as { items?: unknown[] }).items ?? [JSON.parse(out)]) as Array<Record<string, any>>;
    const byKind = new Map(items.map((i) => [i['kind'] as string, i]));
    assert.deepEqual([...byKind.keys()].sort(), ['Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
    assert.equal(byKind.get('Service')!['spec']['sessionAffinity'] ?? 'None', 'None', 'no affinity: any replica answers');
    const selector = byKind.get('Deployment')!['spec']['selector']['matchLabels'];
    assert.deepEqual(byKind.get('PodDisruptionBudget')!['spec']['selector']['matchLabels'], selector);
    assert.equal(byKind.get('HorizontalPodAutoscaler')!['spec']['scaleTargetRef']['name'], byKind.get('Deployment')!['metadata']['name']);
    assert.ok(byKind.get('HorizontalPodAutoscaler')!['spec']['minReplicas'] >= 2);
    for (const item of items) assert.equal(item['metadata']['namespace'], 'eks-rbac-mcp', `${item['kind']} runs in the server's own namespace`);
    const account = byKind.get('ServiceAccount')!;
    assert.match(account['metadata']['annotations']['eks.amazonaws.com/role-arn'], /^arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/);
    const spec = byKind.get('Deployment')!['spec']['template']['spec'];
    assert.equal(spec.serviceAccountName, account['metadata']['name']);
    assert.equal(spec.automountServiceAccountToken, false, 'the server never uses its Kubernetes service account token');
    assert.equal(spec.securityContext.runAsNonRoot, true);
    const container = spec.containers[0];
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    for (const kind of ['requests', 'limits']) assert.ok(container.resources[kind].cpu && container.resources[kind].memory, kind);
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    const service = byKind.get('Service')!;
    assert.equal(service['spec']['ports'][0]['targetPort'], container.ports[0].name);
    const policy = byKind.get('NetworkPolicy')!;
    assert.deepEqual([...policy['spec']['policyTypes']].sort(), ['Egress', 'Ingress']);

    // The container's arguments and environment make a configuration the server accepts.
    const variables = Object.fromEntries((container.env as Array<{ name: string; value?: string }>).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    const args = container.args as string[];
    assert.deepEqual(args.slice(0, 2), ['serve', '--http']);
    const flags: Partial<Record<HttpFieldName, string>> = {};
    for (let i = 2; i < args.length; i += 2) flags[args[i]!.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as HttpFieldName] = args[i + 1]!;
    const http = loadHttpConfig(flags, { ...variables, EKS_MCP_HTTP: 'true' });
    assert.equal(http.stateless, true, 'replicas behind a plain Service: 2025 clients are served per request too');
    assert.equal(http.port, container.ports[0].containerPort);
    assert.ok(http.authTokensFile || http.oauthIssuer, 'authenticated: it listens on every address');
    assert.equal(loadConfig({}, variables).namespaces.length > 0, true);
  });

  test('the Pod Identity association matches botocore\'s model', () => {
    const check = `
import json, sys, botocore.session
from botocore.validate import validate_parameters
model = botocore.session.get_session().get_service_model('eks').operation_model('CreatePodIdentityAssociation')
validate_parameters(json.load(open(sys.argv[1])), model.input_shape)
print('ok')`;
    const out = spawnSync('python3', ['-c', check, join(root, 'manifests', 'aws', 'pod-identity-association.json')], { encoding: 'utf8' });
    assert.equal(out.stdout.trim(), 'ok', out.stderr);
  });

  test('mcp.json also has the HTTP form, with the token from the environment', () => {
    const servers = (JSON.parse(readFileSync(join(root, 'mcp.json'), 'utf8')) as { mcpServers: Record<string, { type?: string; url?: string; headers?: Record<string, string> }> }).mcpServers;
    const http = Object.values(servers).find((s) => s.type === 'http');
    assert.ok(http, 'an entry with "type": "http"');
    assert.match(http.url ?? '', /^https?:\/\/[^/]+\/mcp$/);
    assert.match(http.headers?.['Authorization'] ?? '', /^Bearer \$\{[A-Z_]+\}$/);
  });
});
