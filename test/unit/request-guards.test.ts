// The guards of an /mcp request, each on its own (no HTTP server): what it lets on, what it answers, and what it
// leaves for the next; the loop that runs them; the era routing after them. The order they run in is http.ts's
// mcpGuards, exercised end to end by test/http.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { loadHttpConfig } from '../../src/config.ts';
import { createAuth } from '../../src/server/auth.ts';
import {
  ANSWERED, bearerGuard, bodyGuard, corsGuard, hostGuard, jsonGuard, MAX_JSON_DEPTH, originGuard, rateLimitGuard, RateLimiter, readinessGuard,
  requestCount, runGuards, throttleGuard, type Guard, type Inbound, type Verdict,
} from '../../src/server/guards.ts';
import type { Answer } from '../../src/server/answer.ts';
import { servingOf } from '../../src/server/http.ts';
import { recordingLog } from './auth-helpers.ts';

/** A request as the guards read it: method, headers, body chunks; and a response that keeps the headers set on it. */
function inbound(method: string, headers: Record<string, string> = {}, chunks: string[] = []): Inbound & { headers: Record<string, unknown> } {
  const req = Object.assign(Readable.from(chunks.map((c) => Buffer.from(c))), { method, url: '/mcp', headers: { host: '127.0.0.1:8080', ...headers } });
  const set: Record<string, unknown> = {};
  const res = Object.assign(new EventEmitter(), { setHeader: (name: string, value: unknown) => void (set[name.toLowerCase()] = value) });
  return { req: req as unknown as IncomingMessage, res: res as unknown as ServerResponse, headers: set };
}

/** The JSON-RPC error of an answer. */
function rpcError(verdict: Verdict): { status: number; code: number; message: string; rejection?: string } {
  const answer = verdict as Answer;
  const { error } = JSON.parse(answer.body!) as { error: { code: number; message: string } };
  return { status: answer.status, code: error.code, message: error.message, ...(answer.rejection ? { rejection: answer.rejection } : {}) };
}

test('Host: only the allowed names pass, whatever the port', async () => {
  const guard = hostGuard(['localhost', '127.0.0.1', '[::1]']);
  assert.equal(await guard(inbound('POST', { host: 'localhost:9000' })), undefined);
  const refused = rpcError(await guard(inbound('POST', { host: 'rebound.example.com:8080' })));
  assert.equal(refused.status, 403);
  assert.match(refused.message, /^Forbidden: .*rebound\.example\.com/);
});

test('Origin: none passes (not a browser); an allowed one passes; any other is refused and counted', async () => {
  let asked = 0;
  const guard = originGuard(() => (asked += 1, ['https://agents.example.com']));
  assert.equal(await guard(inbound('POST')), undefined);
  assert.equal(await guard(inbound('POST', { origin: 'https://agents.example.com' })), undefined);
  assert.deepEqual(rpcError(await guard(inbound('POST', { origin: 'https://evil.example.com' }))),
    { status: 403, code: -32000, message: 'Forbidden: this Origin is not allowed (see --allowed-origins)', rejection: 'forbidden-origin' });
  assert.ok(asked > 0, 'the list is asked for when a request comes, once the port is known');
});

test('CORS: an Origin gets the headers on whatever answers next; a preflight is answered here, without credentials', async () => {
  const post = inbound('POST', { origin: 'https://agents.example.com' });
  assert.equal(await corsGuard(post), undefined);
  assert.equal(post.headers['access-control-allow-origin'], 'https://agents.example.com');
  assert.match(String(post.headers['access-control-expose-headers']), /Mcp-Session-Id/);
  const plain = inbound('POST');
  assert.equal(await corsGuard(plain), undefined);
  assert.deepEqual(plain.headers, {}, 'no Origin, no CORS headers');
  const preflight = inbound('OPTIONS', { origin: 'https://agents.example.com' });
  assert.deepEqual(await corsGuard(preflight), { status: 204 });
  assert.equal(preflight.headers['access-control-allow-origin'], 'https://agents.example.com');
});

test('the failed-authentication throttle: it lets the request on, answers it itself, or fails with its error', async () => {
  const passing = throttleGuard((_req, _res, next) => next());
  assert.equal(await passing(inbound('POST')), undefined);
  const answering = throttleGuard((_req, res) => void res.emit('finish'));
  assert.equal(await answering(inbound('POST')), ANSWERED);
  const failing = throttleGuard((_req, _res, next) => next(new Error('verifier down')));
  await assert.rejects(async () => failing(inbound('POST')), /verifier down/);
});

