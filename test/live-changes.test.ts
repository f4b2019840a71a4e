// What the identity may do changes while the server runs, each change made as an operator makes it (the AWS CLI for
// EKS access entries and their policies, kubectl for RBAC), on the local control plane: the tool list follows within
// the refresh interval plus 5 s (plus the API server's own 10 s authentication cache, where the identity itself
// changed), an unchanged refresh asks only its cheap signals, 403s start at most one re-discovery per gap, and without
// the permission to read the access policies their changes are seen at the full refresh interval.
// The tests of this file change the access entries of eks-mcp-live and eks-mcp-live-blind: they run one after another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { kubectl } from './cluster/cluster.ts';
import { apiRequests, applyRole, auditMark, connectServer, eksArgs, hostEnv, platformAws, toolListChanges, useCluster, waitFor, type Session } from './helpers.ts';

const cluster = await useCluster();
const INTERVAL_S = 2;
/** The API server caches a token's identity for 10 s (--authentication-token-webhook-cache-ttl), and so does EKS's. */
const AUTHENTICATION_CACHE_S = 10;
const policyArn = (name: string) => `arn:aws:eks::aws:cluster-access-policy/${name}`;
const principal = (role: string) => cluster.sts.roles[role]!;

const aws = (args: string[]) => platformAws(cluster, args);
const associate = (role: string, policy: string, scope: string) => aws(['associate-access-policy', '--principal-arn', principal(role), '--policy-arn', policyArn(policy), '--access-scope', scope]);
const disassociate = (role: string, policy: string) => aws(['disassociate-access-policy', '--principal-arn', principal(role), '--policy-arn', policyArn(policy)]);

/** Resolves each next tools/list_changed, failing past the deadline (seconds): the bound the change must be seen within. */
async function changes(session: Session): Promise<(what: string, deadlineS: number) => Promise<number>> {
  const changed = await toolListChanges(session.client);
  return (what, deadlineS) => changed.next(what, deadlineS * 1000);
}

/** Each offered tool with the namespaces its schema allows (null: cluster-scoped). */
async function offered(session: Session): Promise<Record<string, string[] | null>> {
  const { tools } = await session.client.listTools();
  return Object.fromEntries(tools.map((t) => [t.name, (t.inputSchema.properties?.['namespace'] as { enum?: string[] } | undefined)?.enum ?? null]));
}

const serve = (role: string, binding: string, namespaces: string, extra: string[] = []) =>
  connectServer([...eksArgs(cluster, role, binding, namespaces), '--refresh-interval', String(INTERVAL_S), ...extra], hostEnv(cluster), { elicit: () => ({ action: 'decline' }) });

test('an access policy associated and disassociated, in listed namespaces and cluster-wide: the tools follow within the refresh interval + 5 s', async (t) => {
  const session = await serve('eks-mcp-live', 'policies', 'team-a,team-b');
  const next = await changes(session);
  const bound = INTERVAL_S + 5;
  try {
    assert.deepEqual(Object.keys(await offered(session)), ['whoami', 'can_i'], 'no grant yet');
    associate('eks-mcp-live', 'AmazonEKSViewPolicy', 'type=namespace,namespaces=team-b');
    t.diagnostic(`namespace scope associated: seen after ${await next('the View policy in team-b', bound)} s`);
    let tools = await offered(session);
    assert.deepEqual(tools['pods_list'], ['team-b']);
    associate('eks-mcp-live', 'AmazonEKSViewPolicy', 'type=cluster'); // associated again: its scope replaced
    t.diagnostic(`cluster scope associated: seen after ${await next('the View policy cluster-wide', bound)} s`);
    tools = await offered(session);
    assert.deepEqual(tools['pods_list'], ['team-a', 'team-b']);
    assert.equal(tools['namespaces_list'], null, 'a cluster-scoped tool');
    associate('eks-mcp-live', 'AmazonEKSViewPolicy', 'type=namespace,namespaces=team-a');
    t.diagnostic(`back to a namespace scope: seen after ${await next('the View policy in team-a only', bound)} s`);
    tools = await offered(session);
    assert.deepEqual(tools['pods_list'], ['team-a']);
    assert.equal(tools['namespaces_list'], undefined);
    disassociate('eks-mcp-live', 'AmazonEKSViewPolicy');
    await next('the View policy gone', bound);
    assert.deepEqual(Object.keys(await offered(session)), ['whoami', 'can_i']);
  } finally {
    await session.close();
    try { disassociate('eks-mcp-live', 'AmazonEKSViewPolicy'); } catch { /* already gone */ }
  }
});

