import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grantCovers, grantFromRules, resourceMatches, ruleAllows, type ResourceRule } from '../../src/rbac/rules.ts';

const podsReader: ResourceRule = { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] };

test('the pods-and-logs Role grants get/list on pods and pods/log, and nothing else', () => {
  assert.ok(ruleAllows(podsReader, { verb: 'list', group: '', resource: 'pods' }));
  assert.ok(ruleAllows(podsReader, { verb: 'get', group: '', resource: 'pods', subresource: 'log', name: 'web-1' }));
  assert.ok(!ruleAllows(podsReader, { verb: 'delete', group: '', resource: 'pods', name: 'web-1' }));
  assert.ok(!ruleAllows(podsReader, { verb: 'create', group: '', resource: 'pods', subresource: 'exec', name: 'web-1' }));
  assert.ok(!ruleAllows(podsReader, { verb: 'get', group: 'apps', resource: 'pods' }), 'the API group must match');
});

test('wildcards: verbs, groups and resources', () => {
  const all: ResourceRule = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };
  assert.ok(ruleAllows(all, { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', name: 'web' }));
  assert.ok(ruleAllows({ apiGroups: ['apps'], resources: ['*'], verbs: ['get'] }, { verb: 'get', group: 'apps', resource: 'deployments', subresource: 'scale' }));
});

test('a subresource is granted only by its own name, `*/sub`, or `*` — never by the parent resource', () => {
  assert.ok(!resourceMatches({ verbs: ['get'], resources: ['pods'] }, 'pods', 'log'));
  assert.ok(resourceMatches({ verbs: ['get'], resources: ['*/scale'] }, 'deployments', 'scale'));
  assert.ok(!resourceMatches({ verbs: ['get'], resources: ['*/scale'] }, 'deployments'));
  assert.ok(!resourceMatches({ verbs: ['get'], resources: ['pods/*'] }, 'pods', 'log'), 'RBAC has no pods/* form');
});

test('resourceNames limit get to those names and never grant list or create', () => {
  const named: ResourceRule = { apiGroups: [''], resources: ['configmaps'], resourceNames: ['web-config'], verbs: ['get', 'list', 'create'] };
  const get = grantFromRules([named], { verb: 'get', group: '', resource: 'configmaps' });
  assert.deepEqual(get, { kind: 'names', names: ['web-config'] });
  assert.ok(grantCovers(get, 'web-config'));
  assert.ok(!grantCovers(get, 'other'));
  assert.ok(!grantCovers(get, undefined));
  assert.deepEqual(grantFromRules([named], { verb: 'list', group: '', resource: 'configmaps' }), { kind: 'none' });
  assert.deepEqual(grantFromRules([named], { verb: 'create', group: '', resource: 'configmaps' }), { kind: 'none' });
  const exec: ResourceRule = { apiGroups: [''], resources: ['pods/exec'], resourceNames: ['debug'], verbs: ['create'] };
  assert.deepEqual(grantFromRules([exec], { verb: 'create', group: '', resource: 'pods', subresource: 'exec' }), { kind: 'names', names: ['debug'] },
    'create on a subresource names its object');
});

test('an unlimited rule wins over a names-limited one', () => {
  const rules: ResourceRule[] = [
    { apiGroups: [''], resources: ['secrets'], resourceNames: ['a'], verbs: ['get'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
  ];
  assert.deepEqual(grantFromRules(rules, { verb: 'get', group: '', resource: 'secrets' }), { kind: 'all' });
});

test('each part of a rule must match on its own: a missing list grants nothing, `*` grants all', () => {
  const request = { verb: 'get', group: 'apps', resource: 'deployments', name: 'web' };
  assert.ok(ruleAllows({ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] }, request));
  assert.ok(!ruleAllows({ verbs: ['get'], resources: ['deployments'] }, request), 'no apiGroups');
  assert.ok(!ruleAllows({ verbs: ['get'], apiGroups: ['apps'] }, request), 'no resources');
  assert.ok(!ruleAllows({ verbs: [], apiGroups: ['apps'], resources: ['deployments'] }, request), 'no verbs');
  assert.ok(!ruleAllows({ verbs: ['list'], apiGroups: ['apps'], resources: ['deployments'] }, request), 'another verb');
  assert.ok(!ruleAllows({ verbs: ['get'], apiGroups: ['apps'], resources: ['statefulsets'] }, request), 'another resource');
  assert.ok(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, request));
  assert.ok(ruleAllows({ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'] }, request));
  assert.ok(!ruleAllows({ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['api'] }, request), 'another name');
  assert.ok(!ruleAllows({ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'] }, { ...request, name: undefined }),
    'a names-limited rule never grants the collection');
  assert.ok(!ruleAllows({ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: [''] }, { ...request, name: '' }),
    'an empty name is no name');
  assert.ok(ruleAllows({ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: [] }, { ...request, name: undefined }),
    'an empty resourceNames list limits nothing');
});

test('grants: names from every matching rule, sorted once; watch and deletecollection are collections too', () => {
  const rules: ResourceRule[] = [
    { apiGroups: [''], resources: ['secrets'], resourceNames: ['db', 'api'], verbs: ['get', 'watch', 'deletecollection'] },
    { apiGroups: [''], resources: ['secrets'], resourceNames: ['cache', 'db'], verbs: ['*'] },
    { apiGroups: ['apps'], resources: ['secrets'], verbs: ['get'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
  ];
  assert.deepEqual(grantFromRules(rules, { verb: 'get', group: '', resource: 'secrets' }), { kind: 'names', names: ['api', 'cache', 'db'] });
  assert.deepEqual(grantFromRules(rules, { verb: 'update', group: '', resource: 'secrets' }), { kind: 'names', names: ['cache', 'db'] });
  assert.deepEqual(grantFromRules(rules, { verb: 'watch', group: '', resource: 'secrets' }), { kind: 'none' });
  assert.deepEqual(grantFromRules(rules, { verb: 'deletecollection', group: '', resource: 'secrets' }), { kind: 'none' });
  assert.deepEqual(grantFromRules(rules, { verb: 'list', group: '', resource: 'secrets' }), { kind: 'all' });
  assert.deepEqual(grantFromRules(rules, { verb: 'get', group: '', resource: 'secrets', subresource: 'status' }), { kind: 'none' });
  assert.deepEqual(grantFromRules([], { verb: 'get', group: '', resource: 'secrets' }), { kind: 'none' });
  assert.ok(grantCovers({ kind: 'all' }, undefined));
  assert.ok(grantCovers({ kind: 'all' }, 'x'));
  assert.ok(!grantCovers({ kind: 'none' }, 'x'));
  assert.ok(!grantCovers({ kind: 'names', names: ['x'] }, 'y'));
});