test('bearer: a valid token passes and names the principal; any other gets the SDK\'s challenge', async () => {
  const token = 'alice-token-0123456789abcdef';
  const auth = (await createAuth(loadHttpConfig({}, { EKS_MCP_AUTH_TOKENS: `alice:${token}` }), recordingLog().log))!;
  const guard = bearerGuard(auth);
  const ok = inbound('POST', { authorization: `Bearer ${token}` });
  assert.equal(await guard(ok), undefined);
  assert.equal(ok.req.auth?.extra?.['principal'], 'static:alice');
  for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${token}`]) {
    const refused = (await guard(inbound('POST', authorization ? { authorization } : {}))) as Answer;
    assert.equal(refused.status, 401, String(authorization));
    assert.match(refused.headers?.['www-authenticate'] ?? '', /^Bearer error="invalid_token"/, String(authorization));
    assert.equal((JSON.parse(refused.body!) as { error: string }).error, 'invalid_token');
  }
});

test('readiness: MCP waits for discovery, and refuses once the server is shutting down', async () => {
  const state: { serving?: unknown; shuttingDown: boolean } = { shuttingDown: false };
  const guard = readinessGuard(state);
  assert.deepEqual(rpcError(await guard(inbound('POST'))), { status: 503, code: -32000, message: 'The server is starting: retry shortly', rejection: 'not-ready' });
  assert.equal(((await guard(inbound('POST'))) as Answer).headers?.['Retry-After'], '2');
  state.serving = {};
  assert.equal(await guard(inbound('POST')), undefined);
  state.shuttingDown = true;
  assert.equal(rpcError(await guard(inbound('POST'))).message, 'The server is shutting down: reconnect');
});

test('body: a POST is read within the limit; a larger one is refused, declared or streamed, its rest read and dropped', async () => {
  const guard = bodyGuard(1024);
  const get = inbound('GET');
  assert.equal(await guard(get), undefined);
  assert.equal(get.raw, undefined, 'a GET has no body to read');
  const small = inbound('POST', {}, ['{"jsonrpc":', '"2.0"}']);
  assert.equal(await guard(small), undefined);
  assert.equal(small.raw, '{"jsonrpc":"2.0"}');
  for (const large of [inbound('POST', { 'content-length': '4096' }), inbound('POST', {}, ['x'.repeat(600), 'x'.repeat(600)])]) {
    const refused = (await guard(large)) as Answer;
    assert.deepEqual(rpcError(refused), { status: 413, code: -32000, message: 'Request body larger than 1024 bytes (--max-body-bytes)' });
    assert.equal(refused.headers?.['connection'], undefined, 'the connection stays usable');
    await finished(large.req); // read to its end, not cut under the client (which would then miss its 413)
    assert.equal(large.raw, undefined);
  }
});

test('JSON: parsed once, the text let go; not JSON, or nested too deep, is refused before the SDK sees it', async () => {
  const ok = Object.assign(inbound('POST'), { raw: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
  assert.equal(await jsonGuard(ok), undefined);
  assert.deepEqual(ok.body, { jsonrpc: '2.0', id: 1, method: 'ping' });
  assert.equal(ok.raw, undefined);
  assert.equal(await jsonGuard(inbound('GET')), undefined, 'nothing read, nothing to parse');
  assert.deepEqual(rpcError(await jsonGuard(Object.assign(inbound('POST'), { raw: '{"jsonrpc": "2.0",' }))),
    { status: 400, code: -32700, message: 'Parse error: the body is not JSON' });
  const deep = `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`;
  assert.deepEqual(rpcError(await jsonGuard(Object.assign(inbound('POST'), { raw: deep }))),
    { status: 400, code: -32600, message: `Invalid Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels` });
});

test('rate limit: per principal, a batch counting as the requests it holds', async () => {
  const guard = rateLimitGuard(new RateLimiter(3, () => 0));
  const as = (principal: string, body: unknown) => Object.assign(inbound('POST'), { body, req: Object.assign(inbound('POST').req, { auth: { extra: { principal } } }) });
  const call = { jsonrpc: '2.0', id: 1, method: 'tools/call' };
  assert.equal(requestCount([call, call, { jsonrpc: '2.0', method: 'notifications/initialized' }]), 2);
  assert.equal(await guard(as('static:alice', [call, call])), undefined);
  assert.equal(await guard(as('static:alice', call)), undefined);
  assert.deepEqual(rpcError(await guard(as('static:alice', call))), { status: 429, code: -32000, message: 'Too many requests: retry in 20 s', rejection: 'rate-limited' });
  assert.equal(((await guard(as('static:alice', call))) as Answer).headers?.['Retry-After'], '20');
  assert.equal(await guard(as('static:bob', call)), undefined, 'another principal has its own budget');
});

test('the guards run in order up to the first that ends the request; the ones after it never run', async () => {
  const ran: string[] = [];
  const step = (name: string, verdict?: Verdict): Guard => () => (ran.push(name), verdict);
  const refusal: Answer = { status: 403 };
  assert.equal(await runGuards([step('a'), step('b', refusal), step('c')], inbound('POST')), refusal);
  assert.deepEqual(ran, ['a', 'b']);
  ran.length = 0;
  assert.equal(await runGuards([step('a'), async () => (ran.push('b'), undefined), step('c')], inbound('POST')), undefined);
  assert.deepEqual(ran, ['a', 'b', 'c']);
});

test('era routing: 2025 traffic to a session, 2026-07-28 alone; with --stateless every request alone', () => {
  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } };
  const modern = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } };
  const req = (method: string, headers: Record<string, string> = {}) => inbound(method, { accept: 'application/json, text/event-stream', ...headers }).req;
  assert.equal(servingOf(req('POST'), initialize, false), 'session');
  assert.equal(servingOf(req('POST', { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' }), modern, false), 'per-request');
  assert.equal(servingOf(req('GET', { 'mcp-session-id': 'abc' }), undefined, false), 'session', 'a GET stream of a session');
  assert.equal(servingOf(req('DELETE', { 'mcp-session-id': 'abc' }), undefined, false), 'session');
  assert.equal(servingOf(req('GET'), undefined, false), 'per-request', 'no session named: nothing of 2025 to stream');
  assert.equal(servingOf(req('POST'), initialize, true), 'per-request');
  assert.equal(servingOf(req('GET', { 'mcp-session-id': 'abc' }), undefined, true), 'per-request');
});
