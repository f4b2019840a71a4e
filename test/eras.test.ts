// What a 2025-11-25 client keeps over stdio after the move to 2026-07-28: the user's yes asked with a
// server-initiated elicitation (the SDK's shim for the multi-round-trip form the tools are written in), and
// unsolicited notifications/tools/list_changed. The same behaviours on 2026-07-28 are covered in server.test.ts
// (the question) and resilience.test.ts (the listen stream).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { kubectl } from './cluster/cluster.ts';
import { applyRole, connectServer, eksArgs, hostEnv, toolListChanges, useCluster, resultText } from './helpers.ts';

const cluster = await useCluster();
const LEGACY = '2025-11-25' as const;

test('2025-11-25 over stdio: a destructive call is put to the user mid-call, with the tool\'s own question', async () => {
  const questions: string[] = [];
  let yes = false;
  const session = await connectServer(eksArgs(cluster, 'eks-mcp-agent', 'operator', 'team-a'), hostEnv(cluster), {
    era: LEGACY,
    elicit: (message) => {
      questions.push(message);
      return yes ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    },
  });
  try {
    assert.equal(session.client.getProtocolEra(), 'legacy');
    const scaleToZero = { name: 'deployments_scale', arguments: { namespace: 'team-a', name: 'web', replicas: 0 } };
    const declined = (await session.client.callTool(scaleToZero)) as CallToolResult;
    assert.equal(declined.isError, true);
    assert.match(resultText(declined), /The user did not confirm: Scale deployment team-a\/web to 0, stopping all its pods\? Nothing was done\./);
    assert.equal(kubectl(cluster, ['get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.replicas}']), '2', 'a no sends nothing');
    yes = true;
    const restarted = (await session.client.callTool({ name: 'deployments_restart', arguments: { namespace: 'team-a', name: 'web' } })) as CallToolResult;
    assert.ok(!restarted.isError, resultText(restarted));
    assert.deepEqual(questions, ['Scale deployment team-a/web to 0, stopping all its pods?', 'Restart every pod of deployment team-a/web?']);
  } finally {
    await session.close();
  }
});

test('2025-11-25 over stdio: a Role edited mid-session arrives as an unsolicited tools/list_changed', async () => {
  const binding = 'legacy-watcher';
  const user = `eks-agent:${binding}`;
  const grant = (verbs: string[]) => applyRole(cluster, { name: binding, namespace: 'team-b', user, rules: [{ apiGroups: [''], resources: ['pods'], verbs }] });
  grant(['get']);
  const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', binding, 'team-b'), '--refresh-interval', '1'], hostEnv(cluster), { era: LEGACY });
  try {
    const names = async () => (await session.client.listTools()).tools.map((t) => t.name);
    assert.ok(!(await names()).includes('pods_list'));
    const changes = await toolListChanges(session.client);
    grant(['get', 'list']);
    await changes.next('the Role gained list', 10_000);
    assert.ok((await names()).includes('pods_list'));
  } finally {
    await session.close();
    kubectl(cluster, ['delete', 'role,rolebinding', binding, '-n', 'team-b', '--ignore-not-found']);
  }
});
