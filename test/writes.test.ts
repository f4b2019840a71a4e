// Writes on objects that others manage, made by the clients that make them in the field: `kubectl apply`
// (client-side), `kubectl apply --server-side`, a server-side apply as Helm (field manager helm), and a Deployment
// whose replicas a HorizontalPodAutoscaler wrote. For each: the conflict answer, the forced apply after a yes, the
// refusal after a no (nothing changed, read back with kubectl), and a patch. Then the hostile inputs of the write path
// (an alias bomb against a server shared by two principals, names and versions that would change the request path,
// characters that would spoof a question), a manual cron job run's name, and a large scale-up.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { kubectl } from './cluster/cluster.ts';
import { apiRequests, auditMark, connectHttp, connectServer, eksArgs, hostEnv, requestsUpToMarker, startHttp, untilAudited, useCluster, waitFor, resultText, type AuditedRequest, type ClientOptions, type Session } from './helpers.ts';
import { fieldPaths, type ManagedFieldsEntry } from '../src/kube/field-managers.ts';
import { aliasBomb } from './hostile-inputs.ts';

const cluster = await useCluster();
const NS = 'team-a';
const USER = 'eks-agent:wildcard';
const ACCEPT_BROAD = ['--accept-broad-role', 'test fixture: a namespace admin, on purpose'];

/** A session of the namespace admin whose user answers each question from `answers` (true: yes), recording the questions. */
async function asking(answers: boolean[], options: ClientOptions = {}): Promise<Session & { questions: string[] }> {
  const questions: string[] = [];
  const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'wildcard'), ...ACCEPT_BROAD], hostEnv(cluster), {
    ...options,
    elicit: (message) => {
      questions.push(message);
      return answers.shift() ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    },
  });
  return Object.assign(session, { questions });
}

/** Runs `body` in such a session, with the audit log's mark taken first, and closes it. */
async function withSession(answers: boolean[], body: (session: Session & { questions: string[] }, mark: number) => Promise<void>): Promise<void> {
  const session = await asking(answers);
  try {
    await body(session, auditMark(cluster));
  } finally {
    await session.close();
  }
}

const call = async (session: Session, name: string, args: Record<string, unknown>) => (await session.client.callTool({ name, arguments: args })) as CallToolResult;

function deployment(name: string, image: string, replicas?: number): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { nodeName: 'kwok-node-0', containers: [{ name: 'main', image }] } },
    },
  };
}

const get = (name: string, path: string) => kubectl(cluster, ['get', 'deployment', name, '-n', NS, '-o', `jsonpath={${path}}`]);
const managedFieldsOf = (kind: string, name: string) =>
  (JSON.parse(kubectl(cluster, ['get', kind, name, '-n', NS, '--show-managed-fields', '-o', 'json'])) as { metadata: { managedFields: ManagedFieldsEntry[] } }).metadata.managedFields;
const ownedBy = (kind: string, name: string, manager: string, operation: string) => fieldPaths(managedFieldsOf(kind, name).find((e) => e.manager === manager && e.operation === operation)?.fieldsV1);

/** This user's requests since the mark, once a later whoami is in the audit log. */
const settled = (session: Session, mark: number) => requestsUpToMarker(cluster, USER, mark, () => call(session, 'whoami', {}));
const writesTo = (sent: AuditedRequest[], name: string) => sent.filter((r) => r.name === name && r.verb !== 'get');

/** Every write request reached the API server at exactly the object's path (no subresource, no other object): what the gate checked. */
function assertExactPaths(sent: AuditedRequest[], name: string): void {
  const writes = writesTo(sent, name);
  assert.ok(writes.length > 0);
  for (const r of writes) {
    assert.equal(r.path, `/apis/apps/v1/namespaces/${NS}/deployments/${name}`, JSON.stringify(r));
    assert.deepEqual([r.group, r.resource, r.subresource, r.namespace], ['apps', 'deployments', undefined, NS]);
  }
}

const IMAGE = '.spec.template.spec.containers[name="main"].image';

