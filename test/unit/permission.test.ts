import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describePermission, permissionKey, READ_VERBS, resourceName, type Permission } from '../../src/rbac/permission.ts';

test('permissions are spelled as kubectl auth can-i and RBAC rules spell them', () => {
  assert.equal(resourceName({ group: '', resource: 'pods' }), 'pods');
  assert.equal(resourceName({ group: '', resource: 'pods', subresource: 'log' }), 'pods/log');
  assert.equal(resourceName({ group: 'apps', resource: 'deployments', subresource: 'scale' }), 'deployments.apps/scale');
  assert.equal(describePermission({ group: 'apps', resource: 'deployments', verb: 'patch', scope: 'namespaced', subresource: 'scale' }), 'patch deployments.apps/scale');
  assert.equal(describePermission({ group: '', resource: 'nodes', verb: 'list', scope: 'cluster' }), 'list nodes');
});

test('a permission\'s key differs in every field, and is the same for equal permissions', () => {
  const base: Permission = { group: 'apps', resource: 'deployments', verb: 'get', scope: 'namespaced' };
  const variants: Permission[] = [
    base, { ...base, group: '' }, { ...base, resource: 'statefulsets' }, { ...base, subresource: 'scale' }, { ...base, subresource: 'status' }, { ...base, verb: 'list' },
    { ...base, scope: 'cluster' },
  ];
  assert.equal(new Set(variants.map(permissionKey)).size, variants.length);
  assert.equal(permissionKey({ ...base }), permissionKey(base));
  assert.equal(permissionKey({ ...base, subresource: undefined }), permissionKey(base));
});

test('the read verbs are get, list and watch, nothing that changes a thing', () => {
  assert.deepEqual([...READ_VERBS].sort(), ['get', 'list', 'watch']);
});
