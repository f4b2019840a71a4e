// Permissions, credentials and the cluster change while the server runs: Roles edited mid-session, tokens
// expiring, STS down, the API server failing or restarting. A fault proxy of our own sits in between.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { kubectl, startCluster } from './cluster/cluster.ts';
import { issueServingCert } from './cluster/pki.ts';
import { FaultProxy } from './fault-proxy.ts';
import { apiRequests, applyRole as applyRoleAs, auditLines, auditMark, connectServer, eksArgs, hostEnv, toolListChanges, useCluster, waitFor, resultText, type RoleRule, type Session } from './helpers.ts';
import { KubeClient } from '../src/kube/client.ts';
import { ConnectionError, KubeApiError } from '../src/kube/errors.ts';
import { CachedCredentials, assumeRole, IdentityLapsedError } from '../src/aws/credentials.ts';
import { EksTokenAuthenticator } from '../src/aws/eks-auth.ts';

const cluster = await useCluster();
let apiProxy: FaultProxy;

before(async () => {
  const tls = issueServingCert(cluster.dir, `fault-proxy-${randomBytes(4).toString('hex')}`);
  apiProxy = await FaultProxy.start(cluster.endpoint, { caFile: cluster.caFile, tls });
});
after(() => apiProxy.close());

const call = async (s: Session, name: string, args: Record<string, unknown>) => (await s.client.callTool({ name, arguments: args })) as CallToolResult;
const toolNames = async (s: Session) => (await s.client.listTools()).tools.map((t) => t.name);
const adminAuth = { apply: async (o: { headers?: unknown }) => void (o.headers = { ...(o.headers as object), authorization: `Bearer ${cluster.adminToken}` }) };

function throughProxy(args: string[]): string[] {
  const out = [...args];
  out[out.indexOf('--endpoint') + 1] = apiProxy.url;
  return out;
}

function applyRole(user: string, name: string, rules: RoleRule[]): void {
  applyRoleAs(cluster, { name, namespace: 'team-b', user, rules });
}

test('a Role edited mid-session: the tool list follows within the interval, one notification per change', async () => {
  applyRole('eks-agent:live', 'live', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
  const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'live', 'team-b'), '--refresh-interval', '1'], hostEnv(cluster));
  const changes = await toolListChanges(session.client);
  try {
    // get pods also offers resources_describe (get on any kind).
    assert.deepEqual(await toolNames(session), ['whoami', 'can_i', 'pods_list', 'pods_get', 'resources_describe']);
    applyRole('eks-agent:live', 'live', [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }]);
    await changes.next('pods/log granted');
    assert.deepEqual(await toolNames(session), ['whoami', 'can_i', 'pods_list', 'pods_get', 'pods_log', 'resources_describe'], 'granted: appears');
    assert.equal(changes.count(), 1, 'one notification for the change');
    applyRole('eks-agent:live', 'live', [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }]);
    await changes.next('pods taken away');
    assert.deepEqual(await toolNames(session), ['whoami', 'can_i', 'pods_log'], 'taken away: disappears');
    assert.match(resultText(await call(session, 'pods_list', { namespace: 'team-b' })), /pods_list is not offered/);
    // Wait for two more refreshes to have happened (their rules reviews in the audit log), not for a time.
    const mark = auditMark(cluster);
    await waitFor('two unchanged refreshes', () => (apiRequests(cluster, 'eks-agent:live', mark).filter((r) => r.resource === 'selfsubjectrulesreviews').length >= 2 ? true : undefined));
    assert.equal(changes.count(), 2, 'unchanged refreshes announce nothing');
  } finally {
    await session.close();
  }
});

test('a 403 on an advertised tool re-discovers at once (no interval)', async () => {
  applyRole('eks-agent:revoked', 'revoked', [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }]);
  const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'revoked', 'team-b'), '--refresh-interval', '0'], hostEnv(cluster));
  const changes = await toolListChanges(session.client);
  try {
    assert.ok((await toolNames(session)).includes('pods_list'));
    kubectl(cluster, ['delete', 'rolebinding', 'revoked', '-n', 'team-b']);
    // RBAC's cache needs a moment to see the deletion: wait for the refusal itself.
    const result = await waitFor('the deleted binding to take effect', async () => {
      const r = await call(session, 'pods_list', { namespace: 'team-b' });
      return r.isError ? r : undefined;
    });
    assert.match(resultText(result), /Forbidden \(HTTP 403\)/);
    await changes.next('the 403');
    assert.ok(!(await toolNames(session)).includes('pods_list'));
  } finally {
    await session.close();
  }
});

