// Bad JSON-RPC frames, generated with fast-check (seeded; the seed is printed): truncated, oversized, wrong types,
// unknown methods, huge ids, deep nesting, batches, over stdio and over HTTP. Whatever arrives, the server stays
// up, answers each request it can parse with a JSON-RPC error or a result (never a crash or a hang), sends nothing
// to the cluster that the role does not grant, and still answers a good request afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { apiRequests, auditMark, cliPath, eksArgs, hostEnv, startHttp, useCluster, waitFor } from './helpers.ts';

const cluster = await useCluster();
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env['FRAME_RUNS'] ?? 300);
const USER = 'eks-agent:pods-reader';

const methods = fc.constantFrom('tools/list', 'tools/call', 'server/discover', 'initialize', 'ping', 'resources/list', 'no/such', '', 'tools/call\u0000', 'x'.repeat(5000));
const id = fc.oneof(fc.integer(), fc.constant(Number.MAX_SAFE_INTEGER * 1e10), fc.string({ maxLength: 30 }), fc.constant(null), fc.constant({}), fc.constant([1]));
const params = fc.oneof(
  fc.constant(undefined), fc.anything({ maxDepth: 3 }),
  fc.record({ name: fc.oneof(fc.constantFrom('pods_list', 'pods_delete', 'whoami'), fc.string()), arguments: fc.oneof(fc.anything({ maxDepth: 2 }), fc.constant({ namespace: 'kube-system' })) }),
);
const message = fc.record({ jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('1.0'), fc.integer()), id, method: methods, params }, { requiredKeys: ['method'] });
/** A frame as text: a message, a batch, something truncated, something that is not JSON-RPC, or a big one. */
const frame = fc.oneof(
  { weight: 5, arbitrary: message.map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: fc.array(message, { maxLength: 100 }).map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: message.chain((m) => fc.integer({ min: 1, max: 40 }).map((n) => JSON.stringify(m).slice(0, n))) },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.constant('null'), fc.constant('42'), fc.constant('"x"'), fc.constant('{}')) },
  { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 2_000_000 }).map((n) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(n) } })) },
  // Deep nesting, written as text: the test's own JSON.stringify would overflow first.
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 20_000 }).map((n) => `{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"whoami","arguments":{"x":${'['.repeat(n)}${']'.repeat(n)}}}}`) },
);
const frames = fc.sample(frame, { numRuns: RUNS, seed: SEED });

test(`stdio: ${RUNS} bad frames (seed ${SEED}), then a good request is still answered`, async (t) => {
  t.diagnostic(`FUZZ_SEED=${SEED} replays this run`);
  const mark = auditMark(cluster);
  const child = spawn(process.execPath, [cliPath, ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')], { env: hostEnv(cluster), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const replies: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const parsed = (() => { try { return JSON.parse(line) as Record<string, unknown>; } catch { return undefined; } })();
    assert.ok(parsed, `stdout carries only JSON-RPC: ${line.slice(0, 200)}`);
    replies.push(parsed);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const send = (text: string) => child.stdin.write(`${text}\n`);
  try {
    send(JSON.stringify({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz', version: '0' } } }));
    await waitFor('initialize answered', () => replies.find((r) => r['id'] === 'init'), 30_000);
    send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    for (const f of frames) send(f.replace(/\n/g, ' '));
    send(JSON.stringify({ jsonrpc: '2.0', id: 'last', method: 'tools/call', params: { name: 'whoami', arguments: {} } }));
    const last = await waitFor('the good request after the bad frames', () => replies.find((r) => r['id'] === 'last'), 60_000);
    assert.ok(last['result'], JSON.stringify(last));
    assert.equal(child.exitCode, null, `still running:\n${stderr.slice(-2000)}`);
    // Memory stays bounded: a few hundred frames, megabytes among them, leave the process well under its deploy limit.
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
    assert.ok(rssKiB < 256 * 1024, `RSS ${Math.round(rssKiB / 1024)} MiB after the frames`);
    for (const reply of replies) assert.ok('result' in reply || ('error' in reply && typeof (reply['error'] as { message?: unknown }).message === 'string') || 'method' in reply, JSON.stringify(reply).slice(0, 300));
    const sent = apiRequests(cluster, USER, mark).filter((r) => r.verb === 'delete' || r.namespace === 'kube-system');
    assert.deepEqual(sent, [], 'nothing the role does not grant');
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

test(`HTTP: ${RUNS} bad bodies (seed ${SEED}) get a status and a JSON-RPC error; the server stays up`, async () => {
  const server = await startHttp(eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), { env: hostEnv(cluster) });
  const allowed = new Set([200, 202, 400, 404, 405, 406, 413, 415]);
  try {
    for (const [i, body] of frames.entries()) {
      const modern = i % 2 === 0;
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(modern ? { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' } : {}) },
        body,
      });
      assert.ok(allowed.has(res.status), `status ${res.status} for ${body.slice(0, 120)}`);
      const text = await res.text();
      if (res.status >= 400) {
        const parsed = JSON.parse(text) as { jsonrpc?: string; error?: { message?: string } };
        assert.equal(parsed.jsonrpc, '2.0', `a JSON-RPC error body for ${body.slice(0, 120)}: ${text.slice(0, 200)}`);
        assert.equal(typeof parsed.error?.message, 'string');
      }
    }
    const health = await fetch(new URL('/healthz', server.url));
    assert.equal(health.status, 200);
    const discover = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } }),
    });
    assert.equal(discover.status, 200, await discover.text());
  } finally {
    await server.stop();
  }
});