interface Maker { name: string; kubectlArgs: string[]; manager: string; operation: string }
const MAKERS: Record<string, Maker> = {
  'kubectl apply (client-side)': { name: 'managed-csa', kubectlArgs: ['apply', '-f', '-'], manager: 'kubectl-client-side-apply', operation: 'Update' },
  'kubectl apply --server-side': { name: 'managed-ssa', kubectlArgs: ['apply', '--server-side', '-f', '-'], manager: 'kubectl', operation: 'Apply' },
  'a server-side apply as Helm (field manager helm)': { name: 'managed-helm', kubectlArgs: ['apply', '--server-side', '--field-manager=helm', '-f', '-'], manager: 'helm', operation: 'Apply' },
};

for (const [made, maker] of Object.entries(MAKERS)) {
  describe(`resources_apply and resources_patch on a Deployment made by ${made}`, () => {
    const { name, manager } = maker;
    // The change an agent makes: a new image; replicas are left to their owner.
    const manifest = JSON.stringify(deployment(name, 'busybox:1.37'));
    before(() => kubectl(cluster, maker.kubectlArgs, { input: JSON.stringify(deployment(name, 'busybox:1.36', 2)) }));
    after(() => kubectl(cluster, ['delete', 'deployment', name, '-n', NS, '--ignore-not-found']));

    test('without force: the conflicting field and its manager, what taking it over means, how to go on; only the dry run is sent', async () => {
      await withSession([], async (session, mark) => {
        const answer = await call(session, 'resources_apply', { namespace: NS, manifest });
        assert.equal(answer.isError, true);
        assert.equal(session.questions.length, 0, 'nothing to ask: nothing can be applied as it is');
        assert.match(resultText(answer), new RegExp(`^The apply would take over fields that other field managers own\\. Only the dry run was sent; nothing was applied\\.\\ndeployment/${name} in team-a:\\n`));
        assert.ok(resultText(answer).includes(`  from "${manager}": ${IMAGE}\n    afterwards: `), resultText(answer));
        assert.match(resultText(answer), /call resources_apply again with the same manifest and "force": true; the user is asked first/);
        assert.doesNotMatch(resultText(answer), /retry/i);
        const sent = writesTo(await settled(session, mark), name);
        assert.ok(sent.length >= 2 && sent.every((r) => r.dryRun), JSON.stringify(sent));
        assert.equal(get(name, '.spec.template.spec.containers[0].image'), 'busybox:1.36');
      });
    });

    test('with force, a no: the question names each field that changes owner and from whom; nothing changes', async () => {
      await withSession([false], async (session, mark) => {
        const answer = await call(session, 'resources_apply', { namespace: NS, manifest, force: true });
        const question = session.questions[0]!;
        assert.match(question, /^Apply \(server-side, field manager eks-rbac-mcp, forcing conflicts\)\?\n/);
        assert.match(question, /-\s+- image: busybox:1\.36\n\+\s+- image: busybox:1\.37\n/);
        assert.ok(question.includes(`Fields that change owner to eks-rbac-mcp:\n  from "${manager}": ${IMAGE}\n`), question);
        assert.match(resultText(answer), /^The user did not confirm: .* Nothing was done\.$/s);
        assert.equal(get(name, '.spec.template.spec.containers[0].image'), 'busybox:1.36', 'unchanged after no');
        assert.ok(writesTo(await settled(session, mark), name).every((r) => r.dryRun));
      });
    });

    test('a patch of one field: no conflict, that field alone changes manager, the others stay with theirs', async () => {
      await withSession([true], async (session, mark) => {
        const patched = await call(session, 'resources_patch', { namespace: NS, resource: 'deployments', name, patch: '{"spec":{"replicas":3}}' });
        assert.equal(resultText(patched), `patched deployment/${name} in team-a`);
        const question = session.questions[0]!;
        assert.match(question, new RegExp(`^Patch deployment/${name} in team-a \\(strategic patch, field manager eks-rbac-mcp\\)\\?\\n@@`));
        assert.match(question, /-\s+replicas: 2\n\+\s+replicas: 3\n/);
        assert.ok(question.includes(`  from "${manager}": .spec.replicas\n`), question);
        assert.equal(get(name, '.spec.replicas'), '3');
        assert.deepEqual(ownedBy('deployment', name, 'eks-rbac-mcp', 'Update'), ['.spec.replicas'], 'the patch took the one field it changed');
        const theirs = ownedBy('deployment', name, manager, maker.operation);
        assert.ok(theirs.includes(IMAGE) && theirs.includes('.spec.selector') && !theirs.includes('.spec.replicas'), theirs.join(' '));
        const sent = await untilAudited(cluster, USER, mark, (r) => r.name === name && r.verb === 'patch' && !r.dryRun);
        assertExactPaths(sent, name);
      });
    });

    test('with force, a yes: applied with force; the field is now eks-rbac-mcp\'s', async () => {
      await withSession([true], async (session, mark) => {
        const answer = await call(session, 'resources_apply', { namespace: NS, manifest, force: true });
        assert.equal(resultText(answer), `applied: deployment/${name} in team-a`);
        assert.equal(get(name, '.spec.template.spec.containers[0].image'), 'busybox:1.37');
        assert.ok(ownedBy('deployment', name, 'eks-rbac-mcp', 'Apply').includes(IMAGE));
        assert.ok(!ownedBy('deployment', name, manager, maker.operation).includes(IMAGE), 'taken from its manager');
        const sent = await untilAudited(cluster, USER, mark, (r) => r.name === name && r.verb === 'patch' && !r.dryRun);
        assertExactPaths(sent, name);
      });
    });
  });
}

