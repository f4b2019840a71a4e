// The kinds the cluster serves, as the offer and the generic tools read them: aggregated discovery flattened, the
// pairs a rule names, and when the list is read again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiResources, flattenDiscovery, SERVED_KINDS_REQUEST, UNSERVED_RECHECK_ROUNDS } from '../../src/kube/api-resources.ts';
import type { KubeClient, KubeRequest } from '../../src/kube/client.ts';
import { served } from './served-kinds.ts';

const resource = (name: string, scope = 'Namespaced') => ({ resource: name, responseKind: { kind: name }, scope, verbs: ['get', 'list'] });

test('each resource of a group once, in the first version that serves it: a kind only a later version serves is found', () => {
  const flat = flattenDiscovery([{ metadata: { name: 'storage.k8s.io' }, versions: [
    { version: 'v1', resources: [resource('storageclasses', 'Cluster'), resource('csidrivers', 'Cluster')] },
    { version: 'v1beta1', resources: [resource('storageclasses', 'Cluster'), resource('volumeattributesclasses', 'Cluster')] },
  ] }]);
  assert.deepEqual(flat.map((r) => `${r.resource}@${r.version}`), ['storageclasses@v1', 'csidrivers@v1', 'volumeattributesclasses@v1beta1']);
});

test('a rule names the served pairs of its apiGroups × resources, wildcards expanded, and no subresource', () => {
  const kinds = served('pods', 'events', 'nodes!', 'deployments.apps', 'statefulsets.apps', 'pods.metrics.k8s.io', 'widgets.example.com');
  const named = (apiGroups: string[], resources: string[]) => kinds.named({ apiGroups, resources }).map((r) => `${r.resource}.${r.group || 'core'}`);
  assert.deepEqual(named(['', 'apps'], ['pods', 'pods/log', 'deployments', 'events']), ['pods.core', 'events.core', 'deployments.apps']);
  assert.deepEqual(named(['*'], ['pods']), ['pods.core', 'pods.metrics.k8s.io']);
  assert.deepEqual(named(['apps'], ['*']), ['deployments.apps', 'statefulsets.apps']);
  assert.deepEqual(named(['*'], ['*/scale', 'pods/exec']), []);
  assert.deepEqual(named(['example.org'], ['*']), [], 'a group nothing serves');
  assert.equal(named(['*'], ['*']).length, 7);
  assert.deepEqual(kinds.unservedGroups([{ apiGroups: ['', 'extensions', '*'] }, { apiGroups: ['example.org', 'extensions'] }]), ['extensions', 'example.org']);
});

/** Aggregated discovery answering with `groups()` (core first), every read recorded. */
function discoveryApi(groups: () => string[]) {
  const reads: string[] = [];
  const client = {
    async json(request: KubeRequest) {
      reads.push(request.path);
      assert.match(request.accept ?? '', /^application\/json;g=apidiscovery\.k8s\.io;v=v2;as=APIGroupDiscoveryList/);
      const names = request.path === '/api' ? [''] : groups();
      return { items: names.map((name) => ({ metadata: { name }, versions: [{ version: 'v1', resources: [resource('things')] }] })) };
    },
  } as unknown as KubeClient;
  return { client, reads };
}

test('the served list is read once; a discovery reads it again only for an API group the rules name and it lacks', async () => {
  let groups = ['apps'];
  let now = 0;
  const api = discoveryApi(() => groups);
  const resources = new ApiResources(api.client, () => now);
  const first = await resources.kindsFor([{ apiGroups: ['', 'apps', 'extensions'] }], 0);
  assert.deepEqual(api.reads, ['/api', '/apis'], 'the first read: nothing read again for a group it lacks');
  assert.equal(await resources.kinds(), first);
  now = 30_000;
  assert.equal(await resources.kindsFor([{ apiGroups: ['apps', 'extensions', '*'] }], now), first, 'a refresh: the same groups, nothing read');
  assert.equal(api.reads.length, 2);
  groups = ['apps', 'example.com'];
  now = 60_000;
  const counts: Record<string, number> = {};
  const next = await resources.kindsFor([{ apiGroups: ['extensions', 'example.com'] }], now, counts);
  assert.deepEqual(api.reads.slice(2), ['/apis'], 'a group no rule named before: the API groups read again (the core group is always served)');
  assert.deepEqual(counts, { [SERVED_KINDS_REQUEST]: 1 }, 'and counted for the round that read it');
  assert.deepEqual(next.named({ apiGroups: ['example.com'], resources: ['things'] }).length, 1);
  assert.equal(await resources.kinds(), next, 'the tools use the new list');
  now = 90_000;
  assert.equal(await resources.kindsFor([{ apiGroups: ['extensions'] }], now, counts), next, 'still unserved: not read again');
  assert.deepEqual(counts, { [SERVED_KINDS_REQUEST]: 1 }, 'nothing more counted');
  for (let round = 2; round < UNSERVED_RECHECK_ROUNDS; round++) await resources.kindsFor([{ apiGroups: ['extensions'] }], now += 30_000, counts);
  assert.equal(api.reads.length, 3, `${UNSERVED_RECHECK_ROUNDS} rounds answered from one read`);
  const recheck: Record<string, number> = {};
  assert.equal(await resources.kindsFor([{ apiGroups: ['extensions'] }], now += 30_000, recheck), next, 'read again after that, and unchanged: the same object');
  assert.deepEqual(api.reads.slice(3), ['/apis'], 'only the API groups again');
  assert.deepEqual(recheck, { [SERVED_KINDS_REQUEST]: 1 }, 'one request, within a refresh\'s budget');
  assert.equal(await resources.kindsFor([{ apiGroups: ['extensions'] }], now += 30_000, recheck), next, 'the next round: not read again');
  assert.equal(api.reads.length, 4);
});

test('a re-read of the API groups keeps the core group and sees a group installed since', async () => {
  let groups = ['apps'];
  const api = discoveryApi(() => groups);
  let now = 0;
  const resources = new ApiResources(api.client, () => now);
  await resources.kindsFor([{ apiGroups: ['example.com'] }], now);
  groups = ['apps', 'example.com'];
  for (let round = 1; round <= UNSERVED_RECHECK_ROUNDS; round++) await resources.kindsFor([{ apiGroups: ['example.com'] }], now += 30_000);
  const kinds = await resources.kinds();
  assert.deepEqual(api.reads, ['/api', '/apis', '/apis']);
  assert.deepEqual(kinds.resources.map((r) => r.group), ['', 'apps', 'example.com'], 'the core group from the first read, the groups from the second');
});

test('a failed read is not kept: the next one asks again', async () => {
  let fail = true;
  const reads: string[] = [];
  const client = {
    async json(request: KubeRequest) {
      reads.push(request.path);
      if (fail) throw new Error('connect ECONNREFUSED');
      return { items: [] };
    },
  } as unknown as KubeClient;
  const resources = new ApiResources(client);
  await assert.rejects(resources.kinds(), /ECONNREFUSED/);
  fail = false;
  assert.deepEqual((await resources.kinds()).resources, []);
  assert.equal(reads.length, 4);
});
