// The MCP-facing layers of defence, each on its own, through an MCP client in this process: the `namespace`
// enum of a tool's schema, and the refusal of a tool this connection does not offer. (PermissionSet.allows on
// its own: discovery.test.ts.) The authorization API's answers are given as the API server shapes them; any
// other request reaching the cluster fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, type CallToolResult } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { loadConfig } from '../../src/config.ts';
import type { Connection } from '../../src/connection.ts';
import { createLogger } from '../../src/log.ts';
import { discoverPermissions } from '../../src/rbac/discovery.ts';
import type { ResourceRule } from '../../src/rbac/rules.ts';
import { cataloguePermissions } from '../../src/policy/offer.ts';
import { createMcpServer } from '../../src/server/mcp.ts';
import { Runtime } from '../../src/server/runtime.ts';
import { catalogue } from '../../tools/index.ts';
import { served } from './served-kinds.ts';
import { authorizationApi } from '../authorization-api.ts';
import { resultText } from '../helpers.ts';

const podReader: ResourceRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] };
const podAdmin: ResourceRule = { verbs: ['*'], apiGroups: [''], resources: ['pods', 'pods/log'] };

async function session(t: { after(fn: () => unknown): void }, rules: Record<string, ResourceRule[]>, flags: Record<string, string> = {}) {
  const config = loadConfig({ kubeconfig: '/nonexistent/kubeconfig', namespaces: 'team-a,team-b', ...flags }, {});
  // Complete reviews: no access review is needed.
  const api = authorizationApi({ rules: (namespace) => ({ rules: rules[namespace] ?? [], incomplete: false }) });
  const kube = api.client;
  const permissions = await discoverPermissions(kube, config.namespaces, cataloguePermissions(catalogue));
  const connection: Connection = { kube, summary: { mode: 'test' } };
  const runtime = new Runtime(config, connection, createLogger('silent'), catalogue, permissions, served());
  const server = createMcpServer(runtime, { principal: () => 'test', followChanges: false });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'layers-test', version: '0' });
  await client.connect(clientSide);
  t.after(async () => {
    await client.close();
    await server.close();
  });
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  // What is sent from here on: the requests the calls send.
  const sentBefore = api.sent.length;
  return { client, call, sentSince: () => api.sent.slice(sentBefore) };
}

test('the namespace enum: a tool lists only the namespaces where the role allows it, and refuses any other before anything runs', async (t) => {
  const { client, call, sentSince } = await session(t, { 'team-a': [podReader] });
  const { tools } = await client.listTools();
  const podsList = tools.find((tool) => tool.name === 'pods_list')!;
  assert.deepEqual((podsList.inputSchema.properties?.['namespace'] as { enum?: string[] }).enum, ['team-a']);
  for (const namespace of ['team-b', 'kube-system', '']) {
    const result = await call('pods_list', { namespace });
    assert.equal(result.isError, true, namespace);
    assert.match(resultText(result), /namespace must be one of the namespaces where the role allows pods_list: team-a/, namespace);
    assert.doesNotMatch(resultText(result), /Forbidden/, 'refused by the schema, before the permission check');
  }
  assert.deepEqual(sentSince(), [], 'no request was sent');
});

test('a tool not offered because of --read-only is refused by name, even though the role grants it, and sends nothing', async (t) => {
  const { client, call, sentSince } = await session(t, { 'team-a': [podAdmin], 'team-b': [podAdmin] }, { readOnly: 'true' });
  const names = (await client.listTools()).tools.map((tool) => tool.name);
  assert.ok(names.includes('pods_list'));
  assert.ok(!names.includes('pods_delete'));
  const result = await call('pods_delete', { namespace: 'team-a', name: 'web-1', confirm: true });
  assert.equal(result.isError, true);
  assert.equal(resultText(result), 'pods_delete is not offered: this server runs with --read-only. No request was sent.');
  assert.deepEqual(sentSince(), [], 'no request was sent');
});

test('a tool the role does not grant is refused with the permission it lacks; an unknown one is a protocol error that says where to look', async (t) => {
  const { call, sentSince } = await session(t, { 'team-a': [podReader] });
  const result = await call('pods_delete', { namespace: 'team-a', name: 'web-1', confirm: true });
  assert.equal(result.isError, true);
  assert.equal(resultText(result), 'pods_delete is not offered on this connection: its RBAC role does not grant delete pods in its scope (team-a, team-b). '
    + 'No request was sent. A cluster admin can print the Role that would: eks-rbac-mcp rbac --tools pods_delete');
  await assert.rejects(call('drop_everything', {}), { code: -32602, message: 'Unknown tool "drop_everything". Call tools/list for the tools this connection offers.' });
  assert.deepEqual(sentSince(), [], 'no request was sent');
});