describe('a Deployment whose replicas a HorizontalPodAutoscaler wrote (kube-controller-manager, through /scale)', () => {
  const name = 'managed-hpa';
  const hpa = JSON.stringify({
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name, namespace: NS },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 3, maxReplicas: 4 },
  });
  /** Has the autoscaler raise replicas to its minimum (an event: the field's new owner), then removes it, so that nothing writes them again. */
  async function autoscale(): Promise<void> {
    kubectl(cluster, ['apply', '-f', '-'], { input: hpa });
    await waitFor('the autoscaler to write replicas', () => (get(name, '.spec.replicas') === '3'
      && ownedBy('deployment', name, 'kube-controller-manager', 'Update').includes('.spec.replicas') ? true : undefined), 60_000, { everyMs: 250 });
    kubectl(cluster, ['delete', 'hpa', name, '-n', NS]);
  }
  const manifest = JSON.stringify(deployment(name, 'busybox:1.36', 1));
  before(async () => {
    kubectl(cluster, ['apply', '-f', '-'], { input: JSON.stringify(deployment(name, 'busybox:1.36', 1)) });
    await autoscale();
  });
  after(() => kubectl(cluster, ['delete', 'deployment', name, '-n', NS, '--ignore-not-found']));

  test('the conflict names the controller and /scale; a forced apply refused, a patch, the controller taking replicas back, and a forced apply accepted', async () => {
    const session = await asking([false, true, true]);
    try {
      const conflict = await call(session, 'resources_apply', { namespace: NS, manifest });
      assert.ok(resultText(conflict).includes('  from "kube-controller-manager" through /scale: .spec.replicas\n    afterwards: it wrote them by an update: if it is a controller'), resultText(conflict));

      const declined = await call(session, 'resources_apply', { namespace: NS, manifest, force: true });
      assert.match(resultText(declined), /^The user did not confirm/);
      assert.ok(session.questions[0]!.includes('Fields that change owner to eks-rbac-mcp:\n  from "kube-controller-manager" through /scale: .spec.replicas\n'), session.questions[0]);
      assert.match(session.questions[0]!, /-\s+replicas: 3\n\+\s+replicas: 1\n/);
      assert.equal(get(name, '.spec.replicas'), '3', 'nothing changed after no');

      // The patch as a JSON value rather than a string, as many clients send it.
      const patched = await call(session, 'resources_patch', { namespace: NS, resource: 'deployments.apps', name, type: 'merge', patch: { spec: { replicas: 2 } } });
      assert.ok(!patched.isError, resultText(patched));
      assert.ok(session.questions[1]!.includes('  from "kube-controller-manager" through /scale: .spec.replicas\n'), session.questions[1]);
      assert.equal(get(name, '.spec.replicas'), '2');
      assert.deepEqual(ownedBy('deployment', name, 'eks-rbac-mcp', 'Update'), ['.spec.replicas']);

      await autoscale(); // what the answer said: the controller writes them back
      const forced = await call(session, 'resources_apply', { namespace: NS, manifest, force: true });
      assert.equal(resultText(forced), `applied: deployment/${name} in team-a`);
      assert.ok(session.questions[2]!.includes('  from "kube-controller-manager" through /scale: .spec.replicas\n'), session.questions[2]);
      assert.equal(get(name, '.spec.replicas'), '1');
      assert.ok(ownedBy('deployment', name, 'eks-rbac-mcp', 'Apply').includes('.spec.replicas'));
    } finally {
      await session.close();
    }
  });
});

