// Authentication through the real HTTP server: token revocation when the token file changes, and the 401 backoff.
// Every request goes to 127.0.0.1.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { eksArgs, hostEnv, startHttp, useCluster, waitFor } from './helpers.ts';

const cluster = await useCluster();
const env = hostEnv(cluster);
const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-http-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };

function initialize(url: string, token: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify(INIT),
  }).then(async (res) => {
    await res.body?.cancel();
    return res;
  });
}

test('emptying or breaking the token file revokes every token over HTTP, and the log names no token', async () => {
  const alice = randomBytes(24).toString('hex');
  const file = join(dir, 'tokens-revoke');
  writeFileSync(file, `alice:${alice}\n`);
  const server = await startHttp([...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), '--auth-tokens-file', file, '--rate-limit', '0'], { env });
  try {
    assert.equal((await initialize(server.url, alice)).status, 200);
    for (const broken of ['', `# alice:${alice}\n`, `alice:${alice}\nbob:tooShort1\n`]) {
      writeFileSync(file, broken);
      // Refused: 401, or 429 once the repeated 401s of this loop put the address in backoff.
      await waitFor(`the change ${JSON.stringify(broken)} to revoke alice`, async () => ([401, 429].includes((await initialize(server.url, alice)).status) ? true : undefined));
      writeFileSync(file, `alice:${alice}\n# restored ${broken.length}\n`);
      await waitFor('alice to be accepted again', async () => ((await initialize(server.url, alice)).status === 200 ? true : undefined));
    }
    assert.match(server.stderr(), /refusing every static token/);
    assert.ok(!server.stderr().includes(alice) && !server.stderr().includes('tooShort1'), 'no token in the log');
  } finally {
    await server.stop();
  }
});

test('repeated 401s for bad tokens from one address get 429 with Retry-After; a valid token from that address still gets in', async () => {
  const valid = randomBytes(24).toString('hex');
  const file = join(dir, 'tokens-throttle');
  writeFileSync(file, `alice:${valid}\n`);
  const server = await startHttp([...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), '--auth-tokens-file', file, '--rate-limit', '0'], { env });
  try {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i += 1) {
      const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(INIT) });
      assert.equal(res.status, 401, 'no token at all: the start of an OAuth flow, not a guess, never throttled');
      await res.body?.cancel();
    }
    for (let i = 0; i < 23; i += 1) {
      const res = await initialize(server.url, randomBytes(24).toString('hex'));
      statuses.push(res.status);
      retryAfter ??= res.headers.get('retry-after');
    }
    assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401), statuses.join());
    assert.deepEqual(statuses.slice(20), [429, 429, 429], statuses.join());
    assert.ok(Number(retryAfter) >= 1, `Retry-After: ${retryAfter}`);
    assert.equal((await initialize(server.url, valid)).status, 200, 'a valid token is never locked out');
    assert.equal((await initialize(server.url, 'x'.repeat(40))).status, 429, 'and the address is still backing off for bad ones');
  } finally {
    await server.stop();
  }
});
