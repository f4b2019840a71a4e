// The user's yes over the wire (MCP 2026-07-28: the SDK's HTTP client in this process, fetching from the per-request
// handler that serve --http mounts, without a socket): a destructive call runs only
// after a question this server sealed, for that very call and caller. A client holding a valid token can compute a
// call's fingerprint, so a requestState it writes itself must not pass for the server's. The authorization API
// answers as the API server shapes it; every other request is recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, type CallToolResult } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { loadConfig } from '../../src/config.ts';
import type { Connection } from '../../src/connection.ts';
import type { KubeClient, KubeRequest } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import { discoverPermissions } from '../../src/rbac/discovery.ts';
import { cataloguePermissions } from '../../src/policy/offer.ts';
import { callFingerprint } from '../../src/policy/answer.ts';
import { createMcpServer } from '../../src/server/mcp.ts';
import { catalogue, Runtime } from '../../src/server/runtime.ts';
import { served } from './served-kinds.ts';

/** A role that may delete pods in team-a; every request but the authorization API's is recorded and answered {}. */
function cluster(): { kube: KubeClient; sent: KubeRequest[] } {
  const sent: KubeRequest[] = [];
  const kube = {
    async json(request: KubeRequest): Promise<unknown> {
      const spec = (request.body as { spec?: { namespace?: string } } | undefined)?.spec;
      if (request.path.endsWith('/selfsubjectrulesreviews')) {
        const rules = spec?.namespace === 'team-a' ? [{ verbs: ['get', 'list', 'delete'], apiGroups: [''], resources: ['pods'] }] : [];
        return { status: { resourceRules: rules, incomplete: false } };
      }
      if (request.path.endsWith('/selfsubjectaccessreviews')) return { status: { allowed: false } };
      if (request.path === '/apis/metrics.k8s.io') return { kind: 'APIGroup', name: 'metrics.k8s.io' };
      sent.push(request);
      return {};
    },
  } as unknown as KubeClient;
  return { kube, sent };
}

async function session(t: { after(fn: () => unknown): void }, env: Record<string, string> = {}) {
  const config = loadConfig({ kubeconfig: '/nonexistent/kubeconfig', namespaces: 'team-a,team-b' }, env);
  const { kube, sent } = cluster();
  const permissions = await discoverPermissions(kube, config.namespaces, cataloguePermissions(catalogue));
  const connection: Connection = { kube, summary: { mode: 'test' } };
  const runtime = new Runtime(config, connection, createLogger('silent'), catalogue, permissions, served());
  const handler = createMcpHandler(() => createMcpServer(runtime, { principal: () => 'alice', followChanges: false }));
  const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), { fetch: (url, init) => handler.fetch(new Request(url, init)) });
  const client = new Client({ name: 'confirmation-test', version: '0' }, {
    capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } }, inputRequired: { autoFulfill: false },
  });
  await client.connect(transport);
  t.after(async () => {
    await client.close();
    await handler.close();
  });
  return { client, sent };
}

const deleteWeb = { name: 'pods_delete', arguments: { namespace: 'team-a', name: 'web' } };
const accept = { confirm: { action: 'accept', content: { confirm: true } } };
/** The second round of a call, as a 2026-07-28 client sends it: the answers, and the state echoed. */
const answered = (call: { name: string; arguments: Record<string, unknown> }, requestState: string) => ({ ...call, inputResponses: accept, requestState });
const deletes = (sent: KubeRequest[]) => sent.filter((r) => r.method === 'DELETE').map((r) => r.path);

test('a requestState the client wrote itself, with the right fingerprint and a yes the user never gave, deletes nothing', async (t) => {
  const { client, sent } = await session(t);
  const fingerprint = callFingerprint('alice', 'pods_delete', { namespace: 'team-a', name: 'web' });
  for (const forged of [
    Buffer.from(JSON.stringify({ fingerprint, question: 'Delete pod team-a/web?' })).toString('base64url'),
    `v1.${Buffer.from(JSON.stringify({ p: { fingerprint, question: 'Delete pod team-a/web?' }, exp: 4_102_444_800 })).toString('base64url')}.AAAA`,
  ]) {
    const result = await client.callTool(answered(deleteWeb, forged), { allowInputRequired: true })
      .catch((error: Error) => ({ rejected: error.message }));
    assert.deepEqual(deletes(sent), [], `nothing is deleted for ${forged.slice(0, 20)}…: ${JSON.stringify(result)}`);
    assert.match(JSON.stringify(result), /a question state this server did not seal .*Nothing was done/);
  }
});

test('a sealed question, answered yes for that call, deletes it; the same state for another call asks again', async (t) => {
  const { client, sent } = await session(t);
  const asked = await client.callTool(deleteWeb, { allowInputRequired: true }) as unknown as { resultType: string; requestState: string };
  assert.equal(asked.resultType, 'input_required');
  const other = await client.callTool(answered({ name: 'pods_delete', arguments: { namespace: 'team-a', name: 'db' } }, asked.requestState), { allowInputRequired: true }) as unknown as { resultType?: string };
  assert.equal(other.resultType, 'input_required', 'another pod: asked anew');
  assert.deepEqual(deletes(sent), []);
  const done = await client.callTool(answered(deleteWeb, asked.requestState), { allowInputRequired: true }) as CallToolResult;
  assert.equal(done.isError, undefined, JSON.stringify(done));
  assert.deepEqual(deletes(sent), ['/api/v1/namespaces/team-a/pods/web']);
});

test('replicas that share EKS_MCP_REQUEST_STATE_KEY take each other\'s questions; without one, a yes that reaches another process is refused', async (t) => {
  const key = { EKS_MCP_REQUEST_STATE_KEY: 'k'.repeat(48) };
  const [first, second] = [await session(t, key), await session(t, key)];
  const asked = await first.client.callTool(deleteWeb, { allowInputRequired: true }) as unknown as { requestState: string };
  await second.client.callTool(answered(deleteWeb, asked.requestState), { allowInputRequired: true });
  assert.deepEqual(deletes(second.sent), ['/api/v1/namespaces/team-a/pods/web'], 'asked by one replica, done by the other');
  const [alone, other] = [await session(t), await session(t)];
  const question = await alone.client.callTool(deleteWeb, { allowInputRequired: true }) as unknown as { requestState: string };
  const refused = await other.client.callTool(answered(deleteWeb, question.requestState), { allowInputRequired: true }) as CallToolResult;
  assert.equal(refused.isError, true);
  assert.match(JSON.stringify(refused.content), /sealed by a replica with another key: replicas share EKS_MCP_REQUEST_STATE_KEY/);
  assert.deepEqual([...deletes(alone.sent), ...deletes(other.sent)], []);
  assert.throws(() => loadConfig({ kubeconfig: '/k', namespaces: 'a' }, { EKS_MCP_REQUEST_STATE_KEY: 'short' }),
    /requestStateKey must be at least 32 characters.*\(EKS_MCP_REQUEST_STATE_KEY\)/);
});
