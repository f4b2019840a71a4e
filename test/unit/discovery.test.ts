// Permission decisions, each layer on its own: the answers of the authorization API are given here as the
// API server shapes them (test/server.test.ts checks them against a real one), so that every branch of the
// decision can be driven without a control plane, and every request the decision sends is seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessReview, discoverPermissions, EXTENSION_GROUPS, groupServed, reviewNamespace } from '../../src/rbac/discovery.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { KubeApiError } from '../../src/kube/errors.ts';
import type { Permission } from '../../src/rbac/permission.ts';
import type { ResourceRule } from '../../src/rbac/rules.ts';
import { authorizationApi, type Answers, type AuthorizationApi, type ResourceAttributes } from '../authorization-api.ts';
import { cluster } from './served-kinds.ts';
import { SERVED_KINDS_REQUEST } from '../../src/kube/api-resources.ts';
import { Discovery } from '../../src/server/discovery.ts';
import { catalogue } from '../../tools/index.ts';

const listPods: Permission = { group: '', resource: 'pods', verb: 'list', scope: 'namespaced' };
const getPods: Permission = { group: '', resource: 'pods', verb: 'get', scope: 'namespaced' };
const deletePods: Permission = { group: '', resource: 'pods', verb: 'delete', scope: 'namespaced' };
const getSecrets: Permission = { group: '', resource: 'secrets', verb: 'get', scope: 'namespaced' };
const listNodes: Permission = { group: '', resource: 'nodes', verb: 'list', scope: 'cluster' };
const podReader: ResourceRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
const everything = () => true;

test('allows refuses a namespace outside the scope on its own, even when the cluster would grant it, and asks nothing', async () => {
  // A ClusterRoleBinding grants every verb everywhere: only the scope check stands between the call and the cluster.
  const api = authorizationApi({ rules: { 'team-a': { rules: [podReader], incomplete: true } }, allowed: everything });
  const permissions = await discoverPermissions(api.client, ['team-a'], [listPods]);
  const before = api.sent.length;
  assert.equal(await permissions.allows(listPods, 'team-a'), true);
  for (const outside of ['team-b', 'kube-system', '', 'TEAM-A']) {
    assert.equal(await permissions.allows(listPods, outside), false, outside);
    assert.equal(await permissions.allows(deletePods, outside, 'web-1'), false, `${outside}: a permission discovery never saw`);
  }
  assert.equal(await permissions.allows(listPods, undefined), false, 'a namespaced permission without a namespace');
  assert.equal(await permissions.allows(listPods), false);
  assert.equal(api.sent.length, before, 'no review was sent for a namespace outside the scope');
});

test('allows: a cluster-scoped permission ignores the namespace it is given', async () => {
  const api = authorizationApi({ allowed: (a) => a.resource === 'nodes' });
  const permissions = await discoverPermissions(api.client, ['team-a'], [listNodes]);
  assert.equal(await permissions.allows(listNodes), true);
  assert.equal(await permissions.allows(listNodes, 'team-a'), true);
  assert.equal(await permissions.allows(listNodes, 'not-in-scope'), true, 'cluster-scoped: no namespace to check');
  assert.deepEqual(api.accessReviews(), [{ verb: 'list', group: '', resource: 'nodes', subresource: '', namespace: '', name: '' }], 'asked once, cluster-wide');
});