test('an access entry\'s Kubernetes groups, then its username, changed: the tools follow once the API server authenticates the new ones', async (t) => {
  const rbac = 'rbac.authorization.k8s.io';
  kubectl(cluster, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
    { apiVersion: `${rbac}/v1`, kind: 'Role', metadata: { name: 'live-group-readers', namespace: 'team-a' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] },
    { apiVersion: `${rbac}/v1`, kind: 'RoleBinding', metadata: { name: 'live-group-readers', namespace: 'team-a' },
      roleRef: { apiGroup: rbac, kind: 'Role', name: 'live-group-readers' }, subjects: [{ apiGroup: rbac, kind: 'Group', name: 'live-pod-readers' }] },
  ] }) });
  applyRole(cluster, { name: 'live-renamed', namespace: 'team-b', user: 'eks-live-renamed:names', rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] });
  const session = await serve('eks-mcp-live', 'names', 'team-a,team-b');
  const next = await changes(session);
  const bound = INTERVAL_S + 5 + AUTHENTICATION_CACHE_S;
  const entry = ['update-access-entry', '--principal-arn', principal('eks-mcp-live')];
  try {
    assert.equal((await offered(session))['pods_list'], undefined);
    aws([...entry, '--kubernetes-groups', 'live-pod-readers']);
    t.diagnostic(`groups changed: seen after ${await next('the group live-pod-readers', bound)} s`);
    assert.deepEqual((await offered(session))['pods_list'], ['team-a']);
    aws([...entry, '--username', 'eks-live-renamed:{{SessionName}}']);
    t.diagnostic(`username changed: seen after ${await next('the username eks-live-renamed:names', bound)} s`);
    const tools = await offered(session);
    assert.deepEqual(tools['configmaps_list'], ['team-b'], 'the new username\'s Role');
    assert.deepEqual(tools['pods_list'], ['team-a'], 'the group stays');
  } finally {
    await session.close();
    aws([...entry, '--username', 'eks-live:{{SessionName}}', '--cli-input-json', '{"kubernetesGroups": []}']);
    kubectl(cluster, ['delete', 'rolebinding,role', 'live-group-readers', '-n', 'team-a']);
    kubectl(cluster, ['delete', 'rolebinding,role', 'live-renamed', '-n', 'team-b']);
  }
});

test('an RBAC edit is seen within the refresh interval + 5 s; a refresh where nothing changed sends its signals only, as it logs them', async (t) => {
  const user = 'eks-agent:live-rbac';
  applyRole(cluster, { name: 'live-rbac', namespace: 'team-b', user, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] });
  const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'live-rbac', 'team-b'), '--refresh-interval', String(INTERVAL_S), '--log-level', 'debug'], hostEnv(cluster));
  const next = await changes(session);
  try {
    assert.equal((await offered(session))['pods_log'], undefined);
    applyRole(cluster, { name: 'live-rbac', namespace: 'team-b', user, rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }] });
    t.diagnostic(`RBAC edit: seen after ${await next('the Role gaining pods/log', INTERVAL_S + 5)} s`);
    assert.deepEqual((await offered(session))['pods_log'], ['team-b']);
    // Two refreshes that find nothing changed: what the audit log shows between them is what the server says it sent.
    const rounds = () => session.stderr().split('\n').filter((l) => l.includes('"msg":"permissions refreshed"')).map((l) => JSON.parse(l) as { tier: string; requests: Record<string, number> });
    const seen = rounds().length;
    await waitFor('a refresh', () => (rounds().length > seen ? true : undefined), 3 * INTERVAL_S * 1000);
    const mark = auditMark(cluster);
    const before = rounds().length;
    await waitFor('the next refresh', () => (rounds().length > before ? true : undefined), 3 * INTERVAL_S * 1000);
    const round = rounds()[before]!;
    assert.equal(round.tier, 'signals');
    const { 'eks:ListAssociatedAccessPolicies': eks, ...kube } = round.requests;
    assert.equal(eks, 1, 'the access-policy list');
    assert.equal(kube['selfsubjectrulesreviews'], 2, 'team-b and kube-system');
    const audited = await waitFor('the round in the audit log', () => {
      const sent = apiRequests(cluster, user, mark);
      return sent.length >= Object.values(kube).reduce((a, b) => a + b, 0) ? sent : undefined;
    });
    const byKind: Record<string, number> = {};
    for (const r of audited) byKind[r.resource ?? 'apigroups'] = (byKind[r.resource ?? 'apigroups'] ?? 0) + 1;
    assert.deepEqual(byKind, kube);
  } finally {
    await session.close();
    kubectl(cluster, ['delete', 'rolebinding,role', 'live-rbac', '-n', 'team-b']);
  }
});

