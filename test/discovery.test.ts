// Discovery from its signals (the rules reviews and the EKS access-policy list, read from the local control plane's
// EKS endpoint) decides every question as the API server's own access reviews would, for every fixture identity; and
// it sends an access review only where the signals cannot answer.
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config.ts';
import { connect, type Connection } from '../src/connection.ts';
import { accessReview } from '../src/rbac/discovery.ts';
import { describePermission, type Permission } from '../src/rbac/permission.ts';
import { Discovery, type AccessPolicyState } from '../src/server/discovery.ts';
import { catalogue } from '../tools/index.ts';
import { clusterKindQuestions } from '../src/policy/offer.ts';
import { cliPath, eksArgs, hostEnv, useCluster } from './helpers.ts';

const cluster = await useCluster();
Object.assign(process.env, hostEnv(cluster)); // the connections made in this process: the host's keys, STS and EKS at moto

const SCOPE = ['team-a', 'team-b'];

/** Each shape of grant the fixtures hold, and where its access policies stand. */
const IDENTITIES: Array<{ role: string; binding: string; policies: AccessPolicyState['kind'] }> = [
  ...['pods-reader', 'operator', 'named', 'wildcard', 'cluster-viewer', 'editor', 'cm-applier', 'job-deleter', 'widget-admin', 'metrics-reader']
    .map((binding) => ({ role: 'eks-mcp-agent', binding, policies: 'read' as const })),
  { role: 'eks-mcp-viewer', binding: 'auditor', policies: 'read' }, // AmazonEKSViewPolicy in team-a
  { role: 'eks-mcp-cluster-admin', binding: 'ops-admin', policies: 'read' }, // AmazonEKSClusterAdminPolicy, cluster scope
  { role: 'eks-mcp-legacy', binding: 'legacy-bot', policies: 'read' }, // aws-auth: no access entry
  { role: 'eks-mcp-viewer-blind', binding: 'auditor', policies: 'unreadable' }, // AmazonEKSViewPolicy in team-a, which it may not read
];

async function discoveryAs(role: string, binding: string): Promise<{ discovery: Discovery; connection: Connection }> {
  const config = loadConfig({
    clusterName: cluster.clusterName, region: cluster.region, roleArn: cluster.sts.roles[role]!, bindingRole: binding,
    endpoint: cluster.endpoint, caFile: cluster.caFile, namespaces: SCOPE.join(','),
  }, {});
  const connection = await connect(config);
  return { discovery: new Discovery(connection, SCOPE, catalogue), connection };
}

for (const { role, binding, policies } of IDENTITIES) {
  test(`${binding} (${role}): every decision is the API server's own answer`, async () => {
    const { discovery, connection } = await discoveryAs(role, binding);
    const { permissions, served } = await discovery.discover();
    assert.equal(discovery.accessPolicies.kind, policies, JSON.stringify(discovery.accessPolicies));
    const questions: Array<[Permission, string | undefined]> = [
      ...[...discovery.permissions, ...clusterKindQuestions(catalogue, permissions.reviews, served)]
        .flatMap((p): Array<[Permission, string | undefined]> => (p.scope === 'cluster' ? [[p, undefined]] : SCOPE.map((ns) => [p, ns]))),
      ...discovery.elsewhere.map((q): [Permission, string] => [q.permission, q.namespace]),
    ];
    const answers = await Promise.all(questions.map(([p, ns]) => accessReview(connection.kube, p, ns)));
    const wrong = questions.filter(([p, ns], i) => (permissions.decision(p, ns).kind === 'all') !== answers[i])
      .map(([p, ns], i) => `${describePermission(p)} ${ns ?? 'cluster-wide'}: decided ${JSON.stringify(permissions.decision(p, ns))}, the server says ${answers[i]}`);
    assert.deepEqual(wrong, []);
    if (policies === 'read') {
      const asked = questions.filter(([p, ns]) => permissions.decision(p, ns).source === 'access-review');
      assert.deepEqual(asked.filter(([p, ns]) => p.scope === 'namespaced' && ns !== undefined), [],
        'with the access policies read, only cluster-wide questions the rules leave open are asked');
      assert.ok((permissions.requests['selfsubjectaccessreviews'] ?? 0) <= asked.length);
    } else {
      assert.match(JSON.stringify(discovery.accessPolicies), /AccessDeniedException/);
      assert.ok((permissions.requests['selfsubjectaccessreviews'] ?? 0) > 20, 'without them, access reviews decide');
    }
    connection.eks?.accessPolicies?.destroy();
  });
}

test('the access policies read are the associations the authorizer grants from', async () => {
  const viewer = (await discoveryAs('eks-mcp-viewer', 'auditor')).connection;
  const legacy = (await discoveryAs('eks-mcp-legacy', 'legacy-bot')).connection;
  const admin = (await discoveryAs('eks-mcp-cluster-admin', 'ops-admin')).connection;
  try {
    assert.deepEqual(await viewer.eks!.accessPolicies!.read(), { kind: 'read', associations: [
      { policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy', scope: { type: 'namespace', namespaces: ['team-a'] } },
    ] });
    assert.deepEqual(await legacy.eks!.accessPolicies!.read(), { kind: 'read', associations: [], noAccessEntry: true });
    assert.deepEqual(await admin.eks!.accessPolicies!.read(), { kind: 'read', associations: [
      { policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy', scope: { type: 'cluster' } },
    ] });
  } finally {
    for (const c of [viewer, legacy, admin]) c.eks?.accessPolicies?.destroy();
  }
});

test('doctor: where the access policies stand, what one discovery and one refresh cost, what decided; without them, what to grant', () => {
  const doctor = (role: string, binding: string) => execFileSync(process.execPath, [cliPath, 'doctor', ...eksArgs(cluster, role, binding)],
    { env: hostEnv(cluster), stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const read = doctor('eks-mcp-viewer', 'auditor');
  assert.match(read, /^access {6}EKS access policies read from EKS \(eks:ListAssociatedAccessPolicies\): 1 associated$/m);
  assert.match(read, /^discovery {3}\d+ API requests \([^)]*2 × apidiscovery[^)]*3 × selfsubjectrulesreviews[^)]*\) and 1 EKS call; decided by the rules \d+, the access-policy list \d+, access reviews \d+,/m);
  assert.match(read, /^refresh {5}every 30 s \(±10%\): \d+ API requests \(.*\) and 1 EKS call while nothing changed; every decision again only when one of them changed$/m);
  assert.doesNotMatch(/^refresh .*$/m.exec(read)![0], /apidiscovery/, 'the served kinds are not read again while the rules name only served groups');
  const blind = doctor('eks-mcp-viewer-blind', 'auditor');
  assert.match(blind, /^access {6}EKS access policies not read \(eks:ListAssociatedAccessPolicies failed: AccessDeniedException: /m);
  assert.match(blind, /after a 403 \(at most one per 10 s\), and every 600 s \(--full-refresh-interval\)$/m);
  const grant = /Grant the role: (\{.*\})$/m.exec(blind)?.[1];
  assert.deepEqual(JSON.parse(grant!), { Effect: 'Allow', Action: 'eks:ListAssociatedAccessPolicies',
    Resource: `arn:aws:eks:${cluster.region}:*:access-entry/${cluster.clusterName}/role/${cluster.sts.accountId}/eks-mcp-viewer-blind/*` });
});
