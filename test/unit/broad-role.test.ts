// What the server does with the broad-grant guard's findings, on its own: withdraw unless accepted, and say why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BroadRoleRefused, KEPT_WHEN_WITHDRAWN, refusalMessage, withdrawn, withdrawnMessage } from '../../src/policy/broad-role.ts';
import type { Finding } from '../../src/rbac/broad-grants.ts';
import { EXIT } from '../../src/exit-codes.ts';

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
