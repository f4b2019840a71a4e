// The operator and diagnosis catalogue on the real control plane: the advertised set per role shape, the
// API server's own tables, describe, and writes that go dry run → question → write (or nothing after a no).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Client, type CallToolResult } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { kubectl } from './cluster/cluster.ts';
import { apiRequests, auditMark, connectServer, eksArgs, hostEnv, root, untilAudited, useCluster, waitFor, resultText, type Session, type ClientOptions } from './helpers.ts';
import { goldenTools } from './golden.ts';

const cluster = await useCluster();

async function call(session: Session, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await session.client.callTool({ name, arguments: args })) as CallToolResult;
}

/**
 * By default a client that can ask its user, who says no: writes are offered only to such a client, and nothing is
 * written unasked. With --structured-output, so that each answer is checked field by field (server.test.ts covers
 * the default, text alone).
 */
const open = (binding: string, options: ClientOptions = { elicit: () => ({ action: 'decline' }) }) =>
  connectServer([...eksArgs(cluster, 'eks-mcp-agent', binding), '--structured-output', ...(binding === 'wildcard' ? ['--accept-broad-role', 'test fixture: a namespace admin'] : [])], hostEnv(cluster), options);
const user = (binding: string) => `eks-agent:${binding}`;

/** A session whose elicitation answers come from `answers` (true: yes), recording each question. */
async function asking(binding: string, answers: boolean[]): Promise<Session & { questions: string[] }> {
  const questions: string[] = [];
  const session = await open(binding, {
    elicit: (message) => {
      questions.push(message);
      return answers.shift() ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    },
  });
  return Object.assign(session, { questions });
}

kubectl(cluster, ['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=30s']);

/**
 * The role shapes of the catalogue, and those that pin which kinds the generic tools count: only pairs the cluster
 * serves, only kinds no specific tool serves, a cluster-scoped kind only from a cluster-wide grant.
 */
const GOLDEN_BINDINGS = ['editor', 'cm-applier', 'job-deleter', 'widget-admin', 'metrics-reader',
  'node-getter', 'cross-product', 'storage-viewer', 'storage-in-namespace', 'batch-reader', 'any-group-pods', 'scaler', 'unserved-group'];

describe('golden tool sets of the new role shapes', () => {
  for (const binding of GOLDEN_BINDINGS) {
    test(binding, async () => {
      const session = await open(binding);
      try {
        // With --structured-output every tool has its output schema too; the rest is what the golden pins.
        const tools = (await session.client.listTools()).tools.map(({ outputSchema: _, ...tool }) => tool);
        assert.deepEqual(tools, goldenTools(binding));
      } finally {
        await session.close();
      }
    });
  }
});

