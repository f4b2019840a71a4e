// Secrets on the real control plane: the list tools ask for metadata or the server's table, never the objects,
// so a Secret's value (or a ConfigMap's) never enters this process: every response body the client reads is
// recorded and searched for the seeded values. The client's JSON reads are capped in size.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { kubectl } from './cluster/cluster.ts';
import { gateCall, RecordingClient, useCluster } from './helpers.ts';
import { KubeClient } from '../src/kube/client.ts';
import { ResponseTooLargeError } from '../src/kube/errors.ts';
import { ApiResources } from '../src/kube/api-resources.ts';
import { discoverPermissions } from '../src/rbac/discovery.ts';
import { cataloguePermissions } from '../src/policy/offer.ts';
import { catalogue } from '../tools/index.ts';

const cluster = await useCluster();
const adminAuth = { apply: async (o: { headers?: unknown }) => void (o.headers = { ...(o.headers as object), authorization: `Bearer ${cluster.adminToken}` }) };


const seeded = `cm-value-${process.pid}-never-read`;
kubectl(cluster, ['create', 'configmap', 'seeded-values', '-n', 'team-a', `--from-literal=token=${seeded}`]);
after(() => kubectl(cluster, ['delete', 'configmap', 'seeded-values', '-n', 'team-a', '--ignore-not-found']));
const secretValue = 'fixture-password-not-for-output';
const secretBase64 = Buffer.from(secretValue).toString('base64');

test('resources_list, resources_get on Secrets, configmaps_list and events_list never read a Secret\'s or a ConfigMap\'s values', async () => {
  const kube = new RecordingClient(cluster.endpoint, readFileSync(cluster.caFile), adminAuth);
  const permissions = await discoverPermissions(kube, ['team-a'], cataloguePermissions(catalogue));
  const ctx = { kube, permissions, apiResources: new ApiResources(kube), signal: new AbortController().signal, now: () => new Date() };
  const tool = (name: string) => catalogue.find((t) => t.name === name)!;
  const calls: Array<[string, Record<string, unknown>]> = [
    ['resources_list', { resource: 'secrets', namespace: 'team-a', limit: 100 }],
    ['resources_list', { resource: 'configmaps', namespace: 'team-a', limit: 100 }],
    ['resources_get', { resource: 'secrets', namespace: 'team-a', name: 'db-credentials' }],
    ['configmaps_list', { namespace: 'team-a', limit: 100 }],
    ['events_list', { namespace: 'team-a', limit: 100 }],
  ];
  const first = kube.bodies.length;
  for (const [name, args] of calls) {
    const result = await gateCall(tool(name), args, ctx, pino({ level: 'silent' }));
    assert.ok(!result.isError, `${name}: ${result.text}`);
    if (name === 'resources_list' && args['resource'] === 'secrets') {
      assert.match(JSON.stringify(result), /db-credentials/, 'the list still names the Secret');
      assert.match(result.text, /^kind: Secret\n/, 'the text names the kind the argument resolved to');
    }
    if (name === 'configmaps_list') assert.match(JSON.stringify(result), /seeded-values/);
  }
  const read = kube.bodies.slice(first).join('\n');
  assert.ok(read.length > 0);
  for (const value of [secretValue, secretBase64, seeded, Buffer.from(seeded).toString('base64')]) {
    assert.ok(!read.includes(value), `the value ${value.slice(0, 12)}… entered the process`);
  }
  // The recorder sees values when they are asked for: the check above can fail.
  await kube.json({ path: '/api/v1/namespaces/team-a/configmaps/seeded-values' });
  assert.ok(kube.bodies.at(-1)!.includes(seeded));
});

test('a JSON answer over the cap is refused, not held in memory', async () => {
  const kube = new KubeClient(cluster.endpoint, readFileSync(cluster.caFile), adminAuth);
  await assert.rejects(kube.json({ path: '/apis', maxBytes: 1024 }), (e: Error) => e instanceof ResponseTooLargeError && /larger than 1024 bytes/.test(e.message));
  assert.ok(await kube.json({ path: '/version' }), 'below the default cap: read');
});