test('allows follows the grant: all objects, only the named ones, or none', async () => {
  const rules: ResourceRule[] = [podReader, { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db', 'api'] }];
  const api = authorizationApi({ rules: { 'team-a': { rules } } });
  const permissions = await discoverPermissions(api.client, ['team-a'], [getPods, getSecrets, deletePods]);
  assert.equal(await permissions.allows(getPods, 'team-a', 'web-1'), true);
  assert.equal(await permissions.allows(getSecrets, 'team-a', 'db'), true);
  assert.equal(await permissions.allows(getSecrets, 'team-a', 'other'), false, 'a name outside resourceNames');
  assert.equal(await permissions.allows(getSecrets, 'team-a'), false, 'no name: the collection');
  assert.equal(await permissions.allows(deletePods, 'team-a', 'web-1'), false);
  assert.deepEqual(permissions.decision(getSecrets, 'team-a'), { kind: 'names', names: ['api', 'db'], source: 'rules' });
  assert.deepEqual(permissions.decision(deletePods, 'team-a'), { kind: 'none', source: 'rules' });
  assert.equal(api.accessReviews().length, 0, 'a complete rules review answers every namespaced question');
});

test('a complete rules review decides namespaced permissions; an incomplete one asks the server for what the rules do not grant', async () => {
  const api = authorizationApi({
    rules: { complete: { rules: [podReader] }, partial: { rules: [podReader], incomplete: true } },
    allowed: (a) => a.verb === 'delete' && a.namespace === 'partial',
  });
  const permissions = await discoverPermissions(api.client, ['complete', 'partial'], [listPods, deletePods, getSecrets]);
  assert.deepEqual(permissions.decision(listPods, 'complete'), { kind: 'all', source: 'rules' });
  assert.deepEqual(permissions.decision(listPods, 'partial'), { kind: 'all', source: 'rules' }, 'granted by the rules: no need to ask');
  assert.deepEqual(permissions.decision(deletePods, 'complete'), { kind: 'none', source: 'rules' });
  assert.deepEqual(permissions.decision(deletePods, 'partial'), { kind: 'all', source: 'access-review' }, 'an access policy grants it');
  assert.deepEqual(permissions.decision(getSecrets, 'partial'), { kind: 'none', source: 'access-review' });
  assert.deepEqual(api.accessReviews(), [
    { verb: 'delete', group: '', resource: 'pods', subresource: '', namespace: 'partial', name: '' },
    { verb: 'get', group: '', resource: 'secrets', subresource: '', namespace: 'partial', name: '' },
  ]);
  assert.equal(permissions.requestCount, 2 + 2, 'two rules reviews, two access reviews (no cluster-scoped question: no cluster-wide review)');
  assert.equal(await permissions.allows(deletePods, 'partial', 'web-1'), true);
  assert.equal(await permissions.allows(deletePods, 'complete', 'web-1'), false);
});

test('where the server denies what the rules grant only by name, the names still hold', async () => {
  const named: ResourceRule = { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] };
  const api = authorizationApi({ rules: { 'team-a': { rules: [named], incomplete: true } } });
  const permissions = await discoverPermissions(api.client, ['team-a'], [getSecrets]);
  assert.deepEqual(permissions.decision(getSecrets, 'team-a'), { kind: 'names', names: ['db'], source: 'access-review' });
  assert.equal(await permissions.allows(getSecrets, 'team-a', 'db'), true);
  assert.equal(await permissions.allows(getSecrets, 'team-a', 'other'), false);
});

test('a cluster-scoped permission is asked of the server only where every namespace\'s rules have it: a ClusterRoleBinding shows in all', async () => {
  const star: ResourceRule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
  // One namespace whose rules grant everything: a ClusterRoleBinding or a RoleBinding, only the server can tell.
  const api = authorizationApi({ rules: { 'team-a': { rules: [star], incomplete: true } }, allowed: () => false });
  const permissions = await discoverPermissions(api.client, ['team-a'], [listNodes, listNodes]);
  assert.deepEqual(permissions.decision(listNodes), { kind: 'none', source: 'access-review' });
  assert.deepEqual(permissions.decision(listNodes, 'team-a'), { kind: 'none', source: 'access-review' }, 'the namespace is ignored');
  assert.equal(await permissions.allows(listNodes), false);
  assert.equal(api.accessReviews().length, 1, 'a permission listed twice is asked once');
  assert.equal(permissions.requestCount, 2);

  // A namespace whose rules lack it: no ClusterRoleBinding grants it, and with RBAC alone (complete reviews) nothing does.
  const complete = authorizationApi({ rules: { 'team-a': { rules: [star] }, 'team-b': { rules: [] } }, allowed: () => true });
  const rbacOnly = await discoverPermissions(complete.client, ['team-a', 'team-b'], [listNodes]);
  assert.deepEqual(rbacOnly.decision(listNodes), { kind: 'none', source: 'rules' });
  assert.equal(complete.accessReviews().length, 0);
  // Where another authorizer may grant it (incomplete reviews) and what it grants is not known, the server is asked.
  const webhook = authorizationApi({ rules: { 'team-a': { rules: [star], incomplete: true }, 'team-b': { rules: [], incomplete: true } }, allowed: (a) => a.resource === 'nodes' });
  const asked = await discoverPermissions(webhook.client, ['team-a', 'team-b'], [listNodes]);
  assert.deepEqual(asked.decision(listNodes), { kind: 'all', source: 'access-review' });
  // Known, it answers: EKS access policies of cluster scope.
  const known = authorizationApi({ rules: { 'team-a': { rules: [], incomplete: true } }, allowed: () => { throw new Error('not asked'); } });
  const grants = (rules: ResourceRule[]) => async () => ({ rulesIn: () => rules });
  const viewer = await discoverPermissions(known.client, ['team-a'], [listNodes, deletePods], [], grants([{ verbs: ['list'], apiGroups: [''], resources: ['nodes'] }]));
  assert.deepEqual(viewer.decision(listNodes), { kind: 'all', source: 'access-policy' });
  assert.deepEqual(viewer.decision(deletePods, 'team-a'), { kind: 'none', source: 'access-policy' });
  assert.equal(known.accessReviews().length, 0);
});

test('a permission discovery did not cover is decided on first use, once, and asked again after a failure', async () => {
  let failing = true;
  const api = authorizationApi({ rules: { 'team-a': { rules: [podReader], incomplete: true } }, allowed: (a) => a.resource === 'statefulsets', failing: () => failing });
  const permissions = await discoverPermissions(api.client, ['team-a'], []);
  const statefulsets: Permission = { group: 'apps', resource: 'statefulsets', verb: 'get', scope: 'namespaced' };
  assert.deepEqual(permissions.decision(statefulsets, 'team-a'), { kind: 'none', source: 'rules' }, 'not decided at discovery');
  await assert.rejects(permissions.allows(statefulsets, 'team-a', 'db'), /ECONNREFUSED/);
  failing = false;
  assert.equal(await permissions.allows(statefulsets, 'team-a', 'db'), true, 'the failed review is asked again');
  assert.equal(await permissions.allows(statefulsets, 'team-a', 'db'), true);
  assert.equal(await permissions.allows(statefulsets, 'team-a'), true);
  assert.deepEqual(api.accessReviews().map((a) => `${a.verb} ${a.resource} ${a.namespace}`), ['get statefulsets team-a', 'get statefulsets team-a'],
    'one review for the failure, one that is then reused');
  assert.equal(await permissions.allows(getPods, 'team-a', 'web-1'), true, 'granted by the rules: no review');
  assert.equal(api.accessReviews().length, 2);
});

test('concurrent first uses of one permission share one review', async () => {
  const api = authorizationApi({ rules: { 'team-a': { rules: [], incomplete: true } }, allowed: everything });
  const permissions = await discoverPermissions(api.client, ['team-a'], []);
  const answers = await Promise.all([1, 2, 3].map(() => permissions.allows(deletePods, 'team-a', 'web-1')));
  assert.deepEqual(answers, [true, true, true]);
  assert.equal(api.accessReviews().length, 1);
});

test('the reviews sent: one rules review per namespace, access reviews with the object\'s attributes', async () => {
  const api = authorizationApi({ rules: { 'team-a': { rules: [podReader], incomplete: true } }, allowed: everything });
  const review = await reviewNamespace(api.client, 'team-a');
  assert.deepEqual(review, { namespace: 'team-a', rules: [podReader], incomplete: true });
  const noStatus = { async json() { return {}; } } as unknown as KubeClient;
  assert.deepEqual(await reviewNamespace(noStatus, 'empty'), { namespace: 'empty', rules: [], incomplete: false }, 'no status: no rules');
  assert.deepEqual(api.sent[0], {
    method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', idempotent: true,
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'team-a' } },
  });
  const scale: Permission = { group: 'apps', resource: 'deployments', subresource: 'scale', verb: 'patch', scope: 'namespaced' };
  assert.equal(await accessReview(api.client, scale, 'team-a', 'web'), true);
  assert.deepEqual(api.sent.at(-1), {
    method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', idempotent: true,
    body: {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'team-a', name: 'web' } },
    },
  });
  await accessReview(api.client, listNodes, 'team-a');
  assert.deepEqual(api.accessReviews().at(-1), { verb: 'list', group: '', resource: 'nodes', subresource: '', namespace: '', name: '' },
    'cluster-scoped: no namespace, whatever is given');
});

