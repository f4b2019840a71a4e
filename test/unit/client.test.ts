// The kube client's connections: kept alive and bounded, and a kept-alive socket holds nothing of past requests
// (it once kept a listener per request, and with it every response body: memory grew ~20 KB a call).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { Agent } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki } from '../cluster/pki.ts';
import { KubeClient } from '../../src/kube/client.ts';

test('requests share a bounded pool of kept-alive TLS connections, which keep no listener per request', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-client-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = createPki(dir);
  const tls = pki.serving('apiserver');
  let connections = 0;
  let inFlight = 0;
  let mostInFlight = 0;
  const server = createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    setTimeout(() => {
      inFlight -= 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Pod', auth: req.headers.authorization }));
    }, 5);
  });
  server.on('secureConnection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const { port } = server.address() as { port: number };
  const kube = new KubeClient(`https://127.0.0.1:${port}`, readFileSync(pki.caCert), {
    async apply(options) {
      options.headers = { ...(options.headers as Record<string, string>), authorization: 'Bearer t' };
    },
  });

  for (let i = 0; i < 50; i += 1) assert.deepEqual(await kube.json({ path: '/api/v1/pods/x' }), { kind: 'Pod', auth: 'Bearer t' });
  assert.equal(connections, 1, 'one after another, the requests reuse one connection');
  const agent = (kube as unknown as { pool: { agent: Agent } }).pool.agent;
  const sockets = Object.values(agent.freeSockets).flat();
  assert.ok(sockets.length >= 1);
  for (const socket of sockets) assert.equal(socket!.listenerCount('secureConnect'), 0, 'no listener left behind by the 50 requests');

  await Promise.all(Array.from({ length: 30 }, () => kube.json({ path: '/api/v1/pods/x' })));
  assert.ok(mostInFlight <= 8, `a burst of 30 holds at most 8 connections (saw ${mostInFlight} requests at once)`);
  assert.ok(connections <= 8, `at most 8 connections were opened (saw ${connections})`);
  agent.destroy();
});
