import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, isLoopbackHost, loadHttpConfig } from '../../src/config.ts';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { isLegacyRequest } from '@modelcontextprotocol/server';
import { toWebRequest } from '@modelcontextprotocol/node';
import { allowedOriginsFor, isLegacy, routeOf } from '../../src/server/http.ts';
import { SessionTable } from '../../src/server/sessions.ts';
import { originAllowed } from '../../src/server/guards.ts';

function problems(flags: Record<string, string>, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadHttpConfig(flags, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

test('HTTP defaults: loopback, port 8080, stateful, bounded requests', () => {
  const config = loadHttpConfig({ http: 'true' }, {});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8080);
  assert.equal(config.stateless, false);
  assert.equal(config.rateLimit, 600);
  assert.equal(config.maxBodyBytes, 1024 * 1024);
  assert.equal(config.requestTimeout, 30);
  assert.equal(config.sessionIdleTimeout, 1800);
});

test('settings from the environment; flags win', () => {
  const config = loadHttpConfig({ port: '9000' }, { EKS_MCP_PORT: '1', EKS_MCP_STATELESS: 'true', EKS_MCP_AUTH_TOKENS: 'x', EKS_MCP_HOST: '0.0.0.0', EKS_MCP_ALLOWED_ORIGINS: 'https://a.example.com, https://b.example.com' });
  assert.equal(config.port, 9000);
  assert.equal(config.stateless, true);
  assert.deepEqual(config.allowedOrigins, ['https://a.example.com', 'https://b.example.com']);
});

test('closed by default: a non-loopback address needs authentication or an explicit opt-out', () => {
  assert.match(problems({ host: '0.0.0.0' }).join('\n'), /host 0\.0\.0\.0 is not a loopback address and no authentication is configured.*--allow-unauthenticated \(--host or EKS_MCP_HOST\)/);
  assert.deepEqual(problems({ host: '0.0.0.0', allowUnauthenticated: 'true' }), []);
  assert.deepEqual(problems({ host: '0.0.0.0', authTokensFile: '/etc/tokens' }), []);
  assert.deepEqual(problems({ host: '0.0.0.0', oauthIssuer: 'https://issuer.example.com', resourceUrl: 'https://mcp.example.com/mcp' }), []);
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.ok(isLoopbackHost(host), host);
  for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) assert.ok(!isLoopbackHost(host), host);
});