describe('lists are the API server\'s own tables', () => {
  let session: Session;
  before(async () => {
    session = await open('wildcard');
  });
  after(() => session.close());

  const rows = async (tool: string, args: Record<string, unknown> = { namespace: 'team-a' }) => {
    const result = await call(session, tool, args);
    assert.ok(!result.isError, resultText(result));
    const page = result.structuredContent as { columns: string[]; rows: unknown[][] };
    return { columns: page.columns, byName: new Map(page.rows.map((r) => [r[0], r])), text: resultText(result) };
  };

  test('deployments, services, config maps, jobs, cron jobs: kubectl\'s columns in our row shape', async () => {
    const deployments = await rows('deployments_list');
    assert.deepEqual(deployments.columns, ['name', 'ready', 'upToDate', 'available', 'age']);
    assert.deepEqual(deployments.byName.get('api')!.slice(0, 4), ['api', '1/1', 1, 1]);
    const services = await rows('services_list');
    assert.deepEqual(services.byName.get('web')!.slice(0, 2), ['web', 'ClusterIP']);
    assert.match(String(services.byName.get('web')![3]), /^80\/TCP$/);
    const configs = await rows('configmaps_list');
    assert.deepEqual(configs.byName.get('web-config')!.slice(0, 2), ['web-config', 2]);
    assert.doesNotMatch(configs.text, /http:\/\/api:9090/, 'no values: the table has counts');
    const jobs = await rows('jobs_list');
    assert.deepEqual(jobs.columns, ['name', 'status', 'completions', 'duration', 'age']);
    assert.ok(jobs.byName.has('migrate'));
    const cronjobs = await rows('cronjobs_list');
    assert.deepEqual(cronjobs.byName.get('nightly-report')!.slice(0, 4), ['nightly-report', '0 3 * * *', false, 0]);
    const events = await rows('events_list', { namespace: 'team-a', fieldSelector: 'involvedObject.name=web' });
    const reloaded = [...events.byName.values()].find((r) => r[2] === 'ConfigReloaded');
    assert.deepEqual(reloaded?.slice(1), ['Warning', 'ConfigReloaded', 'deployment/web', 'web-config changed; pods will pick it up on restart']);
  });

  test('nodes and namespaces', async () => {
    const viewer = await open('cluster-viewer');
    try {
      const nodes = await call(viewer, 'nodes_list', {});
      const node = (nodes.structuredContent as { rows: unknown[][] }).rows.find((r) => r[0] === 'kwok-node-0');
      assert.deepEqual(node?.slice(0, 2), ['kwok-node-0', 'Ready']);
      assert.equal(node?.[3], kubectl(cluster, ['get', 'node', 'kwok-node-0', '-o', 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}']));
      const namespaces = await call(viewer, 'namespaces_list', {});
      assert.deepEqual((namespaces.structuredContent as { rows: unknown[][] }).rows.find((r) => r[0] === 'team-a')?.slice(0, 2), ['team-a', 'Active']);
    } finally {
      await viewer.close();
    }
  });
});

describe('resources_describe', () => {
  test('a deployment: rollout conditions, current revision, its events', async () => {
    const session = await open('wildcard');
    try {
      const result = await call(session, 'resources_describe', { namespace: 'team-a', resource: 'deployments', name: 'web' });
      assert.ok(!result.isError, resultText(result));
      const d = (result.structuredContent as { description: Record<string, unknown> }).description;
      assert.equal(d['kind'], 'Deployment');
      assert.ok((d['conditions'] as string[]).some((c) => /^Available=True/.test(c)), resultText(result));
      const revisions = d['revisions'] as Array<{ revision: number; name: string; images: string[] }>;
      assert.ok(revisions.length >= 1);
      assert.deepEqual(revisions[0]!.images, ['nginx:1.27', 'busybox:1.36']);
      assert.ok((d['events'] as string[]).some((e) => /Warning ConfigReloaded: web-config changed/.test(e)));
      assert.match(resultText(result), /^kind: Deployment\nname: web\nnamespace: team-a\n/);
    } finally {
      await session.close();
    }
  });

  test('a pod, for a role without events: its containers, and that events were left out', async () => {
    const session = await open('pods-reader');
    try {
      const pod = kubectl(cluster, ['get', 'pods', '-n', 'team-a', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}']);
      const result = await call(session, 'resources_describe', { namespace: 'team-a', resource: 'pods', name: pod });
      assert.ok(!result.isError, resultText(result));
      const d = (result.structuredContent as { description: Record<string, unknown> }).description;
      assert.deepEqual((d['containers'] as Array<{ name: string }>).map((c) => c.name), ['web', 'sidecar']);
      assert.match(String((d['containers'] as Array<{ state: string }>)[0]!.state), /^Running/);
      assert.deepEqual(d['omitted'], ['events: the role does not grant list events in team-a']);
      assert.equal(d['controlledBy'] !== undefined, true);
    } finally {
      await session.close();
    }
  });

  test('a Secret: its type and number of keys, its data never read', async () => {
    const session = await open('wildcard');
    try {
      const result = await call(session, 'resources_describe', { namespace: 'team-a', resource: 'secrets', name: 'db-credentials' });
      assert.doesNotMatch(JSON.stringify(result), /fixture-password-not-for-output|Zml4dHVyZS1wYXNzd29yZC/);
      assert.equal((result.structuredContent as { description: { data: unknown } }).description.data, '2 keys (values are never read)');
    } finally {
      await session.close();
    }
  });
});

describe('resources_apply', () => {
  const configMap = (name: string, value: string, namespace?: string) => JSON.stringify({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace ? { namespace } : {}) }, data: { mode: value },
  });

  test('a ConfigMap-only role: dry run and diff in the question, the write after yes, nothing after no', async () => {
    const session = await asking('cm-applier', [true, false, true]);
    try {
      let mark = auditMark(cluster);
      const created = await call(session, 'resources_apply', { namespace: 'team-a', manifest: `kind: ConfigMap\napiVersion: v1\nmetadata: {name: applied}\ndata: {mode: blue}\n` });
      assert.ok(!created.isError, resultText(created));
      assert.match(session.questions[0]!, /configmap\/applied in team-a:\nnew object:\n[^]*mode: blue/);
      let sent = (await untilAudited(cluster, user('cm-applier'), mark, (r) => r.verb === 'patch' && !r.dryRun)).filter((r) => r.resource === 'configmaps');
      assert.deepEqual(sent.map((r) => `${r.verb}${r.dryRun ? ' (dry run)' : ''}`), ['patch (dry run)', 'patch (dry run)', 'patch']);
      assert.equal(kubectl(cluster, ['get', 'configmap', 'applied', '-n', 'team-a', '-o', 'jsonpath={.data.mode}']), 'blue');
      assert.match(kubectl(cluster, ['get', 'configmap', 'applied', '-n', 'team-a', '-o', 'jsonpath={.metadata.managedFields[*].manager}']), /eks-rbac-mcp/);

      mark = auditMark(cluster);
      const declined = await call(session, 'resources_apply', { namespace: 'team-a', manifest: configMap('applied', 'green') });
      assert.match(resultText(declined), /The user did not confirm: .*-\s+mode: blue\n\+\s+mode: green/s);
      assert.equal(kubectl(cluster, ['get', 'configmap', 'applied', '-n', 'team-a', '-o', 'jsonpath={.data.mode}']), 'blue', 'nothing written after no');
      await call(session, 'whoami', {}); // a later request: the audit log has caught up with the declined call
      sent = apiRequests(cluster, user('cm-applier'), mark).filter((r) => r.resource === 'configmaps');
      assert.ok(sent.length > 0 && sent.every((r) => r.dryRun), JSON.stringify(sent));

      const updated = await call(session, 'resources_apply', { namespace: 'team-a', manifest: configMap('applied', 'green', 'team-a') });
      assert.deepEqual(updated.structuredContent, { applied: ['configmap/applied in team-a'] });
      assert.equal(kubectl(cluster, ['get', 'configmap', 'applied', '-n', 'team-a', '-o', 'jsonpath={.data.mode}']), 'green');
    } finally {
      await session.close();
    }
  });

  test('refused before any request: out-of-scope namespaces, Lists, oversized payloads, kinds the role lacks', async () => {
    const session = await open('cm-applier');
    const mark = auditMark(cluster);
    try {
      const outside = await call(session, 'resources_apply', { namespace: 'team-a', manifest: configMap('x', 'y', 'kube-system'), confirm: true });
      assert.match(resultText(outside), /names namespace kube-system, outside this connection's scope \(team-a, team-b\)\. Nothing was sent\./);
      const list = await call(session, 'resources_apply', { namespace: 'team-a', confirm: true, manifest: JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { name: 'l' }, items: [JSON.parse(configMap('x', 'y', 'kube-system'))] }) });
      assert.match(resultText(list), /is a List: give each object as its own document/);
      const big = await call(session, 'resources_apply', { namespace: 'team-a', confirm: true, manifest: Array.from({ length: 30 }, (_, i) => configMap(`c${i}`, 'v')).join('\n---\n') });
      assert.match(resultText(big), /holds 30 objects; at most 20/);
      const secret = await call(session, 'resources_apply', { namespace: 'team-a', confirm: true, manifest: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {k: v}\n' });
      assert.match(resultText(secret), /does not allow "patch secrets" in namespace team-a/);
      await call(session, 'whoami', {});
      assert.deepEqual(apiRequests(cluster, user('cm-applier'), mark).filter((r) => r.resource === 'configmaps' || r.resource === 'secrets' || r.namespace === 'kube-system'), []);
    } finally {
      await session.close();
    }
  });

  test('a Secret: its values appear in no diff, result or log', async () => {
    const session = await asking('wildcard', [true, true]);
    try {
      const manifest = (value: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: applied-secret}\nstringData: {token: ${value}}\n`;
      const first = await call(session, 'resources_apply', { namespace: 'team-a', manifest: manifest('first-secret-value') });
      assert.ok(!first.isError, resultText(first));
      const second = await call(session, 'resources_apply', { namespace: 'team-a', manifest: manifest('second-secret-value') });
      assert.ok(!second.isError, resultText(second));
      assert.match(session.questions[1]!, /^secret\/applied-secret in team-a: sets stringData keys: token \(values are never shown\)$/m, 'keys only: nothing about the stored value');
      const everything = JSON.stringify([first, second, session.questions]) + session.stderr();
      assert.doesNotMatch(everything, /first-secret-value|second-secret-value|Zmlyc3Qtc2VjcmV0|c2Vjb25kLXNlY3JldC/);
      assert.equal(Buffer.from(kubectl(cluster, ['get', 'secret', 'applied-secret', '-n', 'team-a', '-o', 'jsonpath={.data.token}']), 'base64').toString(), 'second-secret-value');
    } finally {
      await session.close();
    }
  });
});

describe('resources_delete', () => {
  test('a Jobs-only deleter: the question says what it cannot see; dry run, then the delete after yes; nothing after no', async () => {
    kubectl(cluster, ['create', 'job', 'doomed', '-n', 'team-a', '--image=busybox:1.36']);
    const session = await asking('job-deleter', [false, true]);
    try {
      const mark = auditMark(cluster);
      const declined = await call(session, 'resources_delete', { namespace: 'team-a', resource: 'jobs', name: 'doomed' });
      assert.match(resultText(declined), /The user did not confirm: Delete job team-a\/doomed \(Background\)\? This also deletes: any pods it owns \(the role cannot list pods\)\./);
      assert.ok(kubectl(cluster, ['get', 'job', 'doomed', '-n', 'team-a', '-o', 'name']).includes('doomed'), 'still there after no');
      const deleted = await call(session, 'resources_delete', { namespace: 'team-a', resource: 'jobs', name: 'doomed' });
      assert.deepEqual(deleted.structuredContent, { deleted: 'job/doomed in team-a', propagationPolicy: 'Background' });
      const sent = (await untilAudited(cluster, user('job-deleter'), mark, (r) => r.verb === 'delete' && !r.dryRun)).filter((r) => r.verb === 'delete');
      assert.deepEqual(sent.map((r) => r.dryRun), [true, true, false]);
    } finally {
      await session.close();
    }
  });

  test('the question names the objects a deployment owns, which go with it', async () => {
    kubectl(cluster, ['create', 'deployment', 'short-lived', '-n', 'team-a', '--image=busybox:1.36', '--replicas=1']);
    const session = await asking('wildcard', [false]);
    try {
      const rs = kubectl(cluster, ['wait', '--for=jsonpath={.status.replicas}=1', 'deployment/short-lived', '-n', 'team-a', '--timeout=30s']);
      void rs;
      const name = kubectl(cluster, ['get', 'rs', '-n', 'team-a', '-l', 'app=short-lived', '-o', 'jsonpath={.items[0].metadata.name}']);
      const declined = await call(session, 'resources_delete', { namespace: 'team-a', resource: 'deployments.apps', name: 'short-lived' });
      assert.match(resultText(declined), new RegExp(`This also deletes: replicaset/${name}, pod/${name}-\\w+\\.`));
    } finally {
      await session.close();
    }
  });
});

describe('rollouts, cron job runs and workload logs', () => {
  test('rollout status, history, and an undo that shows the template diff and writes only after yes', async () => {
    kubectl(cluster, ['create', 'deployment', 'rollme', '-n', 'team-a', '--image=busybox:1.36', '--replicas=1']);
    kubectl(cluster, ['patch', 'deployment', 'rollme', '-n', 'team-a', '-p', '{"spec":{"template":{"spec":{"nodeName":"kwok-node-0"}}}}']);
    kubectl(cluster, ['rollout', 'status', 'deployment/rollme', '-n', 'team-a', '--timeout=60s']);
    kubectl(cluster, ['set', 'image', 'deployment/rollme', '-n', 'team-a', 'busybox=busybox:1.37']);
    kubectl(cluster, ['rollout', 'status', 'deployment/rollme', '-n', 'team-a', '--timeout=60s']);
    const session = await asking('wildcard', [false, true]);
    try {
      const status = await call(session, 'rollout_status', { namespace: 'team-a', kind: 'deployment', name: 'rollme' });
      assert.deepEqual(status.structuredContent, { done: true, message: 'deployment "rollme" successfully rolled out' });
      const history = await call(session, 'rollout_history', { namespace: 'team-a', kind: 'deployment', name: 'rollme' });
      assert.deepEqual((history.structuredContent as { rows: unknown[][] }).rows.map((r) => [r[0], r[3]]), [[3, 'busybox:1.37'], [2, 'busybox:1.36'], [1, 'busybox:1.36']]);
      const mark = auditMark(cluster);
      const declined = await call(session, 'rollout_undo', { namespace: 'team-a', kind: 'deployment', name: 'rollme' });
      assert.match(resultText(declined), /The user did not confirm: Roll deployment team-a\/rollme back to revision 2\?\n@@[^]*-\s+- image: busybox:1\.37\n\+\s+- image: busybox:1\.36\n/);
      assert.equal(kubectl(cluster, ['get', 'deployment', 'rollme', '-n', 'team-a', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'busybox:1.37');
      const undone = await call(session, 'rollout_undo', { namespace: 'team-a', kind: 'deployment', name: 'rollme' });
      assert.deepEqual(undone.structuredContent, { revision: 2, skipped: false });
      assert.equal(kubectl(cluster, ['get', 'deployment', 'rollme', '-n', 'team-a', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'busybox:1.36');
      const patches = (await untilAudited(cluster, user('wildcard'), mark, (r) => r.verb === 'patch' && !r.dryRun)).filter((r) => r.verb === 'patch' && r.resource === 'deployments');
      assert.deepEqual(patches.map((r) => r.dryRun), [true, true, false]);
    } finally {
      await session.close();
    }
  });

  test('the kind argument offers only the kinds the role grants', async () => {
    const session = await open('operator');
    try {
      const { tools } = await session.client.listTools();
      const status = tools.find((t) => t.name === 'rollout_status');
      assert.deepEqual((status?.inputSchema.properties?.['kind'] as { enum?: string[] }).enum, ['deployment']);
      assert.ok(!tools.some((t) => t.name === 'rollout_history'), 'operator cannot list replicasets');
    } finally {
      await session.close();
    }
  });

  test('cronjobs_trigger: a dry run, then the Job kubectl create job --from would make', async () => {
    const session = await asking('wildcard', [true]);
    const mark = auditMark(cluster);
    try {
      const result = await call(session, 'cronjobs_trigger', { namespace: 'team-a', name: 'nightly-report', jobName: 'nightly-report-now' });
      assert.deepEqual(result.structuredContent, { job: 'nightly-report-now' });
      assert.match(session.questions[0]!, /Create job team-a\/nightly-report-now from cron job nightly-report/);
      const job = JSON.parse(kubectl(cluster, ['get', 'job', 'nightly-report-now', '-n', 'team-a', '-o', 'json']));
      assert.equal(job.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
      assert.equal(job.metadata.ownerReferences[0].name, 'nightly-report');
      const creates = (await untilAudited(cluster, user('wildcard'), mark, (r) => r.verb === 'create' && r.resource === 'jobs' && !r.dryRun)).filter((r) => r.verb === 'create' && r.resource === 'jobs');
      assert.deepEqual(creates.map((r) => r.dryRun), [true, false]);
    } finally {
      await session.close();
    }
  });

  test('workload_logs: every pod of the deployment, lines prefixed with the pod', async () => {
    const session = await open('wildcard');
    try {
      const result = await call(session, 'workload_logs', { namespace: 'team-a', kind: 'deployment', name: 'web', container: 'web', tail: 2 });
      assert.ok(!result.isError, resultText(result));
      const out = result.structuredContent as { pods: string[]; log: string };
      assert.equal(out.pods.length, 2);
      const lines = out.log.split('\n');
      assert.equal(lines.length, 4);
      for (const pod of out.pods) assert.equal(lines.filter((l) => l.startsWith(`[${pod}/web] `)).length, 2);
      const capped = await call(session, 'workload_logs', { namespace: 'team-a', kind: 'deployment', name: 'web', container: 'web', tail: 1000, maxPods: 1, maxBytes: 1024 });
      assert.equal((capped.structuredContent as { morePods: number }).morePods, 1);
      assert.equal((capped.structuredContent as { truncated: boolean }).truncated, true);
    } finally {
      await session.close();
    }
  });
});

test('rbac: the Role it prints for a set of new tools makes the server offer exactly that set', async () => {
  const { execFileSync } = await import('node:child_process');
  const chosen = ['configmaps_get', 'cronjobs_get', 'cronjobs_trigger', 'resources_describe', 'resources_apply', 'resources_delete'];
  const yaml = execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), 'rbac', '--tools', chosen.join(','), '--kinds', 'configmaps',
    '--namespace', 'team-b', '--binding-role', 'rbac-made'], { encoding: 'utf8' });
  kubectl(cluster, ['apply', '-f', '-'], { input: yaml });
  const session = await open('rbac-made');
  try {
    const { tools } = await session.client.listTools();
    // resources_patch comes with the patch that resources_apply needs: the role allows it too.
    assert.deepEqual(tools.map((t) => t.name).sort(), ['can_i', 'whoami', 'resources_patch', ...chosen].sort());
    assert.ok(tools.filter((t) => chosen.includes(t.name)).every((t) => JSON.stringify((t.inputSchema.properties?.['namespace'] as { enum?: string[] }).enum) === '["team-b"]'));
  } finally {
    await session.close();
  }
});

test('a CRD with full access: apply, describe and delete its objects through the generic tools', async () => {
  const session = await asking('widget-admin', [true, true]);
  try {
    const manifest = 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: blue}\nspec: {color: blue, size: 3}\n';
    const applied = await call(session, 'resources_apply', { namespace: 'team-a', manifest });
    assert.deepEqual(applied.structuredContent, { applied: ['widget/blue in team-a'] });
    const described = await call(session, 'resources_describe', { namespace: 'team-a', resource: 'wg', name: 'blue' });
    assert.equal((described.structuredContent as { description: { spec: string } }).description.spec, '{"color":"blue","size":3}');
    assert.deepEqual((described.structuredContent as { description: { omitted: string[] } }).description.omitted, ['events: the role does not grant list events in team-a']);
    const deleted = await call(session, 'resources_delete', { namespace: 'team-a', resource: 'widgets.example.com', name: 'blue' });
    assert.ok(!deleted.isError, resultText(deleted));
    assert.match(session.questions[1]!, /Delete widget team-a\/blue \(Background\)\? It owns no objects/);
    assert.equal(kubectl(cluster, ['get', 'widgets.example.com', '-n', 'team-a', '-o', 'name']).trim(), '');
  } finally {
    await session.close();
  }
});

describe('the generic tools and the kinds the cluster serves', () => {
  const names = async (session: Session) => (await session.client.listTools()).tools.map((t) => t.name);

  test('a cluster-scoped kind granted cluster-wide is read through them; through a RoleBinding it is not offered, and the cluster agrees', async () => {
    kubectl(cluster, ['apply', '-f', '-'], { input: 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: offer-fast}\nprovisioner: example.com/none\n' });
    const viewer = await open('storage-viewer');
    const bound = await open('storage-in-namespace');
    try {
      const got = await call(viewer, 'resources_get', { resource: 'storageclasses.storage.k8s.io', name: 'offer-fast' });
      assert.ok(!got.isError, resultText(got));
      assert.equal((got.structuredContent as { object: { provisioner: string } }).object.provisioner, 'example.com/none');
      assert.deepEqual(await names(bound), ['whoami', 'can_i']);
      assert.equal(resultText(await call(bound, 'can_i', { verb: 'get', resource: 'storageclasses.storage.k8s.io' })), 'no: get storageclasses.storage.k8s.io (cluster-wide)');
      assert.throws(() => kubectl(cluster, ['auth', 'can-i', 'get', 'storageclasses.storage.k8s.io', '--as', user('storage-in-namespace')]),
        (error: { stdout?: string }) => error.stdout?.trim() === 'no', 'kubectl, asked the same');
    } finally {
      await Promise.all([viewer.close(), bound.close()]);
      kubectl(cluster, ['delete', 'storageclass', 'offer-fast']);
    }
  });

  test('a CRD installed with its RBAC while the server runs: the next refresh reads the served kinds again and offers them', async () => {
    const binding = 'late-gadgets';
    const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', binding, 'team-a'), '--refresh-interval', '1', '--structured-output'], hostEnv(cluster));
    try {
      assert.deepEqual(await names(session), ['whoami', 'can_i']);
      kubectl(cluster, ['apply', '-f', '-'], { input: LATE_CRD });
      kubectl(cluster, ['wait', '--for=condition=Established', 'crd/gadgets.example.org', '--timeout=30s']);
      kubectl(cluster, ['create', 'role', binding, '-n', 'team-a', '--verb=get,list', '--resource=gadgets.example.org']);
      kubectl(cluster, ['create', 'rolebinding', binding, '-n', 'team-a', `--role=${binding}`, `--user=${user(binding)}`]);
      await waitFor('resources_list offered', async () => ((await names(session)).includes('resources_list') ? true : undefined), 20_000);
      const listed = await call(session, 'resources_list', { namespace: 'team-a', resource: 'gadgets' });
      assert.deepEqual(listed.structuredContent, { kind: 'Gadget', columns: ['name', 'namespace', 'age'], rows: [] });
    } finally {
      await session.close();
      kubectl(cluster, ['delete', 'rolebinding,role', binding, '-n', 'team-a', '--ignore-not-found']);
      kubectl(cluster, ['delete', 'crd', 'gadgets.example.org', '--ignore-not-found']);
    }
  });
});

const LATE_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.org}
spec:
  group: example.org
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

describe('resource usage through metrics.k8s.io (metrics-server scraping kwok\'s emulated usage)', () => {
  test('pods_top and nodes_top report what kwok emulates', async () => {
    const session = await open('metrics-reader');
    try {
      // A CPU rate needs two points, and kwok counts usage from its first read: the third scrape (10 s apart) has it.
      const web = await waitFor('both web pods in pods_top', async () => {
        const top = await call(session, 'pods_top', { namespace: 'team-a', labelSelector: 'app=web', sortBy: 'cpu' });
        assert.ok(!top.isError, resultText(top));
        const rows = (top.structuredContent as { rows: Array<[string, number, number]> }).rows;
        return rows.length >= 2 ? rows : undefined;
      }, 120_000, { everyMs: 1000 });
      // Two containers at the annotated 250m and 64Mi each. Memory is a gauge; CPU is metrics-server's rate over its
      // scrape window, which a loaded machine's timing moves by a millicore or two.
      for (const [, cpu, memory] of web) {
        assert.ok(Math.abs(cpu - 500) <= 5, `CPU ${cpu} millicores, not the emulated 500: ${JSON.stringify(web)}`);
        assert.equal(memory, 128, JSON.stringify(web));
      }
      const nodes = await call(session, 'nodes_top', {});
      const names = (nodes.structuredContent as { rows: unknown[][] }).rows.map((r) => r[0]);
      assert.deepEqual(names.sort(), ['kwok-node-0', 'kwok-node-1']);
      assert.match(resultText(nodes), /^NAME\s+CPUMILLICORES\s+MEMORYMIB\n/);
    } finally {
      await session.close();
    }
  });

  test('without metrics.k8s.io served, the tools are not offered and doctor says why', async () => {
    const saved = kubectl(cluster, ['get', 'apiservice', 'v1beta1.metrics.k8s.io', '-o', 'json']);
    kubectl(cluster, ['delete', 'apiservice', 'v1beta1.metrics.k8s.io']);
    try {
      const { spawnSync } = await import('node:child_process');
      const run = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'metrics-reader')], { env: hostEnv(cluster), encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /✗\s+pods_top\s+metrics\.k8s\.io is not served by this cluster: install metrics-server \(an APIService\)\n/);
      assert.match(run.stdout, /✗\s+nodes_top\s+metrics\.k8s\.io is not served/);
      const session = await open('metrics-reader');
      try {
        const names = (await session.client.listTools()).tools.map((t) => t.name);
        assert.ok(!names.includes('pods_top') && !names.includes('nodes_top'), names.join(', '));
      } finally {
        await session.close();
      }
    } finally {
      const restored = JSON.parse(saved) as { metadata: Record<string, unknown>; status?: unknown };
      restored.metadata = { name: 'v1beta1.metrics.k8s.io' };
      delete restored.status;
      kubectl(cluster, ['apply', '-f', '-'], { input: JSON.stringify(restored) });
      kubectl(cluster, ['wait', '--for=condition=Available', 'apiservice/v1beta1.metrics.k8s.io', '--timeout=60s']);
    }
  });
});

test('tools/list for the built-in edit role, against the peer\'s toolsets core, config and helm', async (t) => {
  // As an agent gets it by default: without --structured-output, so without output schemas.
  const ours = await connectServer(eksArgs(cluster, 'eks-mcp-agent', 'editor'), hostEnv(cluster), { elicit: () => ({ action: 'decline' }) });
  const peer = new Client({ name: 'eks-rbac-mcp-tests', version: '0.0.0' });
  await peer.connect(new StdioClientTransport({
    command: join(root, 'node_modules', 'kubernetes-mcp-server-linux-amd64', 'bin', 'kubernetes-mcp-server-linux-amd64'),
    args: ['--kubeconfig', cluster.adminKubeconfig, '--toolsets', 'core,config,helm'], stderr: 'ignore',
  }));
  try {
    const size = (tools: unknown) => Buffer.byteLength(JSON.stringify({ tools }));
    const [mine, theirs] = [(await ours.client.listTools()).tools, (await peer.listTools()).tools];
    t.diagnostic(`tools/list: eks-rbac-mcp (edit role) ${mine.length} tools, ${size(mine)} bytes; kubernetes-mcp-server ${theirs.length} tools, ${size(theirs)} bytes`);
    // v0.0.67 offers 23 tools in these toolsets here, to every identity; ours are what the edit role allows.
    assert.equal(theirs.length, 23);
    assert.ok(size(mine) / mine.length < size(theirs) / theirs.length, `${size(mine)} bytes for ${mine.length} tools`);
  } finally {
    await Promise.all([ours.close(), peer.close()]);
  }
});