test('reads ride out 503, 429 with Retry-After, resets and delays; the next good call succeeds', async () => {
  const session = await connectServer(throughProxy(eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')), hostEnv(cluster));
  try {
    await session.client.listTools(); // the handshake is answered while discovery runs: count requests only after it
    for (const faults of [[{ kind: 'status', status: 503 }, { kind: 'status', status: 502 }], [{ kind: 'status', status: 429, retryAfter: 1 }],
      [{ kind: 'reset' }], [{ kind: 'delay', ms: 300 }], [{ kind: 'status', status: 500 }]] as const) {
      const before = apiProxy.received;
      apiProxy.inject(...faults);
      const result = await call(session, 'pods_list', { namespace: 'team-a' });
      assert.ok(!result.isError, `${JSON.stringify(faults)}: ${resultText(result)}`);
      assert.equal(apiProxy.received - before, faults.filter((f) => f.kind !== 'delay').length + 1);
    }
    apiProxy.inject(...Array.from({ length: 4 }, () => ({ kind: 'status' as const, status: 503 })));
    const exhausted = await call(session, 'pods_list', { namespace: 'team-a' });
    assert.match(resultText(exhausted), /HTTP 503.*\nThe API server failed: retry shortly/s, 'after the attempts run out: an error value, not a crash');
    assert.ok(!(await call(session, 'pods_list', { namespace: 'team-a' })).isError, 'and the server is still up');
  } finally {
    await session.close();
  }
});

test('writes are not retried blindly: a cut answer is reported, a refused connection is retried', async () => {
  // A retry's wait brings the API server back while the proxy is down: the retry then finds it listening.
  let down = false;
  let retries = 0;
  const trusting = new KubeClient(apiProxy.url, (await import('node:fs')).readFileSync(cluster.caFile), adminAuth, 5000, {
    attempts: 8, baseDelayMs: 100, maxDelayMs: 100, random: () => 1, sleep: async () => {
      retries += 1;
      if (down) await apiProxy.up();
      down = false;
    },
  });
  const name = `write-${randomBytes(3).toString('hex')}`;
  const create = (n: string) => trusting.json({ method: 'POST', path: '/api/v1/namespaces/team-b/configmaps', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n } } });
  const before = apiProxy.forwarded;
  apiProxy.inject({ kind: 'reset-after-forward' });
  await assert.rejects(create(name), (e: Error) => e instanceof ConnectionError && e.sent);
  assert.equal(apiProxy.forwarded - before, 1, 'sent once, not again');
  assert.equal(kubectl(cluster, ['get', 'configmap', name, '-n', 'team-b', '-o', 'name']).trim(), `configmap/${name}`, 'it had landed: a retry would have been a duplicate');
  await apiProxy.down();
  down = true;
  const retriesBefore = retries;
  await create(`${name}-2`);
  assert.ok(retries > retriesBefore, 'the refused connection was retried');
  assert.match(kubectl(cluster, ['get', 'configmap', `${name}-2`, '-n', 'team-b', '-o', 'name']), new RegExp(`${name}-2`));
});

test('a body the API server refuses unread (413) leaves our one connection to it fit: its answer, the reads sent meanwhile and the calls after it arrive', async () => {
  const direct = new KubeClient(cluster.endpoint, (await import('node:fs')).readFileSync(cluster.caFile), adminAuth);
  const list = () => direct.json({ path: '/api/v1/namespaces/team-b/configmaps', query: { limit: 1 } });
  await list(); // the HTTP/2 connection is open
  // As an expanded YAML alias bomb once was: tens of MB, far above the API server's 3 MiB limit.
  const oversized = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'oversized', namespace: 'team-b' }, data: { a: 'x'.repeat(64 << 20) } };
  const meanwhile = Promise.allSettled(Array.from({ length: 20 }, list));
  await assert.rejects(direct.json({
    method: 'PATCH', path: '/api/v1/namespaces/team-b/configmaps/oversized', query: { fieldManager: 'resilience-test', dryRun: 'All' },
    contentType: 'application/apply-patch+yaml', body: JSON.stringify(oversized),
  }), (e: Error) => e instanceof KubeApiError && e.status === 413 && /Request entity too large/.test(e.message));
  assert.deepEqual((await meanwhile).filter((r) => r.status === 'rejected'), [], 'no read sent meanwhile is lost');
  for (let i = 0; i < 5; i += 1) await list();
});

test('MCP cancellation aborts the request in flight', async () => {
  const session = await connectServer(throughProxy(eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')), hostEnv(cluster));
  try {
    apiProxy.inject({ kind: 'delay', ms: 5000 });
    const controller = new AbortController();
    const received = apiProxy.received;
    const calling = session.client.callTool({ name: 'pods_list', arguments: { namespace: 'team-a' } }, { signal: controller.signal });
    await waitFor('the call to reach the API server', () => (apiProxy.received > received ? true : undefined));
    controller.abort(); // while its request is held
    await assert.rejects(calling);
    const line = await waitFor('the cancelled call\'s audit line', () => auditLines(session.stderr()).find((l) => l['tool'] === 'pods_list'));
    assert.ok(line && line['outcome'] === 'failed' && (line['durationMs'] as number) < 4000, JSON.stringify(line));
    assert.ok(!(await call(session, 'pods_list', { namespace: 'team-a' })).isError);
  } finally {
    await session.close();
  }
});

function withHostCredentials<T>(stsUrl: string, run: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, hostEnv(cluster), { AWS_ENDPOINT_URL_STS: stsUrl });
  return run().finally(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });
}

