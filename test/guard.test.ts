// The article's pitfalls, enforced on the real control plane: the broad-grant guard (built-in ClusterRoles, one
// Role per dangerous right, an EKS access policy, acceptance, a grant that appears while running), `--tools`
// below the role, and `doctor`'s reports. RBAC objects are real; servers are the built binary.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { kubectl } from './cluster/cluster.ts';
import { connectServer, toolListChanges, untilAudited, waitFor, eksArgs, hostEnv, runCli, useCluster, resultText, type CliRun, type Session } from './helpers.ts';
import { KubeClient } from '../src/kube/client.ts';
import { BROAD_GRANTS } from '../src/rbac/broad-grants.ts';

const cluster = await useCluster();
const env = hostEnv(cluster);
const admin = new KubeClient(cluster.endpoint, readFileSync(cluster.caFile), {
  apply: async (o: { headers?: unknown }) => void (o.headers = { ...(o.headers as object), authorization: `Bearer ${cluster.adminToken}` }),
});

interface Rule { apiGroups: string[]; resources: string[]; verbs: string[] }
interface Attributes { verb: string; group?: string; resource: string; subresource?: string; namespace?: string }

/** Binds rules (a new Role or ClusterRole) or a built-in ClusterRole to a user: in a namespace, or cluster-wide. */
function bind(user: string, name: string, grant: { rules: Rule[] } | { clusterRole: string }, namespace?: string): void {
  const rbac = 'rbac.authorization.k8s.io';
  const items: unknown[] = [];
  let roleRef: { apiGroup: string; kind: string; name: string };
  if ('rules' in grant) {
    items.push({ apiVersion: `${rbac}/v1`, kind: namespace ? 'Role' : 'ClusterRole', metadata: { name, ...(namespace ? { namespace } : {}) }, rules: grant.rules });
    roleRef = { apiGroup: rbac, kind: namespace ? 'Role' : 'ClusterRole', name };
  } else {
    roleRef = { apiGroup: rbac, kind: 'ClusterRole', name: grant.clusterRole };
  }
  items.push({ apiVersion: `${rbac}/v1`, kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding', metadata: { name, ...(namespace ? { namespace } : {}) },
    roleRef, subjects: [{ apiGroup: rbac, kind: 'User', name: user }] });
  kubectl(cluster, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
}

/** Resolves once the API server's authorizer answers yes for the user: RBAC's cache has seen the binding. */
async function untilAllowed(user: string, attributes: Attributes): Promise<void> {
  await waitFor(`${user} to get ${JSON.stringify(attributes)}`, async () => {
    const review = await admin.json<{ status?: { allowed?: boolean } }>({
      method: 'POST', path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, groups: ['system:authenticated'], resourceAttributes: attributes } },
    });
    return review.status?.allowed ? true : undefined;
  }, 15_000);
}

type Run = CliRun;

const cli = (args: string[], extraEnv: Record<string, string> = {}): Promise<Run> => runCli(args, { ...env, ...extraEnv });

const serve = (binding: string, namespaces: string, extra: string[] = [], role = 'eks-mcp-agent') =>
  cli(['serve', ...eksArgs(cluster, role, binding, namespaces), ...extra]);

/** The finding ids of a refused start, from its log line. */
function refusedIds(run: Run): string[] {
  const line = run.stderr.split('\n').find((l) => l.includes('"guard":"refused"'));
  assert.ok(line, `no refusal logged (exit ${run.status}):\n${run.stderr}`);
  return (JSON.parse(line) as { findings: Array<{ id: string }> }).findings.map((f) => f.id);
}

/** At most `n` at a time: each is a server start on a 2-core machine. */
async function limited<T, R>(items: readonly T[], n: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += n) results.push(...await Promise.all(items.slice(i, i + n).map(each)));
  return results;
}