test('a 403 on an advertised tool re-discovers at once; later 403s within --forbidden-refresh-gap share one re-discovery', async () => {
  // PodSecurity's restricted level refuses a plain pod with 403 Forbidden, at the server-side dry run too: an agent
  // that applies one again and again provokes one 403 after another.
  const namespace = `live-restricted-${randomBytes(3).toString('hex')}`;
  kubectl(cluster, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace',
    metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } }) });
  const user = 'eks-agent:storm';
  applyRole(cluster, { name: 'storm', namespace, user, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'create', 'patch'] }] });
  const pod = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain' }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0' }] } });
  /** Ten calls, each answered 403; the rounds they started (the server's own log), once at least `expected` have ended. */
  const storm = async (gap: string, expected: number): Promise<{ rounds: number; rulesReviews: number }> => {
    const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'storm', namespace), '--refresh-interval', '0', '--forbidden-refresh-gap', gap,
      '--log-level', 'debug'], hostEnv(cluster), { elicit: () => ({ action: 'decline' }) });
    const rounds = () => session.stderr().split('\n').filter((l) => l.includes('"msg":"permissions refreshed"')).length;
    try {
      await session.client.listTools();
      const mark = auditMark(cluster);
      for (let i = 0; i < 10; i++) {
        const result = await session.client.callTool({ name: 'resources_apply', arguments: { namespace, manifest: pod } }) as CallToolResult;
        assert.match(JSON.stringify(result.content), /HTTP 403/);
      }
      await waitFor(`${expected} rounds`, () => (rounds() >= expected ? true : undefined));
      await session.client.callTool({ name: 'whoami', arguments: {} }); // its SelfSubjectReview: the audit log is read up to here
      const sent = await waitFor('the marker', () => {
        const all = apiRequests(cluster, user, mark);
        return all.some((r) => r.resource === 'selfsubjectreviews') ? all : undefined;
      });
      return { rounds: rounds(), rulesReviews: sent.filter((r) => r.resource === 'selfsubjectrulesreviews').length };
    } finally {
      await session.close();
    }
  };
  try {
    // A round reviews the namespace and kube-system.
    assert.deepEqual(await storm('3600', 1), { rounds: 1, rulesReviews: 2 }, 'the first 403 re-discovered at once, the 9 after it within the gap started none');
    assert.ok((await storm('0', 2)).rounds >= 2, 'without a gap, 403s start round after round');
  } finally {
    kubectl(cluster, ['delete', 'namespace', namespace, '--wait=false']);
  }
});

test('without eks:ListAssociatedAccessPolicies: access reviews decide, the log says so, and an access policy change is seen at --full-refresh-interval', async (t) => {
  const full = 12; // longer than the API server's 10 s cache of access review answers, so that each sweep asks afresh
  const session = await serve('eks-mcp-live-blind', 'fallback', 'team-a,team-b', ['--full-refresh-interval', String(full), '--log-level', 'debug']);
  const next = await changes(session);
  try {
    await waitFor('the warning', () => (/EKS access policies not read: access reviews decide instead/.test(session.stderr()) ? true : undefined));
    assert.deepEqual(Object.keys(await offered(session)), ['whoami', 'can_i']);
    associate('eks-mcp-live-blind', 'AmazonEKSViewPolicy', 'type=namespace,namespaces=team-a');
    const after = await next('the View policy in team-a, seen by the full sweep', full + INTERVAL_S + 5);
    t.diagnostic(`access policy associated, list unreadable: seen after ${after} s (--refresh-interval ${INTERVAL_S}, --full-refresh-interval ${full})`);
    assert.deepEqual((await offered(session))['pods_list'], ['team-a']);
    const rounds = session.stderr().split('\n').filter((l) => l.includes('"msg":"permissions refreshed"')).map((l) => JSON.parse(l) as { tier: string; requests: Record<string, number> });
    assert.ok(rounds.some((r) => r.tier === 'signals' && !r.requests['selfsubjectaccessreviews']), 'between sweeps, no access review');
    assert.ok(rounds.some((r) => r.tier === 'full' && (r.requests['selfsubjectaccessreviews'] ?? 0) > 20), 'the sweep asks them all');
  } finally {
    await session.close();
    try { disassociate('eks-mcp-live-blind', 'AmazonEKSViewPolicy'); } catch { /* already gone */ }
  }
});