test('an access review is yes only when the server says allowed: true', async () => {
  const answer = (status: unknown) => ({ async json() { return { status }; } }) as unknown as KubeClient;
  assert.equal(await accessReview(answer({ allowed: true }), getPods, 'team-a'), true);
  assert.equal(await accessReview(answer({ allowed: false, denied: false }), getPods, 'team-a'), false);
  assert.equal(await accessReview(answer({}), getPods, 'team-a'), false);
  assert.equal(await accessReview(answer(undefined), getPods, 'team-a'), false);
});

test('namespacesAllowing: every permission granted at least for some objects, cluster-scoped ones everywhere', async () => {
  const named: ResourceRule = { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] };
  const api = authorizationApi({
    rules: { 'team-a': { rules: [podReader, named], incomplete: true }, 'team-b': { rules: [podReader], incomplete: true }, 'team-c': { rules: [], incomplete: true } },
    allowed: (a) => a.resource === 'nodes',
  });
  const permissions = await discoverPermissions(api.client, ['team-a', 'team-b', 'team-c'], [listPods, getSecrets, listNodes, deletePods]);
  assert.deepEqual(permissions.namespacesAllowing([listPods]), ['team-a', 'team-b']);
  assert.deepEqual(permissions.namespacesAllowing([listPods, getSecrets]), ['team-a'], 'names-only grants count');
  assert.deepEqual(permissions.namespacesAllowing([listPods, deletePods]), []);
  assert.deepEqual(permissions.namespacesAllowing([listNodes]), ['team-a', 'team-b', 'team-c'], 'cluster-scoped and granted: the whole scope');
  assert.deepEqual(permissions.namespacesAllowing([listNodes, listPods]), ['team-a', 'team-b']);
  const nodesDenied = await discoverPermissions(authorizationApi({ rules: { 'team-a': { rules: [podReader] } } }).client, ['team-a'], [listPods, listNodes]);
  assert.deepEqual(nodesDenied.namespacesAllowing([listNodes, listPods]), [], 'a cluster-scoped permission denied: nowhere');
  assert.deepEqual(nodesDenied.namespacesAllowing([listPods]), ['team-a']);
});