describe('resources_patch', () => {
  before(() => kubectl(cluster, ['apply', '--server-side', '--field-manager=helm', '-f', '-'], { input: JSON.stringify(deployment('set-image', 'nginx:1.27', 1)) }));
  after(() => kubectl(cluster, ['delete', 'deployment', 'set-image', '-n', NS, '--ignore-not-found']));

  test('setting one image is one call, and its question is the one line that changes', async () => {
    const session = await asking([true]);
    try {
      const patch = '{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"nginx:1.28"}]}}}}';
      const result = await call(session, 'resources_patch', { namespace: NS, resource: 'deploy', name: 'set-image', patch });
      assert.ok(!result.isError, resultText(result));
      const question = session.questions[0]!;
      assert.equal(question.split('\n').filter((l) => /^[-+]/.test(l)).join('\n'), '-        - image: nginx:1.27\n+        - image: nginx:1.28');
      assert.ok(question.includes(`  from "helm": ${IMAGE}\n    afterwards: its next server-side apply, such as helm upgrade`), question);
      assert.equal(get('set-image', '.spec.template.spec.containers[0].image'), 'nginx:1.28');
      assert.ok(ownedBy('deployment', 'set-image', 'helm', 'Apply').includes('.spec.replicas'), 'Helm keeps every field the patch did not change');
    } finally {
      await session.close();
    }
  });

  test('bad patches are refused before any request; a role that may patch and delete only named objects is offered both, for those names', async () => {
    await withSession([], async (session, mark) => {
      const bad: Array<[Record<string, unknown>, RegExp]> = [
        [{ patch: '{"spec":', type: 'merge' }, /not valid JSON/],
        [{ patch: '[{"op":"replace","path":"/metadata/name","value":"other"}]', type: 'json' }, /touches metadata\.name or metadata\.namespace/],
        [{ patch: `{"metadata":{"annotations":{"a":"${'x'.repeat(129 * 1024)}"}}}`, type: 'merge' }, /^the patch is over 128 KiB\. Nothing was sent\.$/],
        [{ patch: { metadata: { annotations: { a: 'x'.repeat(129 * 1024) } } }, type: 'merge' }, /^the patch is over 128 KiB\. Nothing was sent\.$/],
      ];
      for (const [args, refusal] of bad) {
        const answer = await call(session, 'resources_patch', { namespace: NS, resource: 'deployments', name: 'set-image', ...args });
        assert.equal(answer.isError, true);
        assert.match(resultText(answer), refusal);
      }
      const crd = await call(session, 'resources_patch', { namespace: NS, resource: 'widgets.example.com', name: 'w', patch: '{"spec":{"size":1}}' });
      assert.match(resultText(crd), /widgets\.example\.com has no strategic merge \(it is a custom or aggregated resource\): use type "merge" or "json"\. Nothing was sent\./);
      assert.deepEqual((await settled(session, mark)).filter((r) => r.resource === 'deployments' || r.resource === 'widgets'), [], 'nothing sent');
    });
    kubectl(cluster, ['create', 'configmap', 'patch-named', '-n', NS, '--from-literal=mode=blue']);
    kubectl(cluster, ['create', 'configmap', 'patch-other', '-n', NS, '--from-literal=mode=blue']);
    kubectl(cluster, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'patch-named', namespace: NS }, rules: [
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['patch-named'], verbs: ['patch', 'delete'] },
      ] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'patch-named', namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'patch-named' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'eks-agent:patch-named' }] },
    ] }) });
    await waitFor('the Role to be in force', () => {
      try {
        return kubectl(cluster, ['auth', 'can-i', 'patch', 'configmaps/patch-named', '-n', NS, '--as', 'eks-agent:patch-named']).trim() === 'yes' ? true : undefined;
      } catch {
        return undefined; // "no" exits 1
      }
    });
    const named = await connectServer(eksArgs(cluster, 'eks-mcp-agent', 'patch-named', NS), hostEnv(cluster), { elicit: () => ({ action: 'accept', content: { confirm: true } }) });
    try {
      const offered = (await named.client.listTools()).tools.map((t) => t.name);
      for (const tool of ['resources_patch', 'resources_delete']) assert.ok(offered.includes(tool), `${tool} in ${offered.join()}`);
      assert.ok(!offered.includes('resources_list'), 'a name-limited grant lists nothing');
      const mark = auditMark(cluster);
      const allowed = await call(named, 'resources_patch', { namespace: NS, resource: 'configmaps', name: 'patch-named', type: 'merge', patch: '{"data":{"mode":"green"}}' });
      assert.equal(resultText(allowed), 'patched configmap/patch-named in team-a');
      const refused = await call(named, 'resources_patch', { namespace: NS, resource: 'configmaps', name: 'patch-other', type: 'merge', patch: '{"data":{"mode":"green"}}' });
      assert.match(resultText(refused), /does not allow "patch configmaps" in namespace team-a \(patch-other\); no request was sent/);
      assert.equal(kubectl(cluster, ['get', 'configmap', 'patch-other', '-n', NS, '-o', 'jsonpath={.data.mode}']), 'blue');
      const deleteOther = await call(named, 'resources_delete', { namespace: NS, resource: 'configmaps', name: 'patch-other' });
      assert.match(resultText(deleteOther), /does not allow "delete configmaps" in namespace team-a \(patch-other\); no request was sent/);
      const sent = await requestsUpToMarker(cluster, 'eks-agent:patch-named', mark, () => call(named, 'whoami', {}));
      assert.deepEqual(sent.filter((r) => r.name === 'patch-other'), []);
    } finally {
      await named.close();
      kubectl(cluster, ['delete', 'configmap', 'patch-named', 'patch-other', '-n', NS]);
    }
  });
});

