import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Permission } from '../../src/rbac/permission.ts';
import { renderRbac, rulesFor, usernameTemplate, type Needed } from '../../src/rbac/role.ts';
import { anyKind, fixed, perKind, permissionsOf } from '../../src/rbac/needs.ts';
import { grantFromRules } from '../../src/rbac/rules.ts';
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

test('the Role for pods_list, pods_get and pods_log is the read-only pods-and-logs Role, bound to the session user', () => {
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
  assert.match(yaml, /"Action":"eks:ListAssociatedAccessPolicies","Resource":"arn:aws-cn:eks:cn-north-1:\*:access-entry\/prod\/role\/111122223333\/agent\/\*"/,
    'only the role\'s own access entry');
});

test('the README\'s tools table lists every catalogue tool with exactly the permissions it declares', async () => {
  const { readFileSync } = await import('node:fs');
  const { describeNeeds } = await import('../../src/rbac/needs.ts');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const tool of catalogue) {
    const needs = describeNeeds(tool.needs);
    assert.ok(readme.includes(`| \`${tool.name}\` | ${needs} |`), `README row for ${tool.name}: ${needs}`);
  }
});

test('with the default binding role "agent" the username template is eks-agent:{{SessionName}}, and the trust policy pins the session name', () => {
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

test('rules sort by group then first resource, resources within a rule too, and verbs are merged per resource', () => {
  const p = (group: string, resource: string, verb: string, subresource?: string): Permission => ({ group, resource, subresource, verb, scope: 'namespaced' });
  assert.deepEqual(rulesFor([
    p('batch', 'jobs', 'list'), p('', 'services', 'get'), p('apps', 'statefulsets', 'get'), p('', 'configmaps', 'get'),
    p('apps', 'deployments', 'get'), p('batch', 'jobs', 'get'), p('', 'pods', 'create', 'exec'), p('', 'configmaps', 'get'),
  ]), [
    { apiGroups: [''], resources: ['configmaps', 'services'], verbs: ['get'] },
    { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
    { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list'] },
  ]);
  assert.deepEqual(rulesFor([]), []);
});

test('the rules rendered for a set of permissions grant each of them, as the API server matches rules', () => {
  const permissions: Permission[] = catalogue.flatMap((t) => permissionsOf(t.needs)).filter((p) => p.scope === 'namespaced');
  const rules = rulesFor(permissions);
  for (const p of permissions) assert.deepEqual(grantFromRules(rules, p), { kind: 'all' }, `${p.verb} ${p.resource}/${p.subresource ?? ''}`);
  assert.deepEqual(grantFromRules(rulesFor([{ group: '', resource: 'pods', verb: 'get', scope: 'namespaced' }]), { group: '', resource: 'pods', verb: 'delete' }),
    { kind: 'none' }, 'and nothing more');
});

const EXPECTED = [
  '# Minimal RBAC for tools: whoami, deployments_scale, resources_get, nodes_list',
  '# Kubernetes user: eks-agent:scaler',
  '# resources_get: name the kinds they may use with --kinds (e.g. configmaps,jobs.batch); each appears once one is granted.',
  '---',
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: Role',
  'metadata:',
  '  name: scaler',
  '  namespace: team-a',
  'rules:',
  '- apiGroups: ["apps"]',
  '  resources: ["deployments"]',
  '  verbs: ["get"]',
  '- apiGroups: ["apps"]',
  '  resources: ["deployments/scale"]',
  '  verbs: ["patch"]',
  '---',
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: RoleBinding',
  'metadata:',
  '  name: scaler',
  '  namespace: team-a',
  'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: scaler}',
  'subjects:',
  '- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "eks-agent:scaler"}',
  '---',
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: Role',
  'metadata:',
  '  name: scaler',
  '  namespace: team-b',
  'rules:',
  '- apiGroups: ["apps"]',
  '  resources: ["deployments"]',
  '  verbs: ["get"]',
  '- apiGroups: ["apps"]',
  '  resources: ["deployments/scale"]',
  '  verbs: ["patch"]',
  '---',
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: RoleBinding',
  'metadata:',
  '  name: scaler',
  '  namespace: team-b',
  'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: scaler}',
  'subjects:',
  '- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "eks-agent:scaler"}',
  '---',
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: ClusterRole',
  'metadata:',
  '  name: scaler',
  'rules:',
  '- apiGroups: [""]',
  '  resources: ["nodes"]',
  '  verbs: ["list"]',
  '---',
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: ClusterRoleBinding',
  'metadata:',
  '  name: scaler',
  'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: scaler}',
  'subjects:',
  '- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "eks-agent:scaler"}',
  '# --- AWS side: map the IAM role\'s sessions to that user (one of the two forms) ---',
  '# EKS access entry (authentication mode API or API_AND_CONFIG_MAP):',
  '#   aws eks create-access-entry --cluster-name prod --region eu-west-1 \\',
  '#     --principal-arn arn:aws:iam::111122223333:role/agent --type STANDARD --username \'eks-agent:{{SessionName}}\'',
  '# aws-auth ConfigMap (kube-system), under data.mapRoles:',
  '#   - rolearn: arn:aws:iam::111122223333:role/agent',
  '#     username: \'eks-agent:{{SessionName}}\'',
  '# The agent host assumes the role with RoleSessionName=scaler (--binding-role), so the user is eks-agent:scaler.',
  '# IAM trust policy of the role. The session name is pinned: the mapping above turns whatever RoleSessionName',
  '# the host picks into the Kubernetes user, so without the condition the host could assume the role under any',
  '# binding role (another user, other RBAC rights).',
  '#   {',
  '#     "Version": "2012-10-17",',
  '#     "Statement": [',
  '#       {',
  '#         "Effect": "Allow",',
  '#         "Principal": {',
  '#           "AWS": "arn:aws:iam::111122223333:role/host"',
  '#         },',
  '#         "Action": "sts:AssumeRole",',
  '#         "Condition": {',
  '#           "StringEquals": {',
  '#             "sts:RoleSessionName": "scaler"',
  '#           }',
  '#         }',
  '#       }',
  '#     ]',
  '#   }',
  '# IAM permission policy of the role: eks:ListAssociatedAccessPolicies reads its own EKS access policies, so that',
  '# discovery needs no access review per permission (without it: `eks-rbac-mcp doctor` says what that costs);',
  '# eks:DescribeCluster finds the endpoint and CA (omit it when --endpoint and --ca-file are set):',
  '#   {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:DescribeCluster","Resource":"arn:aws:eks:eu-west-1:*:cluster/prod"},'
    + '{"Effect":"Allow","Action":"eks:ListAssociatedAccessPolicies","Resource":"arn:aws:eks:eu-west-1:*:access-entry/prod/role/111122223333/agent/*"}]}',
  '# IAM policy of the agent host, for the broad-grant guard: it reads the role\'s policies, permissions boundary and trust',
  '# policy at start (reads only; without it the start logs "IAM side not checked"):',
  '#   {"Version":"2012-10-17","Statement":[{"Sid":"ReadTheAgentRole","Effect":"Allow","Action":["iam:GetRole","iam:ListRolePolicies",'
    + '"iam:GetRolePolicy","iam:ListAttachedRolePolicies"],"Resource":"arn:aws:iam::111122223333:role/agent"},{"Sid":"ReadItsManagedPolicies",'
    + '"Effect":"Allow","Action":["iam:GetPolicy","iam:GetPolicyVersion"],"Resource":["arn:aws:iam::111122223333:policy/*","arn:aws:iam::aws:policy/*"]}]}',
  '',
].join('\n');

test('the whole rendering: a Role and RoleBinding per namespace, a ClusterRole only for cluster rights other than self-reviews, the AWS side', () => {
  const tool = (name: string, ...permissions: Permission[]): Needed => ({ name, needs: fixed(...permissions) });
  const tools = [
    tool('whoami', { group: 'authentication.k8s.io', resource: 'selfsubjectreviews', verb: 'create', scope: 'cluster' }),
    tool('deployments_scale', { group: 'apps', resource: 'deployments', verb: 'get', scope: 'namespaced' },
      { group: 'apps', resource: 'deployments', subresource: 'scale', verb: 'patch', scope: 'namespaced' }),
    { name: 'resources_get', needs: anyKind('get', 'uncovered', []) },
    tool('nodes_list', { group: '', resource: 'nodes', verb: 'list', scope: 'cluster' }),
  ];
  const request = { tools, namespaces: ['team-a', 'team-b'], user: 'eks-agent:scaler', name: 'scaler', roleArn: 'arn:aws:iam::111122223333:role/agent',
    bindingRole: 'scaler', clusterName: 'prod', region: 'eu-west-1', trustedPrincipal: 'arn:aws:iam::111122223333:role/host' };
  assert.equal(renderRbac(request), EXPECTED);
  const selfOnly = renderRbac({ ...request, tools: [tools[0]!] });
  assert.doesNotMatch(selfOnly, /^kind: (Cluster)?Role/m, 'every authenticated user may already review itself');
  assert.doesNotMatch(selfOnly, /add get\/list rules/, 'no generic tool: no hint');
  assert.match(selfOnly, /^# Minimal RBAC for tools: whoami\n# Kubernetes user: eks-agent:scaler\n+# --- AWS side/);
});

test('Kubernetes only (the refusal\'s narrow RBAC): the Role and its binding end the text, with no AWS side', () => {
  const tools = catalogue.filter((t) => t.name === 'pods_list');
  const request = { tools, namespaces: ['team-a'], user: 'eks-agent:r', name: 'r', roleArn: '', bindingRole: 'r', clusterName: '', region: '', trustedPrincipal: '' };
  const yaml = renderRbac({ ...request, kubernetesOnly: true });
  assert.ok(yaml.endsWith('subjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "eks-agent:r"}\n'), yaml.slice(-200));
  assert.doesNotMatch(yaml, /IAM|aws-auth|DescribeCluster/);
  assert.equal(renderRbac(request).startsWith(yaml.trimEnd()), true, 'the same Kubernetes side, then the AWS side');
  assert.match(renderRbac(request), /"Resource":"arn:aws:eks::\*:cluster\/"/, 'an ARN without a partition is taken for the aws partition');
});

test('a tool of several kinds: a chosen kind brings all its permissions, even those on another resource; none chosen brings every kind', () => {
  const apps = (resource: string, verb: string): Permission => ({ group: 'apps', resource, verb, scope: 'namespaced' });
  const rollouts: Needed = { name: 'rollout_restart', needs: perKind({
    Deployment: [apps('deployments', 'patch'), apps('replicasets', 'list')],
    StatefulSet: [apps('statefulsets', 'patch'), apps('controllerrevisions', 'list')],
    LegacyDeployment: [{ group: 'extensions', resource: 'deployments', verb: 'patch', scope: 'namespaced' }],
  }) };
  const request = { tools: [rollouts], namespaces: ['team-a'], user: 'eks-agent:r', name: 'r', roleArn: '', bindingRole: 'r', clusterName: '', region: '', trustedPrincipal: '', kubernetesOnly: true };
  const deployments = renderRbac({ ...request, kinds: [{ group: 'apps', resource: 'deployments' }] });
  assert.match(deployments, /resources: \["replicasets"\]\n  verbs: \["list"\]/, 'the Deployment kind\'s ReplicaSets come with it');
  assert.doesNotMatch(deployments, /statefulsets|controllerrevisions|extensions/, 'a kind is chosen by group and resource');
  assert.doesNotMatch(deployments, /--kinds/, 'kinds chosen: no hint to choose them');
  const every = renderRbac(request);
  for (const resource of ['deployments', 'replicasets', 'statefulsets', 'controllerrevisions']) assert.match(every, new RegExp(`"${resource}"`));
});

test('the username template replaces the last occurrence of the binding role, wherever it stands, and nothing when it is absent', () => {
  assert.equal(usernameTemplate('eks-agent:agent', 'agent'), 'eks-agent:{{SessionName}}');
  assert.equal(usernameTemplate('agent', 'agent'), '{{SessionName}}');
  assert.equal(usernameTemplate('reader-x', 'reader'), '{{SessionName}}-x');
  assert.equal(usernameTemplate('eks-agent:alice', 'bob'), 'eks-agent:alice');
});

test('with no kinds chosen, the hint names every generic tool in use', () => {
  const generic = (name: string): Needed => ({ name, needs: anyKind('get', 'uncovered', []) });
  const yaml = renderRbac({ tools: [generic('resources_get'), generic('resources_list')], namespaces: ['team-a'], user: 'u', name: 'r', roleArn: '', bindingRole: 'r',
    clusterName: '', region: '', trustedPrincipal: '', kubernetesOnly: true });
  assert.match(yaml, /^# resources_get, resources_list: name the kinds they may use with --kinds/m);
});

test('a generic tool\'s cluster-scoped kinds go into the ClusterRole; a custom kind is taken as namespaced, and the header says so', () => {
  const yaml = renderRbac({ tools: [{ name: 'resources_get', needs: anyKind('get', 'uncovered', []) }], namespaces: ['team-a'], user: 'u', name: 'r',
    roleArn: '', bindingRole: 'r', clusterName: '', region: '', trustedPrincipal: '', kubernetesOnly: true,
    kinds: [{ group: '', resource: 'nodes' }, { group: 'storage.k8s.io', resource: 'storageclasses' }, { group: '', resource: 'configmaps' }, { group: 'example.com', resource: 'widgets' }] });
  const [role, clusterRole] = [/kind: Role\n[\s\S]*?\n---/.exec(yaml)?.[0] ?? '', /kind: ClusterRole\n[\s\S]*?(\n---|$)/.exec(yaml)?.[0] ?? ''];
  assert.match(role, /resources: \["configmaps"\]/);
  assert.match(role, /apiGroups: \["example.com"\]\n {2}resources: \["widgets"\]/);
  assert.doesNotMatch(role, /nodes|storageclasses/, 'a Role grants nothing on a cluster-scoped kind');
  assert.match(clusterRole, /resources: \["nodes"\]/);
  assert.match(clusterRole, /apiGroups: \["storage.k8s.io"\]\n {2}resources: \["storageclasses"\]/);
  assert.match(yaml, /^# widgets.example.com: taken as namespaced; for a cluster-scoped custom resource \(its CRD says\), move its rule to a ClusterRole\.$/m);
});