test('namespacesGrantingVerbBeyond: an unlimited grant of the verb on a kind the cluster serves and no specific tool covers', async () => {
  const covered = new Set(['|pods', 'apps|deployments']);
  const probe: Permission = { group: 'apps', resource: 'statefulsets', verb: 'list', scope: 'namespaced' };
  const granting = async (rule: ResourceRule, incomplete = false, allowed = (_: ResourceAttributes) => false) => {
    const api = authorizationApi({ rules: { 'team-a': { rules: [rule], incomplete } }, allowed });
    const permissions = await discoverPermissions(api.client, ['team-a'], [probe]);
    return permissions.namespacesGrantingVerbBeyond('list', covered, [probe], cluster);
  };
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: ['apps'], resources: ['statefulsets'] }), ['team-a']);
  assert.deepEqual(await granting({ verbs: ['*'], apiGroups: ['batch'], resources: ['jobs'] }), ['team-a'], 'verb wildcard');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: ['*'], resources: ['pods'] }), ['team-a'], 'group wildcard: pods.metrics.k8s.io is served');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: ['*'], resources: ['deployments'] }), [], 'group wildcard: only apps serves deployments');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: [''], resources: ['*'] }), ['team-a'], 'resource wildcard');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: ['apps'], resources: ['*'] }), ['team-a'], 'resource wildcard: statefulsets');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: [''], resources: ['pods'] }), [], 'covered by a specific tool');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: ['apps'], resources: ['deployments'] }), [], 'covered, in its group');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: ['', 'apps'], resources: ['pods', 'deployments'] }), [],
    'the cross product: core deployments and apps pods are no kinds');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: ['example.org'], resources: ['gadgets'] }), [], 'a group the cluster does not serve');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: ['authorization.k8s.io'], resources: ['*'] }), [], 'a kind that takes no list');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: ['apps'], resources: ['statefulsets/status'] }), [], 'a subresource is not a kind');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: ['*'], resources: ['*/scale'] }), [], 'nor is every scale subresource');
  assert.deepEqual(await granting({ verbs: ['get'], apiGroups: ['apps'], resources: ['statefulsets'] }), [], 'another verb');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: ['db'] }), [], 'limited by name');
  assert.deepEqual(await granting({ verbs: ['list'], resources: ['statefulsets'] }), [], 'no apiGroups');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: ['apps'] }), [], 'no resources');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: [''], resources: ['pods'] }, true, (a) => a.resource === 'statefulsets'), ['team-a'],
    'an incomplete review: a probe the server grants');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: [''], resources: ['pods'] }, true), [], 'an incomplete review, no probe granted');
  assert.deepEqual(await granting({ verbs: ['list'], apiGroups: [''], resources: ['pods'] }, false, everything), [],
    'a complete review: the rules alone decide');
});

