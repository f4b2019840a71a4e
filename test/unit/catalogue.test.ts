import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rolloutStatus } from '../../src/rollout.ts';
import { renderLines, podContainers, probeLine } from '../../src/describe.ts';
import { unifiedDiff } from '../../src/diff.ts';
import { renderRbac } from '../../src/rbac/role.ts';
import { catalogue } from '../../tools/index.ts';
import { parseManifest } from '../../tools/apply.ts';
import { selectorString } from '../../tools/workload-logs.ts';
import { jobFromCronJob } from '../../tools/cronjobs.ts';

const now = new Date('2026-11-27T12:00:00Z');

test('rollout status says what kubectl says', () => {
  const d = (status: object, spec: object = { replicas: 2 }) => rolloutStatus({ kind: 'Deployment', metadata: { name: 'web', generation: 2 }, spec, status: { observedGeneration: 2, ...status } });
  assert.equal(d({ updatedReplicas: 1, replicas: 2 }).message, 'Waiting for deployment "web" rollout to finish: 1 out of 2 new replicas have been updated...');
  assert.equal(d({ updatedReplicas: 2, replicas: 3 }).message, 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...');
  assert.equal(d({ updatedReplicas: 2, replicas: 2, availableReplicas: 1 }).message, 'Waiting for deployment "web" rollout to finish: 1 of 2 updated replicas are available...');
  assert.deepEqual(d({ updatedReplicas: 2, replicas: 2, availableReplicas: 2 }), { done: true, message: 'deployment "web" successfully rolled out' });
  assert.equal(d({ conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] }).message, 'deployment "web" exceeded its progress deadline');
  assert.equal(rolloutStatus({ kind: 'Deployment', metadata: { name: 'web', generation: 3 }, status: { observedGeneration: 2 } }).message, 'Waiting for deployment spec update to be observed...');
  const sts = rolloutStatus({ kind: 'StatefulSet', metadata: { name: 'db' }, spec: { replicas: 2, updateStrategy: { type: 'RollingUpdate' } }, status: { readyReplicas: 2, currentRevision: 'db-1', updateRevision: 'db-2', updatedReplicas: 1 } });
  assert.deepEqual(sts, { done: false, message: 'waiting for statefulset rolling update to complete 1 pods at revision db-2...' });
  const ds = rolloutStatus({ kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { updateStrategy: { type: 'RollingUpdate' } }, status: { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 } });
  assert.deepEqual(ds, { done: true, message: 'daemon set "agent" successfully rolled out' });
});

test('describe: container states with the last termination and probes, rendered as indented lines', () => {
  const [c] = podContainers({
    spec: { containers: [{ name: 'api', image: 'api:1', livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 } }] },
    status: { containerStatuses: [{ name: 'api', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }] },
  }, now);
  assert.deepEqual(c, { name: 'api', image: 'api:1', state: 'Waiting: CrashLoopBackOff', ready: false, restarts: 4, lastTermination: 'OOMKilled (exit 137)',
    probes: { liveness: 'http-get http://:8080/healthz delay=0s timeout=1s period=5s #failure=3' } });
  assert.equal(probeLine({ exec: { command: ['cat', '/ready'] } }), 'exec ["cat","/ready"] delay=0s timeout=1s period=10s #failure=3');
  assert.deepEqual(renderLines({ kind: 'Pod', containers: [{ name: 'a', restarts: 1 }], events: ['x'], omitted: [] }), ['kind: Pod', 'containers:', '  - name: a', '    restarts: 1', 'events:', '  - x']);
});

test('apply refuses Lists, templates and oversized manifests before anything is sent', async () => {
  await assert.rejects(parseManifest('apiVersion: v1\nkind: List\nmetadata: {name: x}\nitems: []\n'), /is a List/);
  await assert.rejects(parseManifest('apiVersion: v1\nkind: ConfigMapList\nmetadata: {name: x}\n'), /is a ConfigMapList/);
  await assert.rejects(parseManifest('apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-, name: y}\n'), /generateName/);
  await assert.rejects(parseManifest('kind: ConfigMap\n'), /document 1 is not an object with apiVersion, kind and metadata.name/);
  await assert.rejects(parseManifest(`data: "${'x'.repeat(140 * 1024)}"`), /over 128 KiB/);
  await assert.rejects(parseManifest('a: [\n'), /not valid YAML or JSON/);
  const docs = await parseManifest('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {when: 2026-01-01}\n---\n{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}\n');
  assert.deepEqual(docs.map((d) => d.metadata?.name), ['a', 'b']);
  assert.equal((docs[0] as { data: { when: unknown } }).data.when, '2026-01-01', 'dates stay strings, as Kubernetes reads them');
});

test('a diff shows changed lines only, and nothing for equal objects', async () => {
  assert.equal(await unifiedDiff({ a: 1, b: 2 }, { b: 2, a: 1 }), '');
  assert.match(await unifiedDiff({ data: { mode: 'blue' } }, { data: { mode: 'green' } }) ?? 'too large', /-\s+mode: blue\n\+\s+mode: green/);
});

test('selectors, and the Job a manual cron job run creates', () => {
  assert.equal(selectorString({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'DoesNotExist' }] }), 'app=web,tier in (a,b),!x');
  const job = jobFromCronJob({ metadata: { name: 'nightly', namespace: 'team-a', uid: 'u1' }, spec: { jobTemplate: { metadata: { labels: { a: 'b' } }, spec: { template: {} } } } }, 'nightly-manual-1');
  assert.deepEqual(job.metadata?.annotations, { 'cronjob.kubernetes.io/instantiate': 'manual' });
  assert.deepEqual(job.metadata?.['ownerReferences'], [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'u1', controller: true }]);
});

test('rbac for the generic tools grants their verbs on the chosen kinds only', () => {
  const tools = catalogue.filter((t) => ['resources_apply', 'resources_delete', 'rollout_status'].includes(t.name));
  const yaml = renderRbac({ tools, kinds: [{ group: '', resource: 'configmaps' }, { group: 'apps', resource: 'deployments' }], namespaces: ['team-a'], user: 'eks-agent:x', name: 'x',
    roleArn: 'arn:aws:iam::111122223333:role/agent', bindingRole: 'x', clusterName: 'c', region: 'us-east-1', trustedPrincipal: 'arn:aws:iam::111122223333:role/host' });
  assert.match(yaml, /- apiGroups: \[""\]\n  resources: \["configmaps"\]\n  verbs: \["create", "delete", "patch"\]/);
  assert.match(yaml, /- apiGroups: \["apps"\]\n  resources: \["deployments"\]\n  verbs: \["create", "delete", "get", "patch"\]/);
  assert.doesNotMatch(yaml, /statefulsets|daemonsets/, 'rollout_status for the chosen kinds only');
});

test('quantities as metrics.k8s.io reports them', async () => {
  const { quantity } = await import('../../src/format.ts');
  assert.equal(quantity('250m'), 0.25);
  assert.equal(quantity('1500000n'), 0.0015);
  assert.equal(quantity('64Mi'), 64 * 2 ** 20);
  assert.equal(quantity('1.5Gi'), 1.5 * 2 ** 30);
  assert.equal(quantity('2'), 2);
  assert.equal(quantity('1e3'), 1000);
  assert.ok(Number.isNaN(quantity('12 apples')));
});
