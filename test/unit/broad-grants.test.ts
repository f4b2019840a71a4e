import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BROAD_GRANTS, classifyBroadGrants, describeCause, describeFindings, guardQuestions } from '../../src/rbac/broad-grants.ts';
import { grantFromRules, type Grant, type ResourceRule } from '../../src/rbac/rules.ts';
import type { Permission } from '../../src/rbac/permission.ts';

/** Decisions as RBAC would make them from rules bound cluster-wide and per namespace. */
function rbac(bound: { cluster?: ResourceRule[]; namespaces?: Record<string, ResourceRule[]> }) {
  return (p: Permission, namespace?: string): Grant => {
    const cluster = grantFromRules(bound.cluster ?? [], p);
    if (p.scope === 'cluster' || cluster.kind !== 'none') return cluster;
    return grantFromRules(bound.namespaces?.[namespace ?? ''] ?? [], p);
  };
}
const scope = ['team-a', 'team-b'];
const ids = (decide: ReturnType<typeof rbac>) => classifyBroadGrants(decide, scope).map((f) => f.id);
const rule = (verbs: string[], resources: string[], apiGroups = ['']): ResourceRule => ({ verbs, resources, apiGroups });

test('one table: unique ids, a reason and at least one check each', () => {
  assert.equal(new Set(BROAD_GRANTS.map((r) => r.id)).size, BROAD_GRANTS.length);
  for (const r of BROAD_GRANTS) {
    assert.ok(r.reason.length > 20 && r.checks.length > 0, r.id);
    assert.ok(['critical', 'high'].includes(r.severity));
  }
});

test('the discovery questions cover every check: cluster-wide and scoped ones, and kube-system outside the scope', () => {
  const q = guardQuestions();
  assert.ok(q.permissions.some((p) => p.verb === '*' && p.resource === '*' && p.scope === 'cluster'));
  assert.ok(q.permissions.some((p) => p.verb === 'escalate' && p.resource === 'roles' && p.scope === 'namespaced'));
  assert.ok(q.elsewhere.every((e) => e.namespace === 'kube-system' && e.permission.scope === 'namespaced'));
  assert.ok(q.elsewhere.some((e) => e.permission.verb === 'create' && e.permission.subresource === 'exec'));
});

test('cluster-admin bound cluster-wide trips every finding; in one namespace only the wildcard there', () => {
  const star = rule(['*'], ['*'], ['*']);
  assert.deepEqual(ids(rbac({ cluster: [star] })), BROAD_GRANTS.map((r) => r.id));
  const inNamespace = classifyBroadGrants(rbac({ namespaces: { 'team-a': [star] } }), scope);
  assert.deepEqual(inNamespace.map((f) => f.id), ['namespace-wildcard', 'rbac-escalate', 'rbac-bind']);
  assert.deepEqual(inNamespace[0]!.causes, [{ permission: { verb: '*', group: '*', resource: '*', scope: 'namespaced' }, namespace: 'team-a' }]);
});

test('edit-like rights in one namespace of the scope are not findings; the same in kube-system or cluster-wide are', () => {
  const edit = [
    rule(['create', 'delete', 'patch', 'update'], ['pods', 'pods/exec', 'secrets', 'serviceaccounts']),
    rule(['get', 'list', 'watch'], ['pods', 'secrets']),
    rule(['impersonate'], ['serviceaccounts']),
    rule(['create'], ['serviceaccounts/token']),
    rule(['create', 'patch', 'update'], ['deployments', 'daemonsets'], ['apps']),
  ];
  assert.deepEqual(ids(rbac({ namespaces: { 'team-a': edit } })), []);
  assert.deepEqual(ids(rbac({ namespaces: { 'kube-system': edit } })), ['impersonate', 'serviceaccount-token', 'kube-system-workloads']);
  assert.deepEqual(ids(rbac({ cluster: edit })), ['impersonate', 'serviceaccount-token', 'kube-system-workloads', 'cluster-secrets']);
});

test('each listed right trips its finding alone', () => {
  const cases: Array<[string, { cluster?: ResourceRule[]; namespaces?: Record<string, ResourceRule[]> }]> = [
    ['rbac-escalate', { namespaces: { 'team-b': [rule(['escalate'], ['roles'], ['rbac.authorization.k8s.io'])] } }],
    ['rbac-bind', { cluster: [rule(['bind'], ['clusterroles'], ['rbac.authorization.k8s.io'])] }],
    ['impersonate', { cluster: [rule(['impersonate'], ['groups'])] }],
    ['csr-approval', { cluster: [rule(['approve'], ['signers'], ['certificates.k8s.io'])] }],
    ['kube-system-workloads', { namespaces: { 'kube-system': [rule(['patch'], ['daemonsets'], ['apps'])] } }],
    ['nodes-proxy', { cluster: [rule(['get'], ['nodes/proxy'])] }],
    ['cluster-secrets', { cluster: [rule(['watch'], ['secrets'])] }],
    ['admission-webhooks', { cluster: [rule(['delete'], ['mutatingwebhookconfigurations'], ['admissionregistration.k8s.io'])] }],
  ];
  for (const [id, bound] of cases) assert.deepEqual(ids(rbac(bound)), [id], id);
});

test('a grant limited by resourceNames still counts, and says so', () => {
  const findings = classifyBroadGrants(rbac({ cluster: [{ verbs: ['impersonate'], apiGroups: [''], resources: ['users'], resourceNames: ['alice'] }] }), scope);
  assert.equal(findings.length, 1);
  assert.equal(describeCause(findings[0]!.causes[0]!), 'impersonate users cluster-wide (only alice)');
});

test('kube-system in the scope is reported once per right', () => {
  const findings = classifyBroadGrants(rbac({ namespaces: { 'kube-system': [rule(['escalate'], ['roles'], ['rbac.authorization.k8s.io'])] } }), ['kube-system']);
  assert.equal(findings[0]!.causes.length, 1);
});

test('the description names the severity, the reason and each right with where it is granted', () => {
  const text = describeFindings(classifyBroadGrants(rbac({ cluster: [rule(['get'], ['nodes/proxy'])] }), scope));
  assert.match(text, /^\[critical\] nodes\/proxy \(nodes-proxy\): reaches the kubelet API.*\n {4}granted: get nodes\/proxy cluster-wide$/);
});