test('namespacesGrantingVerbBeyond: a cluster-scoped kind counts only where discovery found it granted cluster-wide', async () => {
  const storageClasses: ResourceRule = { verbs: ['list'], apiGroups: ['storage.k8s.io'], resources: ['storageclasses'] };
  const listStorageClasses: Permission = { group: 'storage.k8s.io', resource: 'storageclasses', verb: 'list', scope: 'cluster' };
  const granting = async (allowed: (a: ResourceAttributes) => boolean, asked: Permission[]) => {
    const api = authorizationApi({ rules: { 'team-a': { rules: [storageClasses] }, 'team-b': { rules: [storageClasses] } }, allowed });
    const permissions = await discoverPermissions(api.client, ['team-a', 'team-b'], asked);
    return permissions.namespacesGrantingVerbBeyond('list', new Set(), [], cluster);
  };
  assert.deepEqual(await granting((a) => a.resource === 'storageclasses' && a.namespace === '', [listStorageClasses]), ['team-a', 'team-b'],
    'a ClusterRoleBinding: its rules are in every namespace\'s review');
  assert.deepEqual(await granting(() => false, [listStorageClasses]), [], 'RoleBindings: the rules name it, the cluster-wide review refuses it');
  assert.deepEqual(await granting(everything, []), [], 'not decided at discovery: not counted');
});

test('a round reads the served kinds with the signals, counted, and decides the cluster-scoped kinds only the rules name with the rest', async () => {
  const storageClasses: ResourceRule = { verbs: ['get', 'list'], apiGroups: ['storage.k8s.io'], resources: ['storageclasses'] };
  const api = authorizationApi({ rules: { 'team-a': { rules: [podReader, storageClasses] } }, served: cluster,
    allowed: (a) => a.resource === 'storageclasses' && a.namespace === '' });
  const discovery = new Discovery({ kube: api.client, summary: {} }, ['team-a'], catalogue);
  const { permissions, served } = await discovery.discover();
  assert.equal(permissions.requests[SERVED_KINDS_REQUEST], 2, '/api and /apis, read once, counted with the rest');
  assert.deepEqual(api.accessReviews().filter((a) => a.resource === 'storageclasses').map((a) => `${a.verb} ${a.namespace || 'cluster-wide'}`).sort(),
    ['get cluster-wide', 'list cluster-wide'], 'the generic tools\' verbs on the cluster-scoped kind the rules name, cluster-wide, each once');
  assert.deepEqual(permissions.decision({ group: 'storage.k8s.io', resource: 'storageclasses', verb: 'list', scope: 'cluster' }), { kind: 'all', source: 'access-review' });
  const again = await discovery.signals();
  assert.equal(again.served, served, 'the next round: the same served kinds, not read again');
  assert.equal(again.signals.requests[SERVED_KINDS_REQUEST], undefined);
  assert.equal(api.sent.filter((r) => r.path === '/api').length, 1);
});

test('the fingerprint changes with an answer and only then', async () => {
  const run = async (answers: Answers, namespaces = ['team-a', 'team-b'], permissions = [listPods, deletePods, listNodes]) =>
    (await discoverPermissions(authorizationApi(answers).client, namespaces, permissions)).fingerprint();
  const rules = { 'team-a': { rules: [podReader, { verbs: ['watch'], apiGroups: [''], resources: ['events'] }] }, 'team-b': { rules: [], incomplete: true } };
  const reordered = { 'team-a': { rules: [{ verbs: ['watch'], apiGroups: [''], resources: ['events'] }, podReader] }, 'team-b': { rules: [], incomplete: true } };
  const base = await run({ rules, allowed: (a) => a.verb === 'delete' });
  assert.equal(await run({ rules: reordered, allowed: (a) => a.verb === 'delete' }), base, 'rules in another order');
  assert.equal(await run({ rules, allowed: (a) => a.verb === 'delete' }, ['team-a', 'team-b'], [listNodes, deletePods, listPods]), base,
    'permissions in another order');
  assert.notEqual(await run({ rules, allowed: () => false }), base, 'an access review answered otherwise');
  assert.notEqual(await run({ rules: { ...rules, 'team-b': { rules: [], incomplete: false } }, allowed: (a) => a.verb === 'delete' }), base,
    'a review no longer incomplete');
  assert.notEqual(await run({ rules: { ...rules, 'team-a': { rules: [podReader] } }, allowed: (a) => a.verb === 'delete' }), base, 'a rule gone');
  const changed = { ...rules, 'team-a': { rules: [podReader, { verbs: ['watch'], apiGroups: [''], resources: ['configmaps'] }] } };
  assert.notEqual(await run({ rules: changed, allowed: (a) => a.verb === 'delete' }), base, 'a rule changed, though no decision did');
});