describe('the broad-grant guard at start', () => {
  test('built-in ClusterRoles: view, edit and admin in one namespace start; cluster-admin anywhere, and admin or edit cluster-wide, are refused', async () => {
    const roles = ['cluster-admin', 'admin', 'edit', 'view'];
    const expected: Record<string, string[] | 'starts'> = {
      'ns-cluster-admin': ['namespace-wildcard', 'rbac-escalate', 'rbac-bind'],
      'ns-admin': 'starts', 'ns-edit': 'starts', 'ns-view': 'starts',
      'cluster-cluster-admin': BROAD_GRANTS.map((r) => r.id),
      'cluster-admin': ['impersonate', 'serviceaccount-token', 'kube-system-workloads', 'cluster-secrets'],
      'cluster-edit': ['impersonate', 'serviceaccount-token', 'kube-system-workloads', 'cluster-secrets'],
      'cluster-view': 'starts',
    };
    for (const role of roles) {
      bind(`eks-agent:builtin-ns-${role}`, `guard-builtin-ns-${role}`, { clusterRole: role }, 'team-b');
      bind(`eks-agent:builtin-cluster-${role}`, `guard-builtin-cluster-${role}`, { clusterRole: role });
    }
    for (const role of roles) {
      await untilAllowed(`eks-agent:builtin-ns-${role}`, { verb: 'get', resource: 'pods', namespace: 'team-b' });
      await untilAllowed(`eks-agent:builtin-cluster-${role}`, { verb: 'get', resource: 'pods' });
    }
    const cases = roles.flatMap((role) => [['ns', role], ['cluster', role]] as const);
    const runs = await limited(cases, 3, ([where, role]) => serve(`builtin-${where}-${role}`, 'team-b'));
    cases.forEach(([where, role], i) => {
      const want = expected[`${where}-${role}`]!;
      const run = runs[i]!;
      if (want === 'starts') {
        assert.equal(run.status, 0, `${role} bound ${where}: ${run.stderr}`);
        assert.match(run.stderr, /"msg":"ready"/);
      } else {
        assert.equal(run.status, 9, `${role} bound ${where} must be refused:\n${run.stderr}`);
        assert.deepEqual(refusedIds(run), want, `${role} bound ${where}`);
      }
    });
  });

  test('one Role or ClusterRole per dangerous right: each start is refused, naming the finding and the right', async () => {
    const cases: Array<{ id: string; namespace?: string; rule: Rule; attributes: Attributes; cause: string }> = [
      { id: 'namespace-wildcard', namespace: 'team-b', rule: { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        attributes: { verb: '*', group: '*', resource: '*', namespace: 'team-b' }, cause: '* on every resource of every API group in namespace team-b' },
      { id: 'rbac-escalate', namespace: 'team-b', rule: { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['escalate'] },
        attributes: { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'roles', namespace: 'team-b' }, cause: 'escalate roles.rbac.authorization.k8s.io in namespace team-b' },
      { id: 'rbac-escalate', rule: { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['escalate'] },
        attributes: { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' }, cause: 'escalate clusterroles.rbac.authorization.k8s.io cluster-wide' },
      { id: 'rbac-bind', namespace: 'team-b', rule: { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['bind'] },
        attributes: { verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'roles', namespace: 'team-b' }, cause: 'bind roles.rbac.authorization.k8s.io in namespace team-b' },
      { id: 'rbac-bind', rule: { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'] },
        attributes: { verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' }, cause: 'bind clusterroles.rbac.authorization.k8s.io cluster-wide' },
      { id: 'impersonate', rule: { apiGroups: [''], resources: ['users'], verbs: ['impersonate'] },
        attributes: { verb: 'impersonate', resource: 'users' }, cause: 'impersonate users cluster-wide' },
      { id: 'impersonate', rule: { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'] },
        attributes: { verb: 'impersonate', resource: 'groups' }, cause: 'impersonate groups cluster-wide' },
      { id: 'impersonate', namespace: 'kube-system', rule: { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
        attributes: { verb: 'impersonate', resource: 'serviceaccounts', namespace: 'kube-system' }, cause: 'impersonate serviceaccounts in namespace kube-system' },
      { id: 'serviceaccount-token', namespace: 'kube-system', rule: { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
        attributes: { verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'kube-system' }, cause: 'create serviceaccounts/token in namespace kube-system' },
      { id: 'csr-approval', rule: { apiGroups: ['certificates.k8s.io'], resources: ['signers'], verbs: ['approve'] },
        attributes: { verb: 'approve', group: 'certificates.k8s.io', resource: 'signers' }, cause: 'approve signers.certificates.k8s.io cluster-wide' },
      { id: 'csr-approval', rule: { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'], verbs: ['update'] },
        attributes: { verb: 'update', group: 'certificates.k8s.io', resource: 'certificatesigningrequests', subresource: 'approval' },
        cause: 'update certificatesigningrequests.certificates.k8s.io/approval cluster-wide' },
      { id: 'kube-system-workloads', namespace: 'kube-system', rule: { apiGroups: [''], resources: ['pods'], verbs: ['create'] },
        attributes: { verb: 'create', resource: 'pods', namespace: 'kube-system' }, cause: 'create pods in namespace kube-system' },
      { id: 'kube-system-workloads', namespace: 'kube-system', rule: { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
        attributes: { verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'kube-system' }, cause: 'create pods/exec in namespace kube-system' },
      { id: 'kube-system-workloads', namespace: 'kube-system', rule: { apiGroups: ['apps'], resources: ['deployments'], verbs: ['patch'] },
        attributes: { verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'kube-system' }, cause: 'patch deployments.apps in namespace kube-system' },
      { id: 'kube-system-workloads', namespace: 'kube-system', rule: { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['create'] },
        attributes: { verb: 'create', group: 'apps', resource: 'daemonsets', namespace: 'kube-system' }, cause: 'create daemonsets.apps in namespace kube-system' },
      { id: 'nodes-proxy', rule: { apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] },
        attributes: { verb: 'get', resource: 'nodes', subresource: 'proxy' }, cause: 'get nodes/proxy cluster-wide' },
      { id: 'cluster-secrets', rule: { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
        attributes: { verb: 'list', resource: 'secrets' }, cause: 'list secrets cluster-wide' },
      { id: 'admission-webhooks', rule: { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['delete'] },
        attributes: { verb: 'delete', group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations' },
        cause: 'delete validatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide' },
      { id: 'admission-webhooks', rule: { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['patch'] },
        attributes: { verb: 'patch', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' },
        cause: 'patch mutatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide' },
    ];
    cases.forEach((c, i) => bind(`eks-agent:right-${i}`, `guard-right-${i}`, { rules: [c.rule] }, c.namespace));
    await Promise.all(cases.map((c, i) => untilAllowed(`eks-agent:right-${i}`, c.attributes)));
    const runs = await limited(cases.map((_, i) => i), 3, (i) => serve(`right-${i}`, 'team-b'));
    cases.forEach((c, i) => {
      const run = runs[i]!;
      assert.equal(run.status, 9, `${c.cause} must be refused:\n${run.stderr}`);
      const ids = refusedIds(run);
      assert.ok(ids.includes(c.id), `${c.cause}: ${ids}`);
      if (c.id !== 'namespace-wildcard') assert.deepEqual(ids, [c.id], `${c.cause}: one right, one finding`);
      assert.ok(run.stderr.includes(`granted: ${c.cause}`), `${c.cause}:\n${run.stderr}`);
      assert.match(run.stderr, /Narrow the role to what the tools in use need \(printed by: eks-rbac-mcp rbac --tools whoami,can_i/);
      assert.match(run.stderr, /--accept-broad-role "<reason>"/);
    });
  });

  test('the message prints the narrow Role for the tools in use, and an EKS access policy counts as much as RBAC', async () => {
    const run = await serve('ops-admin', 'team-a', [], 'eks-mcp-cluster-admin');
    assert.equal(run.status, 9, run.stderr);
    assert.deepEqual(refusedIds(run), BROAD_GRANTS.map((r) => r.id), 'AmazonEKSClusterAdminPolicy: nothing in the rules, everything in the access reviews');
    assert.match(run.stderr, /granted: \* on every resource of every API group cluster-wide/);
    assert.match(run.stderr, /kind: Role\nmetadata:\n {2}name: eks-rbac-mcp-ops-admin\n {2}namespace: team-a\nrules:\n/);
    assert.match(run.stderr, /subjects:\n- \{apiGroup: rbac.authorization.k8s.io, kind: User, name: "eks-admin:ops-admin"\}/, 'the user the cluster really sees');
    assert.match(run.stderr, /resources: \["pods\/exec"\]\n {2}verbs: \["create"\]/, 'every tool the role allows is in use');
    assert.doesNotMatch(run.stderr, /"\*"/, 'the narrow Role names no wildcard');
    assert.equal(run.stdout, '', 'stdout stays clean for the protocol');
  });

  test('--accept-broad-role starts with a warning naming the reason and the findings', async () => {
    const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'wildcard', 'team-a'), '--accept-broad-role', 'INC-42: migration window'], env, { elicit: () => ({ action: 'decline' }) });
    try {
      assert.ok((await session.client.listTools()).tools.some((t) => t.name === 'pods_exec'));
      const line = session.stderr().split('\n').find((l) => l.includes('"guard":"accepted"'));
      assert.ok(line, session.stderr());
      const warning = JSON.parse(line) as { level: number; acceptedBecause: string; findings: Array<{ id: string; causes: string[] }> };
      assert.equal(warning.level, 40, 'a warning');
      assert.equal(warning.acceptedBecause, 'INC-42: migration window');
      assert.deepEqual(warning.findings.map((f) => f.id), ['namespace-wildcard', 'rbac-escalate', 'rbac-bind']);
      assert.deepEqual(warning.findings[0]!.causes, ['* on every resource of every API group in namespace team-a']);
    } finally {
      await session.close();
    }
    const fromEnv = await cli(['serve', ...eksArgs(cluster, 'eks-mcp-agent', 'wildcard', 'team-a')], { EKS_MCP_ACCEPT_BROAD_ROLE: 'from the environment' });
    assert.equal(fromEnv.status, 0, fromEnv.stderr);
    assert.match(fromEnv.stderr, /"acceptedBecause":"from the environment"/);
  });
});

/** Resolves once the server has logged a line matching the pattern (its stderr arrives as events). */
function logged(session: Session, pattern: RegExp): Promise<string> {
  return waitFor(`a log line matching ${pattern}`, () => session.stderr().split('\n').find((l) => pattern.test(l)), 20_000);
}

const names = async (s: Session) => (await s.client.listTools()).tools.map((t) => t.name);
const secretsEverywhere = { rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }] };


describe('a broad grant that appears while running', () => {
  test('withdraws the tools (whoami and can_i stay) within the refresh interval, and they return when it goes', async () => {
    bind('eks-agent:grows', 'guard-grows', { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] }, 'team-b');
    await untilAllowed('eks-agent:grows', { verb: 'list', resource: 'pods', namespace: 'team-b' });
    const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'grows', 'team-b'), '--refresh-interval', '1'], env);
    const changes = await toolListChanges(session.client);
    try {
      assert.deepEqual(await names(session), ['whoami', 'can_i', 'pods_list', 'pods_get', 'resources_describe']);
      bind('eks-agent:grows', 'guard-grows-secrets', secretsEverywhere);
      await changes.next('secrets granted cluster-wide', 20_000);
      assert.deepEqual(await names(session), ['whoami', 'can_i'], 'withdrawn');
      assert.match(await logged(session, /"guard":"withdrawn"/), /"level":40.*"id":"cluster-secrets".*list secrets cluster-wide/);
      const mark = statSync(cluster.auditLog).size;
      const refused = (await session.client.callTool({ name: 'pods_list', arguments: { namespace: 'team-b' } })) as CallToolResult;
      assert.equal(refused.isError, true);
      assert.match(resultText(refused), /pods_list is withdrawn: .*read Secrets cluster-wide.*No request was sent.*--accept-broad-role/);
      const proof = (await session.client.callTool({ name: 'can_i', arguments: { verb: 'list', resource: 'secrets' } })) as CallToolResult;
      assert.equal(resultText(proof), 'yes: list secrets (cluster-wide)', 'can_i stays, to show why');
      // The can_i call's own review landed after the refused call: once it is in the audit log, so would a list be.
      const sent = await untilAudited(cluster, 'eks-agent:grows', mark, (r) => r.resource === 'selfsubjectaccessreviews');
      assert.deepEqual(sent.filter((r) => r.resource === 'pods'), [], 'the refused call sent nothing');
      kubectl(cluster, ['delete', 'clusterrolebinding', 'guard-grows-secrets']);
      await changes.next('the cluster-wide grant gone', 20_000);
      assert.deepEqual(await names(session), ['whoami', 'can_i', 'pods_list', 'pods_get', 'resources_describe'], 'narrowed again: the tools return');
      await logged(session, /broad grants: none any more/);
    } finally {
      await session.close();
    }
  });

  test('with --accept-broad-role, a new grant is logged as a warning with the reason, and the tools stay', async () => {
    bind('eks-agent:grows-ok', 'guard-grows-ok', { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] }, 'team-b');
    await untilAllowed('eks-agent:grows-ok', { verb: 'list', resource: 'pods', namespace: 'team-b' });
    const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'grows-ok', 'team-b'), '--refresh-interval', '1', '--accept-broad-role', 'audit bot, reviewed'], env);
    try {
      assert.doesNotMatch(session.stderr(), /"guard"/, 'nothing to accept yet');
      bind('eks-agent:grows-ok', 'guard-grows-ok-secrets', secretsEverywhere);
      const line = await logged(session, /"guard":"accepted"/);
      assert.match(line, /"level":40.*"acceptedBecause":"audit bot, reviewed".*"id":"cluster-secrets"/);
      // The finding and the new tool may come from two refreshes (the authorizer caches each answer a few seconds).
      const expected = ['whoami', 'can_i', 'pods_list', 'pods_get', 'resources_list', 'resources_describe'];
      const listed = await waitFor('resources_list to follow the grant', async () => {
        const now = await names(session);
        return now.includes('resources_list') ? now : undefined;
      }, 20_000);
      assert.deepEqual(listed, expected, 'the tools stay (and the grant adds resources_list, for Secrets)');
    } finally {
      await session.close();
      kubectl(cluster, ['delete', 'clusterrolebinding', 'guard-grows-ok-secrets']);
    }
  });
});

describe('--tools narrows the tool set below the role', () => {
  test('only the selected tools are listed; another is refused before any request', async () => {
    const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'operator', 'team-a'), '--tools', 'pods_*,whoami'], env, { elicit: () => ({ action: 'decline' }) });
    try {
      assert.deepEqual(await names(session), ['whoami', 'pods_list', 'pods_get', 'pods_log', 'pods_delete']);
      const mark = statSync(cluster.auditLog).size;
      const refused = (await session.client.callTool({ name: 'deployments_scale', arguments: { namespace: 'team-a', name: 'web', replicas: 1 } })) as CallToolResult;
      assert.equal(refused.isError, true);
      assert.match(resultText(refused), /deployments_scale is not offered: this server offers only the tools selected by --tools \(pods_\*,whoami\)\. No request was sent\./);
      const listed = (await session.client.callTool({ name: 'pods_list', arguments: { namespace: 'team-a' } })) as CallToolResult;
      assert.ok(!listed.isError, resultText(listed));
      const sent = await untilAudited(cluster, 'eks-agent:operator', mark, (r) => r.resource === 'pods');
      assert.ok(sent.some((r) => r.resource === 'pods'), 'the audit log sees the allowed call');
      assert.deepEqual(sent.filter((r) => r.resource === 'deployments'), [], 'the refused call sent nothing');
    } finally {
      await session.close();
    }
  });

  test('a pattern that matches no tool stops the server with exit 2', async () => {
    const run = await serve('operator', 'team-a', ['--tools', 'pod_*']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /tools: "pod_\*" matches no tool \(--tools or EKS_MCP_TOOLS\); known: whoami, can_i, pods_list/);
  });
});

