// Prompts and completions (MCP prompts/list, prompts/get, completion/complete) over the server: a prompt is offered
// only where all its tools are; a namespace completes to the prompt's namespaces; a name completes from a list the
// role grants, cached for a few seconds, and from nothing (no request) where the role may not list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl } from './cluster/cluster.ts';
import { applyRole, auditMark, connectServer, eksArgs, hostEnv, requestsUpToMarker, useCluster } from './helpers.ts';

const cluster = await useCluster();

test('a prompt is offered only where every tool it names is; its text names the object', async () => {
  const reader = await connectServer(eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), hostEnv(cluster));
  try {
    const tools = new Set((await reader.client.listTools()).tools.map((t) => t.name));
    const offered = (await reader.client.listPrompts()).prompts.map((p) => p.name);
    assert.equal(offered.includes('diagnose_pod'), ['pods_get', 'pods_log', 'events_list'].every((t) => tools.has(t)));
    assert.ok(!offered.includes('deployment_not_ready'), 'the pods reader has no deployments_get');
    await assert.rejects(reader.client.getPrompt({ name: 'deployment_not_ready', arguments: { namespace: 'team-a', name: 'web' } }),
      /deployment_not_ready is not offered: it uses deployments_get, pods_list, events_list/);
  } finally {
    await reader.close();
  }
  const admin = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'wildcard'), '--accept-broad-role', 'test fixture: a namespace admin'], hostEnv(cluster));
  try {
    const prompts = (await admin.client.listPrompts()).prompts;
    assert.deepEqual(prompts.map((p) => p.name), ['diagnose_pod', 'deployment_not_ready']);
    assert.match(prompts[0]!.description ?? '', /Uses pods_get, pods_log, events_list\./);
    const got = await admin.client.getPrompt({ name: 'diagnose_pod', arguments: { namespace: 'team-a', name: 'api-0' } });
    const text = got.messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join('');
    assert.match(text, /Diagnose pod team-a\/api-0\. Read only; change nothing\.\n1\. pods_get/);
    await assert.rejects(admin.client.getPrompt({ name: 'diagnose_pod', arguments: { namespace: 'kube-system', name: 'x' } }), /namespace must be one of team-a/);
  } finally {
    await admin.close();
  }
});

test('completions: namespaces from the scope; names from a list the role grants, cached, and none without list', async () => {
  const admin = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'wildcard'), '--accept-broad-role', 'test fixture: a namespace admin'], hostEnv(cluster));
  try {
    const ref = { type: 'ref/prompt' as const, name: 'diagnose_pod' };
    assert.deepEqual((await admin.client.complete({ ref, argument: { name: 'namespace', value: 'team' } })).completion.values, ['team-a']);
    const mark = auditMark(cluster);
    const names = await admin.client.complete({ ref, argument: { name: 'name', value: 'api' }, context: { arguments: { namespace: 'team-a' } } });
    const pods = kubectl(cluster, ['get', 'pods', '-n', 'team-a', '-o', 'jsonpath={.items[*].metadata.name}']).split(' ').filter((n) => n.startsWith('api')).sort();
    assert.deepEqual(names.completion.values, pods);
    await admin.client.complete({ ref, argument: { name: 'name', value: 'a' }, context: { arguments: { namespace: 'team-a' } } });
    const lists = (await requestsUpToMarker(cluster, 'eks-agent:wildcard', mark, () => admin.client.callTool({ name: 'whoami', arguments: {} })))
      .filter((r) => r.verb === 'list' && r.resource === 'pods');
    assert.equal(lists.length, 1, 'the second completion within a few seconds reused the list');
    assert.deepEqual((await admin.client.complete({ ref, argument: { name: 'name', value: '' } })).completion.values, [], 'no namespace yet: nothing to list');
  } finally {
    await admin.close();
  }

  // A role that may read a pod and its logs and list events, but not list pods: the prompt is offered, names are not completed.
  const binding = 'no-pod-list';
  const user = `eks-agent:${binding}`;
  applyRole(cluster, { name: binding, namespace: 'team-a', user,
    rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get'] }, { apiGroups: [''], resources: ['events'], verbs: ['list'] }] });
  const narrow = await connectServer(eksArgs(cluster, 'eks-mcp-agent', binding, 'team-a'), hostEnv(cluster));
  try {
    assert.deepEqual((await narrow.client.listPrompts()).prompts.map((p) => p.name), ['diagnose_pod']);
    const mark = auditMark(cluster);
    const names = await narrow.client.complete({ ref: { type: 'ref/prompt', name: 'diagnose_pod' }, argument: { name: 'name', value: '' }, context: { arguments: { namespace: 'team-a' } } });
    assert.deepEqual(names.completion.values, []);
    const sent = await requestsUpToMarker(cluster, user, mark, () => narrow.client.callTool({ name: 'whoami', arguments: {} }));
    assert.deepEqual(sent.filter((r) => r.resource === 'pods'), [], 'no list was sent');
  } finally {
    await narrow.close();
    kubectl(cluster, ['delete', 'role,rolebinding', binding, '-n', 'team-a', '--ignore-not-found']);
  }
});