/** An API server whose discovery document for extension groups answers with this status (200: served). */
function extensionGroups(status: number | Error): AuthorizationApi {
  return authorizationApi({
    rules: { 'team-a': { rules: [{ verbs: ['get', 'list'], apiGroups: ['metrics.k8s.io'], resources: ['pods'] }], incomplete: true } },
    allowed: () => true, group: () => status,
  });
}

test('a permission of an extension group (metrics-server) that is not served is granted nowhere, whatever the rules say', async () => {
  const podMetrics: Permission = { group: 'metrics.k8s.io', resource: 'pods', verb: 'list', scope: 'namespaced' };
  const nodeMetrics: Permission = { group: 'metrics.k8s.io', resource: 'nodes', verb: 'list', scope: 'cluster' };
  for (const status of [404, 503]) {
    const { client, accessReviews } = extensionGroups(status);
    const permissions = await discoverPermissions(client, ['team-a'], [podMetrics, nodeMetrics, listPods]);
    assert.deepEqual(permissions.decision(podMetrics, 'team-a'), { kind: 'none', source: 'not-served' }, `HTTP ${status}`);
    assert.deepEqual(permissions.decision(nodeMetrics), { kind: 'none', source: 'not-served' }, `HTTP ${status}`);
    assert.deepEqual(accessReviews().filter((a) => a.group === 'metrics.k8s.io'), [], 'nothing asked about a group nobody serves');
    assert.equal(await groupServed(client, 'metrics.k8s.io'), false);
  }
  const served = extensionGroups(200);
  const permissions = await discoverPermissions(served.client, ['team-a'], [podMetrics, nodeMetrics]);
  assert.equal(permissions.decision(podMetrics, 'team-a').kind, 'all');
  assert.deepEqual(permissions.decision(nodeMetrics), { kind: 'all', source: 'access-review' });
  assert.equal(await groupServed(served.client, 'metrics.k8s.io'), true);
  assert.equal(EXTENSION_GROUPS.get('metrics.k8s.io'), 'metrics-server', 'what the operator is told to install');
});

test('whether a group is served: any other failure is not taken for "not served"', async () => {
  await assert.rejects(groupServed(extensionGroups(403).client, 'metrics.k8s.io'), KubeApiError);
  await assert.rejects(groupServed(extensionGroups(new Error('connect ECONNREFUSED')).client, 'metrics.k8s.io'), /ECONNREFUSED/);
});

test('the permissions granted, each once: cluster-wide ones where the cluster grants them, namespaced ones in some namespace of the scope', async () => {
  const secretsList: Permission = { group: '', resource: 'secrets', verb: 'list', scope: 'namespaced' };
  const listEvents: Permission = { group: '', resource: 'events', verb: 'list', scope: 'cluster' };
  const set = await discoverPermissions(authorizationApi({ rules: { 'team-a': { rules: [], incomplete: true }, 'team-b': { rules: [podReader], incomplete: true } }, allowed: (a) => a.namespace === '' && a.resource === 'nodes' }).client,
    ['team-a', 'team-b'], [listPods, listNodes, listEvents, secretsList]);
  assert.deepEqual(set.granted([listPods, listNodes, listPods, listEvents, secretsList]),
    [listPods, listNodes]);
  assert.deepEqual(set.granted([{ ...listNodes, scope: 'namespaced' as const }]), [], 'nodes as a namespaced permission: not what was granted');
  const noScope = await discoverPermissions(authorizationApi({ allowed: () => true }).client, [], [listNodes]);
  assert.deepEqual(noScope.granted([listNodes, listPods]), [listNodes], 'a cluster-wide grant needs no namespace');
});

