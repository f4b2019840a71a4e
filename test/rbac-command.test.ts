// `eks-rbac-mcp rbac` for a generic tool and cluster-scoped kinds, on the local control plane: their rules go into a
// ClusterRole and its binding (a Role's grant on a cluster-scoped kind grants nothing), and once kubectl applies what it
// printed, the server offers the tool. The scopes the command knows without a cluster are the API server's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { kubectl } from './cluster/cluster.ts';
import { connectServer, eksArgs, hostEnv, resultText, root, useCluster } from './helpers.ts';
import { knownScope } from '../src/kube/built-in-kinds.ts';

const cluster = await useCluster();

test('the scope rbac knows for each built-in kind is the one the API server serves it with', () => {
  let checked = 0;
  for (const namespaced of [false, true]) {
    for (const name of kubectl(cluster, ['api-resources', `--namespaced=${namespaced}`, '--no-headers', '-o', 'name']).trim().split('\n')) {
      const [resource, ...group] = name.split('.');
      const scope = knownScope({ group: group.join('.'), resource: resource! });
      if (scope === undefined) continue; // a custom resource: its CRD says
      assert.equal(scope, namespaced ? 'namespaced' : 'cluster', name);
      checked += 1;
    }
  }
  assert.ok(checked > 40, `${checked} kinds checked`);
});

test('rbac for resources_get on cluster-scoped kinds prints a ClusterRole and its binding; applied, the server offers resources_get', async () => {
  const yaml = execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), 'rbac', '--tools', 'resources_get', '--kinds', 'persistentvolumes,nodes',
    '--namespace', 'team-b', '--binding-role', 'pv-reader'], { encoding: 'utf8' });
  assert.match(yaml, /^kind: ClusterRole\nmetadata:\n {2}name: eks-rbac-mcp-pv-reader\nrules:\n- apiGroups: \[""\]\n {2}resources: \["nodes", "persistentvolumes"\]\n {2}verbs: \["get"\]$/m);
  assert.match(yaml, /^kind: ClusterRoleBinding$/m);
  assert.doesNotMatch(yaml, /^kind: Role(Binding)?$/m, 'nothing namespaced to grant');
  kubectl(cluster, ['apply', '-f', '-'], { input: yaml });
  kubectl(cluster, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'rbac-made-pv' },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/rbac-made-pv' } } }) });
  const session = await connectServer(eksArgs(cluster, 'eks-mcp-agent', 'pv-reader', 'team-b'), hostEnv(cluster));
  try {
    const tools = (await session.client.listTools()).tools.map((t) => t.name);
    assert.ok(tools.includes('resources_get'), tools.join());
    const pv = await session.client.callTool({ name: 'resources_get', arguments: { resource: 'persistentvolumes', name: 'rbac-made-pv' } });
    assert.match(resultText(pv as { content: Array<{ type: string; text?: string }> }), /"name":"rbac-made-pv"/);
  } finally {
    await session.close();
    kubectl(cluster, ['delete', 'clusterrolebinding,clusterrole', 'eks-rbac-mcp-pv-reader']);
    kubectl(cluster, ['delete', 'persistentvolume', 'rbac-made-pv', '--wait=false']);
  }
});