describe('hostile input on the write path', () => {
  test('names and versions that would change the request path are refused before any request', async () => {
    await withSession([], async (session, mark) => {
      const configMap = (apiVersion: string, name: string) => JSON.stringify({ apiVersion, kind: 'ConfigMap', metadata: { name }, data: { a: 'b' } });
      const cases: Array<[string, RegExp]> = [
        [configMap('v1', '..'), /ConfigMap name "\.\." may not be "\.\."\. Nothing was sent\./],
        [configMap('v1', 'x/status'), /may not contain "\/" or "%"/],
        [configMap('/..', 'x'), /apiVersion "\/\.\." is not an API version/],
        [configMap('v1?', 'x'), /apiVersion "v1\?" is not an API version/],
        [configMap('v2', 'x'), /v2 is not served; ConfigMap is served as v1/],
        [configMap('apps/v1', 'x'), /the cluster serves no kind ConfigMap in group apps/],
        [JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deploy', metadata: { name: 'x' } }), /serves no kind Deploy in group apps/],
      ];
      for (const [manifest, refusal] of cases) assert.match(resultText(await call(session, 'resources_apply', { namespace: NS, manifest })), refusal);
      const sent = await settled(session, mark);
      const writes = sent.filter((r) => r.resource === 'configmaps' || r.resource === 'deployments' || (r.verb !== 'get' && !r.resource?.startsWith('self')));
      assert.deepEqual(writes, [], 'no write, no dry run, no read of what the manifests name');
    });
  });

  test('an alias bomb is refused at once, sends nothing, and another principal\'s calls go on', async () => {
    const alice = 'alice-token-0123456789abcdef';
    const bob = 'bob-token-0123456789abcdef01';
    const server = await startHttp([...eksArgs(cluster, 'eks-mcp-agent', 'wildcard'), ...ACCEPT_BROAD],
      { env: { ...hostEnv(cluster), EKS_MCP_AUTH_TOKENS: `alice:${alice},bob:${bob}` } });
    const decline = { elicit: () => ({ action: 'decline' as const }) };
    const [attacker, other] = await Promise.all([connectHttp(server.url, { token: alice, ...decline }), connectHttp(server.url, { token: bob, ...decline })]);
    try {
      const mark = auditMark(cluster);
      const bombs = [7, 8, 8, 7].map((levels) => attacker.client.callTool({ name: 'resources_apply', arguments: { namespace: NS, manifest: aliasBomb(levels) } }));
      const meanwhile = other.client.callTool({ name: 'pods_list', arguments: { namespace: NS } });
      for (const bomb of await Promise.all(bombs)) assert.match(resultText(bomb as CallToolResult), /uses a YAML alias \(\*name\): aliases are not accepted/);
      const listed = (await meanwhile) as CallToolResult;
      assert.ok(!listed.isError, resultText(listed));
      const after = (await other.client.callTool({ name: 'pods_list', arguments: { namespace: NS } })) as CallToolResult;
      assert.ok(!after.isError, `the connection to the cluster survived: ${resultText(after)}`);
      assert.equal((await fetch(`${server.origin}/healthz`)).status, 200);
      await other.client.callTool({ name: 'whoami', arguments: {} });
      const sent = await waitFor('the whoami in the audit log', () => {
        const s = apiRequests(cluster, USER, mark);
        return s.some((r) => r.resource === 'selfsubjectreviews') ? s : undefined;
      });
      assert.deepEqual(sent.filter((r) => r.resource === 'configmaps' || r.verb === 'patch'), [], 'the bomb sent nothing');
    } finally {
      await Promise.all([attacker.close(), other.close()]);
      await server.stop();
    }
  });

  test('a question shows bidi and zero-width characters written out, in an apply\'s diff and in an undo\'s', async () => {
    const spoofed = 'rm -rf /data/* #\u202E\u2066gol/pmt/ ohce\u2069\u200B';
    const hidden = /[\u202A-\u202E\u2066-\u2069\u200B-\u200D\uFEFF]/;
    const session = await asking([false, false]);
    const name = 'spoofed';
    try {
      const withCommand = (command: string) => JSON.stringify({ ...deployment(name, 'busybox:1.36', 1), spec: { ...(deployment(name, 'busybox:1.36', 1)['spec'] as object),
        template: { metadata: { labels: { app: name } }, spec: { nodeName: 'kwok-node-0', containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', command] }] } } } });
      kubectl(cluster, ['apply', '--server-side', '--field-manager=eks-rbac-mcp', '-f', '-'], { input: withCommand('sleep 1') });
      await call(session, 'resources_apply', { namespace: NS, manifest: withCommand(spoofed) });
      assert.doesNotMatch(session.questions[0]!, hidden);
      assert.ok(session.questions[0]!.includes('#\\u{202E}\\u{2066}gol/pmt/ ohce\\u{2069}\\u{200B}'), session.questions[0]);
      kubectl(cluster, ['apply', '--server-side', '--field-manager=eks-rbac-mcp', '-f', '-'], { input: withCommand(spoofed) });
      kubectl(cluster, ['apply', '--server-side', '--field-manager=eks-rbac-mcp', '-f', '-'], { input: withCommand('sleep 2') });
      await waitFor('two revisions', () => (kubectl(cluster, ['get', 'rs', '-n', NS, '-l', `app=${name}`, '-o', 'name']).trim().split('\n').length >= 2 ? true : undefined));
      const undo = await call(session, 'rollout_undo', { namespace: NS, kind: 'deployment', name });
      assert.match(resultText(undo), /The user did not confirm: Roll deployment team-a\/spoofed back to revision \d+\?/);
      assert.doesNotMatch(session.questions[1]!, hidden);
      assert.ok(session.questions[1]!.includes('\\u{202E}'), session.questions[1]);
    } finally {
      await session.close();
      kubectl(cluster, ['delete', 'deployment', name, '-n', NS, '--ignore-not-found']);
    }
  });
});

describe('a forced apply whose object changes between the question and the yes', () => {
  const name = 'managed-race';
  before(() => kubectl(cluster, ['apply', '--server-side', '-f', '-'], { input: JSON.stringify(deployment(name, 'busybox:1.36', 1)) }));
  after(() => kubectl(cluster, ['delete', 'deployment', name, '-n', NS, '--ignore-not-found']));

  test('another manager takes the field while the user reads the question: the yes applies nothing; asked again, the question names the new manager', async () => {
    const manifest = JSON.stringify(deployment(name, 'busybox:1.37', 1));
    const questions: string[] = [];
    const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'wildcard'), ...ACCEPT_BROAD], hostEnv(cluster), {
      elicit: (message) => {
        // While the first question is on screen, a deploy tool takes the image with a server-side apply of its own.
        if (!questions.length) {
          kubectl(cluster, ['apply', '--server-side', '--field-manager', 'argocd-controller', '--force-conflicts', '-f', '-'],
            { input: JSON.stringify(deployment(name, 'busybox:1.38', 1)) });
        }
        questions.push(message);
        return { action: 'accept', content: { confirm: true } };
      },
    });
    try {
      const raced = await call(session, 'resources_apply', { namespace: NS, manifest, force: true });
      assert.equal(raced.isError, true);
      assert.equal(resultText(raced), `deployment/${name} in team-a changed after the user was asked: the forced apply would now do other than what they agreed to. `
        + 'Nothing was applied. Call resources_apply again to ask the user about the objects as they are now.');
      assert.match(questions[0]!, / {2}from "kubectl": /);
      assert.equal(get(name, '.spec.template.spec.containers[0].image'), 'busybox:1.38', 'nothing applied over the other manager');

      const applied = await call(session, 'resources_apply', { namespace: NS, manifest, force: true });
      assert.equal(resultText(applied), `applied: deployment/${name} in team-a`);
      assert.match(questions[1]!, / {2}from "argocd-controller": /);
      assert.equal(get(name, '.spec.template.spec.containers[0].image'), 'busybox:1.37');
    } finally {
      await session.close();
    }
  });
});

describe('other writes', () => {
  test('cronjobs_trigger: two default-named runs in a row get two names, each exactly the one its question showed', async () => {
    for (const era of ['2026-07-28', '2025-11-25'] as const) {
      const session = await asking([true, true], { era });
      try {
        const jobs: string[] = [];
        for (let i = 0; i < 2; i++) {
          const result = await call(session, 'cronjobs_trigger', { namespace: NS, name: 'nightly-report' });
          assert.ok(!result.isError, resultText(result));
          const job = /^job team-a\/(\S+) created from cron job nightly-report$/.exec(resultText(result))?.[1];
          assert.match(job ?? '', /^nightly-report-manual-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
          assert.equal(session.questions[i], `Create job team-a/${job} from cron job nightly-report, running its pods now?`, `${era}: the question names the job created`);
          jobs.push(job!);
        }
        assert.notEqual(jobs[0], jobs[1]);
        for (const job of jobs) assert.equal(kubectl(cluster, ['get', 'job', job, '-n', NS, '-o', 'jsonpath={.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate}']), 'manual');
        kubectl(cluster, ['delete', 'job', ...jobs, '-n', NS, '--wait=false']);
      } finally {
        await session.close();
      }
    }
  });

  test('deployments_scale: a scale-up above 10 replicas and more than twice the count is asked first; a small one is not', async () => {
    kubectl(cluster, ['apply', '-f', '-'], { input: JSON.stringify(deployment('scale-me', 'busybox:1.36', 2)) });
    const session = await asking([false]);
    try {
      const declined = await call(session, 'deployments_scale', { namespace: NS, name: 'scale-me', replicas: 500 });
      assert.equal(resultText(declined), 'The user did not confirm: Scale deployment team-a/scale-me up from 2 to 500 replicas (above 10 and more than twice as many)? Nothing was done.');
      assert.equal(get('scale-me', '.spec.replicas'), '2');
      const small = await call(session, 'deployments_scale', { namespace: NS, name: 'scale-me', replicas: 4 });
      assert.equal(resultText(small), 'deployment team-a/scale-me scaled to 4 (was 2)');
      assert.equal(session.questions.length, 1, 'no question for a routine count');
    } finally {
      await session.close();
      kubectl(cluster, ['delete', 'deployment', 'scale-me', '-n', NS]);
    }
  });
});
