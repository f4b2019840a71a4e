import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRbac, rulesFor } from '../../src/rbac/role.ts';
import { catalogue } from '../../tools/index.ts';

test('rules merge resources that share a group and verbs', () => {
  assert.deepEqual(rulesFor([
    { group: '', resource: 'pods', verb: 'list', scope: 'namespaced' },
    { group: '', resource: 'pods', verb: 'get', scope: 'namespaced' },
    { group: '', resource: 'pods', subresource: 'log', verb: 'get', scope: 'namespaced' },
    { group: 'apps', resource: 'deployments', subresource: 'scale', verb: 'patch', scope: 'namespaced' },
  ]), [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['patch'] },
  ]);
});

test('the Role for pods_list, pods_get and pods_log is the seed example, bound to the session user', () => {
  const tools = catalogue.filter((t) => ['pods_list', 'pods_get', 'pods_log'].includes(t.name));
  const yaml = renderRbac({ tools, namespaces: ['team-a'], user: 'eks-agent:pods-reader', name: 'pods-reader', roleArn: 'arn:aws:iam::111122223333:role/agent',
    bindingRole: 'pods-reader', clusterName: 'prod', region: 'us-east-1', trustedPrincipal: 'arn:aws:iam::111122223333:role/host' });
  assert.match(yaml, /kind: Role\nmetadata:\n  name: pods-reader\n  namespace: team-a\nrules:\n- apiGroups: \[""\]\n  resources: \["pods"\]\n  verbs: \["get", "list"\]\n- apiGroups: \[""\]\n  resources: \["pods\/log"\]\n  verbs: \["get"\]/);
  assert.match(yaml, /kind: User, name: "eks-agent:pods-reader"/);
  assert.doesNotMatch(yaml, /ClusterRole/, 'no cluster-scoped rights for namespaced tools');
  assert.match(yaml, /--username 'eks-agent:\{\{SessionName\}\}'/);
});

test('the DescribeCluster policy names the cluster in the role\'s partition (China, GovCloud, ...)', () => {
  const tools = catalogue.filter((t) => t.name === 'pods_list');
  const yaml = renderRbac({ tools, namespaces: ['team-a'], user: 'eks-agent:r', name: 'r', roleArn: 'arn:aws-cn:iam::111122223333:role/agent',
    bindingRole: 'r', clusterName: 'prod', region: 'cn-north-1', trustedPrincipal: 'arn:aws-cn:iam::111122223333:role/host' });
  assert.match(yaml, /"Resource":"arn:aws-cn:eks:cn-north-1:\*:cluster\/prod"/);
});

test('the README\'s tools table lists every catalogue tool with exactly the permissions it declares', async () => {
  const { readFileSync } = await import('node:fs');
  const { describeNeeds } = await import('../../src/tool.ts');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const tool of catalogue) {
    const needs = describeNeeds(tool);
    assert.ok(readme.includes(`| \`${tool.name}\` | ${needs} |`), `README row for ${tool.name}: ${needs}`);
  }
});

test('Hardening #10: with the default binding role "agent" the username template is eks-agent:{{SessionName}}, and the trust policy pins the session name', () => {
  const tools = catalogue.filter((t) => t.name === 'pods_list');
  const yaml = renderRbac({ tools, namespaces: ['team-a'], user: 'eks-agent:agent', name: 'eks-rbac-mcp-agent', roleArn: 'arn:aws:iam::111122223333:role/agent',
    bindingRole: 'agent', clusterName: 'prod', region: 'us-east-1', trustedPrincipal: 'arn:aws:iam::111122223333:role/host' });
  assert.match(yaml, /--username 'eks-agent:\{\{SessionName\}\}'/);
  assert.match(yaml, /username: 'eks-agent:\{\{SessionName\}\}'/);
  assert.doesNotMatch(yaml, /eks-\{\{SessionName\}\}/);
  const trust = /# IAM trust policy of the role[^\n]*\n(?:# [^\n]*\n)*?((?:#   [^\n]*\n)+)# IAM permission policy/.exec(yaml)![1]!;
  const policy = JSON.parse(trust.split('\n').map((l) => l.slice(4)).join('\n')) as {
    Statement: Array<{ Condition?: Record<string, Record<string, string>> }>;
  };
  assert.deepEqual(policy.Statement[0]!.Condition, { StringEquals: { 'sts:RoleSessionName': 'agent' } });
  assert.match(yaml, /# IAM trust policy of the role. The session name is pinned: [^\n]+\n# [^\n]+could assume the role under any/, 'a comment says why');
});