test('a token the cluster refuses mid-session costs zero failed calls: one 401, one fresh token', async () => {
  await withHostCredentials(cluster.sts.url, async () => {
    let skewed = true;
    const clock = () => (skewed ? new Date(Date.now() - 16 * 60_000) : new Date());
    const credentials = new CachedCredentials(assumeRole({ roleArn: cluster.sts.roles['eks-mcp-agent']!, sessionName: 'pods-reader', region: cluster.region, durationSeconds: 3600 }));
    const auth = new EksTokenAuthenticator(credentials, cluster.region, cluster.clusterName, clock);
    const kube = new KubeClient(cluster.endpoint, (await import('node:fs')).readFileSync(cluster.caFile), {
      apply: async (o) => {
        await auth.apply(o);
        skewed = false; // the first token was minted 16 minutes in the past: the authenticator refuses it
      },
      refresh: () => auth.refresh(),
    });
    const pods = await kube.json<{ items: unknown[] }>({ path: '/api/v1/namespaces/team-a/pods' });
    assert.ok(pods.items.length > 0);
    assert.equal(auth.mintCount, 2);
  });
});

test('STS down at refresh: valid credentials keep working; after expiry the error says the identity lapsed', async () => {
  const stsProxy = await FaultProxy.start(cluster.sts.url);
  try {
    await withHostCredentials(stsProxy.url, async () => {
      let offset = 0;
      const credentials = new CachedCredentials(assumeRole({ roleArn: cluster.sts.roles['eks-mcp-agent']!, sessionName: 'pods-reader', region: cluster.region, durationSeconds: 3600 }),
        () => new Date(Date.now() + offset));
      const auth = new EksTokenAuthenticator(credentials, cluster.region, cluster.clusterName);
      const kube = new KubeClient(cluster.endpoint, (await import('node:fs')).readFileSync(cluster.caFile), auth);
      const list = () => kube.json<{ items: unknown[] }>({ path: '/api/v1/namespaces/team-a/pods' });
      await list();
      await stsProxy.down();
      offset = 57 * 60_000; // inside the refresh margin: refresh fails, the still-valid credentials serve
      await auth.refresh();
      await list();
      assert.equal(credentials.status().valid, true);
      offset = 61 * 60_000; // expired, STS still down
      await auth.refresh();
      await assert.rejects(list(), (e: Error) => e instanceof IdentityLapsedError && /identity has lapsed/.test(e.message));
      await stsProxy.up();
      offset += 61_000; // past the pause, which holds in every state
      const refreshed = credentials.refreshCount;
      await list();
      assert.equal(credentials.refreshCount, refreshed + 1, 'STS back: fresh credentials, and the call works');
    });
  } finally {
    await stsProxy.close();
  }
});

test('the API server killed and restarted mid-session: the next call works with no restart of ours', { timeout: 180_000 }, async () => {
  const own = await startCluster();
  try {
    const session = await connectServer(eksArgs(own, 'eks-mcp-agent', 'pods-reader'), hostEnv(own));
    try {
      assert.ok(!(await call(session, 'pods_list', { namespace: 'team-a' })).isError);
      await own.restartApiServer();
      const after = await call(session, 'pods_list', { namespace: 'team-a' });
      assert.ok(!after.isError, resultText(after));
    } finally {
      await session.close();
    }
  } finally {
    await own.stop();
  }
});

test('SIGTERM: a call in flight finishes, then the server exits 0', async () => {
  const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'wildcard'), '--accept-broad-role', 'test fixture: a namespace admin'], hostEnv(cluster), { elicit: () => ({ action: 'accept', content: { confirm: true } }) });
  const pod = kubectl(cluster, ['get', 'pods', '-n', 'team-a', '-l', 'app=api', '-o', 'jsonpath={.items[0].metadata.name}']);
  const mark = auditMark(cluster);
  const running = call(session, 'pods_exec', { namespace: 'team-a', name: pod, command: ['sleep', '1'] });
  // SIGTERM once the exec has reached the API server (its audit event), not after a guessed pause.
  await waitFor('the exec to reach the API server', () => (apiRequests(cluster, 'eks-agent:wildcard', mark).some((r) => r.subresource === 'exec') ? true : undefined));
  process.kill(session.pid, 'SIGTERM');
  const result = await running;
  assert.match(resultText(result), /^exit code: 0$/, 'the exec ran to its end');
  await waitFor('the server to exit', () => (existsSync(`/proc/${session.pid}`) ? undefined : true), 5_000);
  assert.match(session.stderr(), /"reason":"SIGTERM".*shutting down/);
  await session.close().catch(() => undefined);
});