test('a permission decided on first use is decided from the rules of the namespace asked about', async () => {
  const podAdmin: ResourceRule = { verbs: ['*'], apiGroups: [''], resources: ['pods'] };
  const api = authorizationApi({ rules: { 'team-a': { rules: [podAdmin] }, 'team-b': { rules: [] } } });
  const permissions = await discoverPermissions(api.client, ['team-a', 'team-b'], []);
  assert.equal(await permissions.allows(deletePods, 'team-b', 'web-1'), false);
  assert.equal(await permissions.allows(deletePods, 'team-a', 'web-1'), true);
});

test('a question about a namespace is asked once: not again when the scope holds it, and asked when it does not', async () => {
  const escalate: Permission = { group: 'rbac.authorization.k8s.io', resource: 'roles', verb: 'escalate', scope: 'namespaced' };
  const inScope = authorizationApi({ rules: { 'kube-system': { rules: [], incomplete: true } }, allowed: () => true });
  const impersonate: Permission = { group: '', resource: 'serviceaccounts', verb: 'impersonate', scope: 'namespaced' };
  const permissions = await discoverPermissions(inScope.client, ['kube-system'], [listPods, escalate],
    [{ namespace: 'kube-system', permission: escalate }, { namespace: 'kube-system', permission: impersonate }]);
  assert.deepEqual(inScope.accessReviews().filter((a) => a.verb === 'escalate').length, 1, 'the scope already asks it');
  assert.equal(permissions.decision(escalate, 'kube-system').kind, 'all');
  assert.equal(permissions.decision(impersonate, 'kube-system').kind, 'all', 'a question the scope does not ask is asked');
  const outside = authorizationApi({ rules: { 'team-a': { rules: [] } }, allowed: (a) => a.namespace === 'kube-system' });
  const elsewhere = await discoverPermissions(outside.client, ['team-a'], [escalate], [{ namespace: 'kube-system', permission: escalate }, { namespace: 'kube-system', permission: escalate }]);
  assert.deepEqual(outside.accessReviews().map((a) => a.namespace), ['kube-system'], 'asked once, in kube-system');
  assert.equal(elsewhere.decision(escalate, 'kube-system').kind, 'all');
});

test('couldGrant: false only where every review concerned is complete and no rule has the verb; nothing outside the scope', async () => {
  const events: ResourceRule = { verbs: ['watch'], apiGroups: [''], resources: ['events'] };
  const api = authorizationApi({ rules: { 'team-a': { rules: [podReader, events] }, 'team-b': { rules: [], incomplete: true } } });
  const set = await discoverPermissions(api.client, ['team-a', 'team-b'], []);
  assert.equal(set.couldGrant('list', 'team-a'), true, 'one rule of two has the verb');
  assert.equal(set.couldGrant('delete', 'team-a'), false);
  assert.equal(set.couldGrant('delete', 'team-b'), true, 'an incomplete review may grant anything');
  assert.equal(set.couldGrant('delete'), true, 'some namespace of the scope might');
  assert.equal(set.couldGrant('get', 'kube-system'), false, 'outside the scope');
  const complete = await discoverPermissions(authorizationApi({ rules: { 'team-a': { rules: [podReader] }, 'team-b': { rules: [] } } }).client, ['team-a', 'team-b'], []);
  assert.equal(complete.couldGrant('delete'), false);
  assert.equal(complete.couldGrant('get'), true);
  assert.equal(complete.couldGrant('get', 'team-b'), false, 'only the namespace asked about');
});

test('mayGrant: false only where what every authorizer grants in the namespace is known, and none of it grants the permission', async () => {
  const getNamespace: Permission = { group: '', resource: 'namespaces', verb: 'get', scope: 'namespaced' };
  const viewer: ResourceRule = { verbs: ['get'], apiGroups: [''], resources: ['namespaces'] };
  const api = authorizationApi({ rules: { complete: { rules: [podReader] }, unknown: { rules: [], incomplete: true }, known: { rules: [], incomplete: true }, granted: { rules: [viewer] } } });
  const grants = async () => ({ rulesIn: (ns: string | undefined) => (ns === 'unknown' ? undefined : []) });
  const set = await discoverPermissions(api.client, ['complete', 'unknown', 'known', 'granted'], [], [], grants);
  assert.deepEqual(['complete', 'unknown', 'known', 'granted'].map((ns) => set.mayGrant(getNamespace, ns)), [false, true, false, true]);
  assert.equal(set.mayGrant(getNamespace, 'outside'), true, 'no review: nothing is known');
});
