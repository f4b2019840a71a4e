// EKS access policies as discovery reads them: which association applies where, what each known policy grants (the
// same table the local control plane's authorizer grants from), and what a failed read means.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ACCESS_POLICY_RULES, accessPolicyRules, policyName, readFailure, scopeCovers, type PolicyAssociation } from '../../src/aws/access-policies.ts';
import { discoverPermissions } from '../../src/rbac/discovery.ts';
import type { Permission } from '../../src/rbac/permission.ts';
import { root } from '../helpers.ts';
import { authorizationApi } from '../authorization-api.ts';

const arn = (name: string, partition = 'aws') => `arn:${partition}:eks::aws:cluster-access-policy/${name}`;
const view: PolicyAssociation = { policyArn: arn('AmazonEKSViewPolicy'), scope: { type: 'namespace', namespaces: ['team-a', 'dev-*'] } };
const clusterAdmin: PolicyAssociation = { policyArn: arn('AmazonEKSClusterAdminPolicy'), scope: { type: 'cluster' } };
const listPods: Permission = { group: '', resource: 'pods', verb: 'list', scope: 'namespaced' };
const deletePods: Permission = { group: '', resource: 'pods', verb: 'delete', scope: 'namespaced' };
const listNodes: Permission = { group: '', resource: 'nodes', verb: 'list', scope: 'cluster' };

test('the policy name comes from an AWS-managed access policy ARN only, in any partition', () => {
  assert.equal(policyName(arn('AmazonEKSViewPolicy')), 'AmazonEKSViewPolicy');
  assert.equal(policyName(arn('AmazonEKSEditPolicy', 'aws-cn')), 'AmazonEKSEditPolicy');
  assert.equal(policyName('arn:aws:eks::111122223333:cluster-access-policy/AmazonEKSViewPolicy'), undefined, 'not the aws account');
  assert.equal(policyName('AmazonEKSViewPolicy'), undefined);
});

test('a namespace scope covers its namespaces (a trailing * as a prefix), never the cluster-wide questions; a cluster scope covers all', () => {
  assert.equal(scopeCovers(view.scope, 'team-a'), true);
  assert.equal(scopeCovers(view.scope, 'dev-1'), true);
  assert.equal(scopeCovers(view.scope, 'team-b'), false);
  assert.equal(scopeCovers(view.scope, 'dev'), false);
  assert.equal(scopeCovers(view.scope, undefined), false);
  assert.equal(scopeCovers(view.scope, ''), false);
  assert.equal(scopeCovers(clusterAdmin.scope, undefined), true);
  assert.equal(scopeCovers(clusterAdmin.scope, 'anything'), true);
});

test('the rules the associations grant where they apply; unknown where an unknown policy applies, and only there', () => {
  assert.deepEqual(accessPolicyRules([view], 'team-a'), ACCESS_POLICY_RULES.get('AmazonEKSViewPolicy'));
  assert.deepEqual(accessPolicyRules([view], 'team-b'), []);
  assert.deepEqual(accessPolicyRules([view, clusterAdmin], undefined), [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]);
  const unknown: PolicyAssociation = { policyArn: arn('AmazonEKSSomethingNewPolicy'), scope: { type: 'namespace', namespaces: ['team-b'] } };
  assert.equal(accessPolicyRules([view, unknown], 'team-b'), undefined);
  assert.deepEqual(accessPolicyRules([view, unknown], 'team-a'), ACCESS_POLICY_RULES.get('AmazonEKSViewPolicy'));
  assert.deepEqual(accessPolicyRules([view, unknown], undefined), []);
});

test('the table is the one the local control plane\'s authorizer grants from, rule for rule', () => {
  const script = 'import json; from eks_webhook.access_policies import ACCESS_POLICIES as P; '
    + 'print(json.dumps({n: [{"apiGroups": list(g), "resources": list(r), "verbs": list(v)} for g, r, v in rules] for n, rules in P.items()}))';
  const python = JSON.parse(execFileSync('python3', ['-c', script], { env: { ...process.env, PYTHONPATH: join(root, 'test', 'cluster') } }).toString());
  assert.deepEqual(Object.fromEntries(ACCESS_POLICY_RULES), python);
});

test('a read that fails: no access entry is known (nothing granted); a refusal or anything else leaves the policies to access reviews', () => {
  const failure = (name: string, message: string, status?: number) => readFailure(Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } }));
  assert.deepEqual(failure('ResourceNotFoundException', 'The specified principalArn could not be found.'), { kind: 'read', associations: [], noAccessEntry: true });
  assert.deepEqual(failure('AccessDeniedException', 'User: x is not authorized to perform: eks:ListAssociatedAccessPolicies', 403),
    { kind: 'unreadable', denied: true, reason: 'eks:ListAssociatedAccessPolicies failed: AccessDeniedException: User: x is not authorized to perform: eks:ListAssociatedAccessPolicies' });
  assert.equal(failure('ResourceNotFoundException', 'No cluster found for name: other.').kind, 'unreadable', 'another cluster: nothing is known');
  assert.deepEqual(failure('InvalidRequestException', 'The cluster\'s authentication mode must be API or API_AND_CONFIG_MAP', 400).kind, 'unreadable');
  assert.equal((failure('TimeoutError', 'connect ETIMEDOUT') as { denied: boolean }).denied, false);
});

test('discovery with the access policies known: no access review for the questions they settle, and one for an unknown policy\'s scope only', async () => {
  const api = authorizationApi({ rules: { 'team-a': { rules: [], incomplete: true }, 'team-b': { rules: [], incomplete: true } }, allowed: (a) => a.verb === 'delete' });
  const unknown: PolicyAssociation = { policyArn: arn('AmazonEKSSomethingNewPolicy'), scope: { type: 'namespace', namespaces: ['team-b'] } };
  const known = async () => ({ rulesIn: (ns: string | undefined) => accessPolicyRules([view, unknown], ns) });
  const permissions = await discoverPermissions(api.client, ['team-a', 'team-b'], [listPods, deletePods, listNodes], [], known);
  assert.deepEqual(permissions.decision(listPods, 'team-a'), { kind: 'all', source: 'access-policy' });
  assert.deepEqual(permissions.decision(deletePods, 'team-a'), { kind: 'none', source: 'access-policy' });
  assert.deepEqual(permissions.decision(listNodes), { kind: 'none', source: 'access-policy' }, 'no rules review grants it: no ClusterRoleBinding does');
  assert.deepEqual(permissions.decision(deletePods, 'team-b'), { kind: 'all', source: 'access-review' }, 'the unknown policy: the server is asked');
  assert.deepEqual(api.accessReviews().map((a) => `${a.verb} ${a.resource} @${a.namespace}`).sort(), ['delete pods @team-b', 'list pods @team-b']);
  assert.deepEqual(permissions.requests, { selfsubjectrulesreviews: 2, 'eks:ListAssociatedAccessPolicies': 1, selfsubjectaccessreviews: 2 });
  assert.equal(permissions.requestCount, 4, 'the EKS call is not a Kubernetes API request');
});