test('authentication settings that cannot work together are refused, naming flag and variable', () => {
  const found = (flags: Record<string, string>, env: NodeJS.ProcessEnv = {}) => problems(flags, env).join('\n');
  assert.match(found({ authTokensFile: '/f' }, { EKS_MCP_AUTH_TOKENS: 'x' }), /give static tokens once.*\(EKS_MCP_AUTH_TOKENS\)/);
  assert.match(found({ authTokensFile: '/f', oauthIssuer: 'https://i.example.com', resourceUrl: 'https://m.example.com/mcp' }), /choose one authentication/);
  assert.match(found({ oauthIssuer: 'https://i.example.com' }), /resourceUrl is required with an OAuth issuer.*\(--resource-url or EKS_MCP_RESOURCE_URL\)/);
  assert.match(found({ oauthScopes: 'mcp' }), /oauthScopes needs an OAuth issuer/);
  assert.match(found({ oauthIssuer: 'http://i.example.com', resourceUrl: 'https://m.example.com/mcp' }), /oauthIssuer an https:\/\/ URL \(http:\/\/ only on a loopback address\)/);
  assert.deepEqual(problems({ oauthIssuer: 'http://127.0.0.1:9000', resourceUrl: 'http://127.0.0.1:8080/mcp' }), []);
  assert.match(found({ oauthIssuer: 'https://i.example.com', resourceUrl: 'https://m.example.com/mcp#x' }), /without a #fragment/);
  assert.match(found({ allowedOrigins: 'https://a.example.com/path' }), /each origin must be scheme:\/\/host\[:port\]/);
  assert.match(found({ allowedOrigins: '*' }), /no wildcard/);
  assert.match(found({ port: '70000' }), /port a TCP port/);
  assert.match(found({ maxBodyBytes: '10' }), /at least 1024 bytes/);
});

test('sessions belong to their principal; idle ones are found, busy ones never', () => {
  const table = new SessionTable<{ id: string; principal: string; lastSeenMs: number; inFlight: number }>();
  table.add({ id: 's1', principal: 'static:alice', lastSeenMs: 0, inFlight: 0 });
  table.add({ id: 's2', principal: 'static:alice', lastSeenMs: 0, inFlight: 1 });
  table.add({ id: 's3', principal: 'static:bob', lastSeenMs: 900, inFlight: 0 });
  assert.equal(table.lookup('s1', 'static:alice').kind, 'ok');
  assert.equal(table.lookup('s1', 'static:bob').kind, 'other-principal');
  assert.equal(table.lookup('nope', 'static:alice').kind, 'not-found');
  assert.equal(table.countFor('static:alice'), 2);
  assert.deepEqual(table.idle(1000, 500).map((s) => s.id), ['s1']);
  assert.equal(table.remove('s1'), true);
  assert.equal(table.remove('s1'), false);
  assert.equal(table.size, 2);
});

test('route labels are a fixed set', () => {
  assert.deepEqual(['/mcp', '/healthz', '/readyz', '/metrics', '/.well-known/oauth-protected-resource/mcp', '/anything/else'].map(routeOf),
    ['mcp', 'healthz', 'readyz', 'metrics', 'well-known', 'other']);
});

test('2025 or 2026-07-28: classified from the Node request as the SDK classifies the web Request built from it', async () => {
  const modern = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' } };
  const bodies: unknown[] = [
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'pods_get', arguments: {} } },
    { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'pods_get', arguments: {}, _meta: modern } },
    { jsonrpc: '2.0', id: 4, method: 'tools/list', params: { _meta: modern } },
    { jsonrpc: '2.0', id: 5, method: 'server/discover' },
    [{ jsonrpc: '2.0', id: 6, method: 'ping' }],
    { jsonrpc: '2.0', id: 7, result: {} },
    'not an object',
  ];
  const headerSets: Array<Record<string, string | string[]>> = [
    {},
    { 'mcp-protocol-version': '2025-11-25' },
    { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'pods_get' },
    { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
    { 'mcp-method': ['tools/call', 'tools/list'] },
  ];
  let legacy = 0;
  for (const body of bodies) {
    for (const extra of headerSets) {
      const req = Object.assign(Readable.from([]), {
        method: 'POST', url: '/mcp', headers: { host: '127.0.0.1', 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...extra },
      }) as unknown as IncomingMessage;
      const expected = await isLegacyRequest(await toWebRequest(req, body), body);
      assert.equal(isLegacy(req, body), expected, `${JSON.stringify(body)} with ${JSON.stringify(extra)}`);
      if (expected) legacy += 1;
    }
  }
  assert.ok(legacy > 0 && legacy < bodies.length * headerSets.length, 'both eras occur among the cases');
});

test('on loopback the server\'s own origin is allowed at its port, beside --allowed-origins; any other binding allows only what it is told', () => {
  const loopback = allowedOriginsFor({ host: '127.0.0.1', allowedOrigins: undefined }, 8080);
  for (const origin of ['http://localhost:8080', 'http://127.0.0.1:8080', 'http://[::1]:8080', 'HTTP://LOCALHOST:8080']) {
    assert.equal(originAllowed(origin, loopback), true, origin);
  }
  for (const origin of ['http://localhost:8081', 'https://localhost:8080', 'http://localhost', 'http://127.0.0.2:8080', 'http://localhost.evil.example:8080', 'http://evil.example:8080']) {
    assert.equal(originAllowed(origin, loopback), false, origin);
  }
  const both = allowedOriginsFor({ host: 'localhost', allowedOrigins: ['https://agents.example.com'] }, 9000);
  assert.equal(originAllowed('https://agents.example.com', both), true);
  assert.equal(originAllowed('http://localhost:9000', both), true);
  for (const host of ['0.0.0.0', '10.0.0.7', '::']) {
    assert.deepEqual(allowedOriginsFor({ host, allowedOrigins: undefined }, 8080), [], host);
    assert.deepEqual(allowedOriginsFor({ host, allowedOrigins: ['https://agents.example.com'] }, 8080), ['https://agents.example.com'], host);
  }
});
