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

test('the whole table as an operator reads it when every right is granted: each finding\'s id, severity, title, reason and rights, and where', () => {
  const everything = (): Grant => ({ kind: 'all' });
  assert.equal(describeFindings(classifyBroadGrants(everything, ['team-a'])), [
    '[critical] cluster-admin equivalence (cluster-admin): every verb on every resource in every namespace: the agent could do anything, including granting itself more. A "temporary" cluster-admin is the most permanent kind.',
    '    granted: * on every resource of every API group cluster-wide',
    '[high] every verb on every resource of a namespace (namespace-wildcard): the namespace\'s Secrets, its service accounts\' tokens and its RoleBindings are all the agent\'s: name the verbs and resources the tools need instead.',
    '    granted: * on every resource of every API group in namespace team-a',
    '    granted: * on every resource of every API group in namespace kube-system',
    '[critical] escalate on roles (rbac-escalate): lets the identity write Roles granting rights it does not hold itself: RBAC\'s escalation check no longer binds it.',
    '    granted: escalate roles.rbac.authorization.k8s.io cluster-wide',
    '    granted: escalate roles.rbac.authorization.k8s.io in namespace team-a',
    '    granted: escalate roles.rbac.authorization.k8s.io in namespace kube-system',
    '    granted: escalate clusterroles.rbac.authorization.k8s.io cluster-wide',
    '[critical] bind on roles (rbac-bind): lets the identity bind itself (or anyone) to any Role or ClusterRole, cluster-admin included, without holding its rights.',
    '    granted: bind roles.rbac.authorization.k8s.io cluster-wide',
    '    granted: bind roles.rbac.authorization.k8s.io in namespace team-a',
    '    granted: bind roles.rbac.authorization.k8s.io in namespace kube-system',
    '    granted: bind clusterroles.rbac.authorization.k8s.io cluster-wide',
    '    granted: bind clusterroles.rbac.authorization.k8s.io in namespace team-a',
    '    granted: bind clusterroles.rbac.authorization.k8s.io in namespace kube-system',
    '[critical] impersonation (impersonate): lets the identity act as another user, group or service account, with all of their rights.',
    '    granted: impersonate users cluster-wide',
    '    granted: impersonate groups cluster-wide',
    '    granted: impersonate serviceaccounts cluster-wide',
    '    granted: impersonate serviceaccounts in namespace kube-system',
    '[high] create service account tokens (serviceaccount-token): mints tokens for other service accounts (in kube-system, the controllers\'), which carry their rights and outlive this connection.',
    '    granted: create serviceaccounts/token cluster-wide',
    '    granted: create serviceaccounts/token in namespace kube-system',
    '[critical] approve certificate signing requests (csr-approval): approving a CSR for the kube-apiserver-client signer mints a client certificate for any user and group, system:masters included.',
    '    granted: approve signers.certificates.k8s.io cluster-wide',
    '    granted: update certificatesigningrequests.certificates.k8s.io/approval cluster-wide',
    '[high] create or change workloads in kube-system (kube-system-workloads): pods in kube-system run as the cluster\'s own controllers\' service accounts, and DaemonSets on every node: code there is the cluster\'s identity.',
    '    granted: create pods in namespace kube-system',
    '    granted: update pods in namespace kube-system',
    '    granted: patch pods in namespace kube-system',
    '    granted: create deployments.apps in namespace kube-system',
    '    granted: update deployments.apps in namespace kube-system',
    '    granted: patch deployments.apps in namespace kube-system',
    '    granted: create daemonsets.apps in namespace kube-system',
    '    granted: update daemonsets.apps in namespace kube-system',
    '    granted: patch daemonsets.apps in namespace kube-system',
    '    granted: create pods/exec in namespace kube-system',
    '[critical] nodes/proxy (nodes-proxy): reaches the kubelet API, which runs commands in any pod on the node, past the API server\'s admission and audit.',
    '    granted: get nodes/proxy cluster-wide',
    '    granted: create nodes/proxy cluster-wide',
    '[high] read Secrets cluster-wide (cluster-secrets): every Secret of every namespace: service account tokens, other teams\' and other agents\' credentials.',
    '    granted: get secrets cluster-wide',
    '    granted: list secrets cluster-wide',
    '    granted: watch secrets cluster-wide',
    '[critical] write admission webhook configurations (admission-webhooks): a mutating webhook sees and rewrites every object written to the cluster, Secrets included; deleting a validating one switches a policy off.',
    '    granted: create validatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide',
    '    granted: update validatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide',
    '    granted: patch validatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide',
    '    granted: delete validatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide',
    '    granted: create mutatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide',
    '    granted: update mutatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide',
    '    granted: patch mutatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide',
    '    granted: delete mutatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide',
  ].join('\n'));
});