describe('doctor', () => {
  test('compares what the role grants with what the enabled tools use, and prints the narrower Role', async () => {
    const run = await cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'operator', 'team-a'), '--tools', 'pods_list,pods_log']);
    assert.equal(run.status, 0, run.stderr);
    const [, granted, used] = /narrowing {3}the role grants (\d+) permissions, the enabled tools use (\d+)/.exec(run.stdout) ?? [];
    assert.equal(used, '2');
    assert.ok(Number(granted) > 2, run.stdout);
    assert.match(run.stdout, /a narrower Role that would suffice for the enabled tools:\n.*# Minimal RBAC for tools: pods_list, pods_log\n/);
    assert.match(run.stdout, / {12}- apiGroups: \[""\]\n {14}resources: \["pods"\]\n {14}verbs: \["list"\]/);
    assert.match(run.stdout, /✗\s+deployments_scale\s+not selected by --tools\n/);
    assert.match(run.stdout, /guard {7}no broad grants/);
  });

  test('prints each broad grant with its severity, and says serve would refuse it', async () => {
    const run = await cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'wildcard', 'team-a')]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /guard {7}3 broad grants: `serve` refuses to start/);
    assert.match(run.stdout, /\[high\] every verb on every resource of a namespace \(namespace-wildcard\): .*\n {16}granted: \* on every resource of every API group in namespace team-a/);
    assert.match(run.stdout, /\[critical\] escalate on roles \(rbac-escalate\)/);
  });

  test('--http warns when more than one principal is configured for the connection', async () => {
    const args = ['doctor', '--http', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader', 'team-a')];
    const two = await cli(args, { EKS_MCP_AUTH_TOKENS: 'alice:0123456789abcdef0123,bob:fedcba9876543210fedc' });
    assert.equal(two.status, 0, two.stderr);
    assert.match(two.stdout, /principals  WARNING: 2 principals share this connection \(static:alice, static:bob\)/);
    const one = await cli(args, { EKS_MCP_AUTH_TOKENS: 'alice:0123456789abcdef0123,alice:fedcba9876543210fedc' });
    assert.match(one.stdout, /principals  one \(static:alice\)/, 'two tokens under one name are one principal (rotation)');
    assert.doesNotMatch(one.stdout + one.stderr, /0123456789abcdef0123/, 'tokens are never printed');
  });
});
