// Discovery asks no question whose answer a refusal already gave, and sends what needs no rules review at once:
// fewer access reviews at start, each one an authorization webhook call on EKS. The answers are given here as the
// API server shapes them; test/guard.test.ts checks the guard against a real one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { discoverPermissions } from '../../src/rbac/discovery.ts';
import type { Permission } from '../../src/rbac/permission.ts';
import { classifyBroadGrants, guardQuestions } from '../../src/rbac/broad-grants.ts';
import { authorizationApi, type ResourceAttributes } from '../authorization-api.ts';

/** An EKS-shaped authorization API: every rules review incomplete and empty, access reviews answered by `allowed`. */
function eksAuthorization(allowed: (a: ResourceAttributes) => boolean, rulesReviewed?: Promise<void>) {
  const api = authorizationApi({ allowed, ...(rulesReviewed ? { rulesReviewed } : {}) });
  const described = () => api.accessReviews().map((a) => `${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''} @${a.namespace}`);
  return { ...api, described };
}

const escalateRoles = (scope: Permission['scope']): Permission => ({ verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'roles', scope });
const everything = (scope: Permission['scope']): Permission => ({ verb: '*', group: '*', resource: '*', scope });
const listPods: Permission = { verb: 'list', group: '', resource: 'pods', scope: 'namespaced' };

test('a right refused in a namespace is refused cluster-wide without asking; granted there, the cluster is asked', async () => {
  const refused = eksAuthorization(() => false);
  const denied = await discoverPermissions(refused.client, ['team-a'], [escalateRoles('namespaced'), escalateRoles('cluster')]);
  assert.deepEqual(refused.described(), ['escalate roles @team-a']);
  assert.deepEqual(denied.decision(escalateRoles('cluster')), { kind: 'none', source: 'implied' });
  assert.equal(denied.requestCount, 2, 'one rules review, one access review');

  const granted = eksAuthorization((a) => a.namespace === 'team-a' || a.namespace === '');
  const allowed = await discoverPermissions(granted.client, ['team-a'], [escalateRoles('namespaced'), escalateRoles('cluster')]);
  assert.deepEqual(granted.described(), ['escalate roles @team-a', 'escalate roles @']);
  assert.deepEqual(allowed.decision(escalateRoles('cluster')), { kind: 'all', source: 'access-review' });
});

test('`*` on `*` is refused where any one permission is, unasked; where everything is granted it is asked', async () => {
  const reader = eksAuthorization((a) => a.verb === 'list');
  const permissions = await discoverPermissions(reader.client, ['team-a'], [listPods, everything('namespaced'), escalateRoles('namespaced')]);
  assert.ok(!reader.described().includes('* * @team-a'));
  assert.deepEqual(permissions.decision(everything('namespaced'), 'team-a'), { kind: 'none', source: 'implied' });
  assert.deepEqual(permissions.decision(listPods, 'team-a'), { kind: 'all', source: 'access-review' });

  const admin = eksAuthorization(() => true);
  const all = await discoverPermissions(admin.client, ['team-a'], [listPods, everything('namespaced'), everything('cluster')]);
  assert.deepEqual(all.decision(everything('cluster')), { kind: 'all', source: 'access-review' });
  assert.deepEqual(all.decision(everything('namespaced'), 'team-a'), { kind: 'all', source: 'access-review' });
});

test('the guard decides as it would asking everything, with fewer questions', async () => {
  const guard = guardQuestions();
  const roles: Array<[string, (a: ResourceAttributes) => boolean]> = [
    ['reader', (a) => a.verb === 'get' && a.namespace === 'team-a'],
    ['cluster-admin', () => true],
    ['namespace admin', (a) => a.namespace === 'team-a'],
    ['kube-system writer', (a) => a.namespace === 'kube-system' && a.verb !== '*'],
    ['cluster secrets', (a) => a.resource === 'secrets' && a.namespace === ''],
  ];
  const asked: Record<string, number> = {};
  for (const [role, allowed] of roles) {
    const api = eksAuthorization(allowed);
    const permissions = await discoverPermissions(api.client, ['team-a'], [listPods, ...guard.permissions], guard.elsewhere);
    const found = classifyBroadGrants((p, ns) => permissions.decision(p, ns), ['team-a']).map((f) => f.id);
    // What asking every question would find: the answer itself, wherever the guard looks.
    const truth = classifyBroadGrants((p, ns) => (allowed({ verb: p.verb, group: p.group, resource: p.resource, subresource: p.subresource ?? '', namespace: ns ?? '', name: '' })
      ? { kind: 'all' } : { kind: 'none' }), ['team-a']).map((f) => f.id);
    assert.deepEqual(found, truth, role);
    asked[role] = api.accessReviews().length;
  }
  const everyQuestion = 1 + guard.permissions.length + guard.elsewhere.length;
  assert.equal(asked['cluster-admin'], everyQuestion, 'nothing refused: every question is asked');
  assert.ok(asked['reader']! < everyQuestion - 5, `a reader is asked fewer (${asked['reader']} of ${everyQuestion})`);
});

test('namespaces outside the scope asked about have rules reviews of their own, sent at once with the scope\'s', async () => {
  let answerRulesReview!: () => void;
  const rulesReview = new Promise<void>((resolve) => { answerRulesReview = resolve; });
  const api = eksAuthorization(() => false, rulesReview);
  const listNodes: Permission = { verb: 'list', group: '', resource: 'nodes', scope: 'cluster' };
  const discovering = discoverPermissions(api.client, ['team-a'], [listPods, listNodes], [{ namespace: 'kube-system', permission: listPods }]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(api.rulesReviews().sort(), ['kube-system', 'team-a'], 'every rules review at once');
  assert.deepEqual(api.described(), [], 'no access review before the rules reviews say which are needed');
  answerRulesReview();
  const permissions = await discovering;
  assert.deepEqual(api.described().sort(), ['list nodes @', 'list pods @kube-system', 'list pods @team-a'], 'incomplete reviews: asked');
  assert.equal(permissions.requestCount, 5);
});
