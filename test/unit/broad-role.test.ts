// What the server does with the broad-grant guard's findings (both layers), on its own: withdraw unless accepted, and say why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BroadRoleRefused, KEPT_WHEN_WITHDRAWN, refusalMessage, withdrawn, withdrawnMessage } from '../../src/policy/broad-role.ts';
import type { Finding } from '../../src/rbac/broad-grants.ts';
import { EXIT } from '../../src/exit-codes.ts';
import type { IamFinding } from '../../src/aws/iam-grants.ts';
import { parsePolicy } from '../../src/aws/iam-policy.ts';

const secrets: Finding = {
  id: 'cluster-secrets', severity: 'high', title: 'read Secrets cluster-wide', reason: 'every Secret of every namespace.',
  causes: [{ permission: { verb: 'list', group: '', resource: 'secrets', scope: 'cluster' } }],
};
const bind: Finding = {
  id: 'rbac-bind', severity: 'critical', title: 'bind on roles', reason: 'binds anything.',
  causes: [
    { permission: { verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'roles', scope: 'namespaced' }, namespace: 'team-a' },
    { permission: { verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', scope: 'cluster' } },
  ],
};

test('the tools are withdrawn while a finding stands that no --accept-broad-role covers', () => {
  assert.equal(withdrawn([secrets], undefined), true);
  assert.equal(withdrawn([secrets], 'the platform team\'s break-glass agent'), false);
  assert.equal(withdrawn([], undefined), false);
  assert.equal(withdrawn([], ''), false);
  assert.deepEqual([...KEPT_WHEN_WITHDRAWN].sort(), ['can_i', 'whoami']);
});

test('the refusal at start names each finding with its right, the narrow RBAC, and the way to accept the role', () => {
  const one = refusalMessage([secrets], 'eks-rbac-mcp rbac --tools pods_list', 'kind: Role\n\n');
  assert.equal(one, [
    'refusing to start: this connection\'s RBAC role is broader than an agent should hold (1 finding):',
    '[high] read Secrets cluster-wide (cluster-secrets): every Secret of every namespace.',
    '    granted: list secrets cluster-wide',
    '',
    'Narrow the role to what the tools in use need (printed by: eks-rbac-mcp rbac --tools pods_list):',
    'kind: Role',
    '(On EKS a grant may also come from an access policy associated with the role\'s access entry: narrow that too.)',
    '',
    'If this role is really meant for an agent, start with --accept-broad-role "<reason>" (or EKS_MCP_ACCEPT_BROAD_ROLE):',
    'the reason and these findings are then logged as a warning at start and at every change.',
  ].join('\n'));
  assert.match(refusalMessage([secrets, bind], 'x', 'y'), /^refusing to start: .* \(2 findings\):\n/);
  const refused = new BroadRoleRefused([bind], 'no');
  assert.equal(refused.exitCode, EXIT.broadRole);
  assert.equal(refused.name, 'BroadRoleRefused');
  assert.deepEqual(refused.findings, [bind]);
  assert.equal(refused.message, 'no');
});

test('a call to a withdrawn tool is told which findings, how many rights each, and what an operator can do', () => {
  assert.equal(withdrawnMessage('pods_list', [secrets, bind]),
    'pods_list is withdrawn: the connection\'s RBAC role gained broad grants while the server ran '
    + '(read Secrets cluster-wide: 1 right; bind on roles: 2 rights). No request was sent. '
    + 'An operator must narrow the role (the tools come back at the next re-discovery) or restart the server with --accept-broad-role "<reason>".');
});

test('one refusal for both layers: each IAM finding with the statements granting it, and the one IAM policy the server needs', () => {
  const iamFinding: IamFinding = {
    id: 'iam-eks-access', severity: 'critical', title: 'EKS access management on the cluster', reason: 'cluster-admin in two calls.',
    causes: [{ action: 'eks:AssociateAccessPolicy', resource: 'arn:aws:eks:us-east-1:1:access-entry/prod/*',
      grants: [{ statement: parsePolicy({ kind: 'inline', name: 'access' }, '{"Statement":[{"Sid":"A","Effect":"Allow","Action":"eks:*","Resource":"*"}]}')[0]!, conditionKeys: [] }] }],
  };
  const iam = { roleArn: 'arn:aws:iam::1:role/agent', findings: [iamFinding], narrowPolicy: '{"Statement":[]}\n' };
  const both = refusalMessage([secrets], 'eks-rbac-mcp rbac --tools pods_list', 'kind: Role\n', iam);
  assert.match(both, /^refusing to start: this connection's RBAC role and IAM role are broader than an agent should hold \(RBAC: 1 finding; IAM: 1 finding\):\n\[high\] read Secrets cluster-wide/);
  assert.ok(both.includes([
    'IAM role arn:aws:iam::1:role/agent: its credentials live in this server\'s memory, and these rights undo every RBAC check:',
    '[critical] EKS access management on the cluster (iam-eks-access): cluster-admin in two calls.',
    '    granted: eks:AssociateAccessPolicy on arn:aws:eks:us-east-1:1:access-entry/prod/*: allowed by inline policy access (statement A, Resource *)',
    '',
    'Give the role only what the server calls (EKS DescribeCluster, and none at all with --endpoint and --ca-file), or cut the rights above',
    'with a Deny or a permissions boundary:',
    '{"Statement":[]}',
    '',
    'If this role is really meant for an agent, start with --accept-broad-role "<reason>" (or EKS_MCP_ACCEPT_BROAD_ROLE):',
  ].join('\n')), both);
  const iamOnly = refusalMessage([], 'x', 'y', iam);
  assert.match(iamOnly, /^refusing to start: this connection's IAM role is broader than an agent should hold \(1 finding\):\nIAM role /);
  assert.doesNotMatch(iamOnly, /Narrow the role to what the tools in use need/, 'no RBAC finding, no narrow Role');
  assert.equal(refusalMessage([secrets], 'x', 'y', { ...iam, findings: [] }), refusalMessage([secrets], 'x', 'y'), 'an IAM side without findings adds nothing');
  assert.equal(withdrawn([iamFinding], undefined), true, 'either layer refuses');
  assert.deepEqual(new BroadRoleRefused([], 'no', [iamFinding]).iamFindings, [iamFinding]);
});
