// Discovery from its signals (the rules reviews and the EKS access-policy list, read from the local control plane's
// EKS endpoint) decides every question as the API server's own access reviews would, for every fixture identity; and
// it sends an access review only where the signals cannot answer. The stand-in for the API server that the unit tests
// run discovery against (fixture-rbac.ts) gives the same permission set for every fixture identity.
import { describe, test } from 'node:test';
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
import { adminGet, kubectl } from './cluster/cluster.ts';
import {
  CONTROL_PLANE_FILE, FIXTURE_IDENTITIES, accessPolicyRead, fixtureConnection, fixtureReferences, type ControlPlaneDefaults, type RbacObject,
} from './fixture-rbac.ts';
import { checkGolden, compactJson } from './golden.ts';
import type { AccessPolicyRead } from '../src/aws/access-policies.ts';

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

// --- the stand-in for the API server, against the real one -------------------------------------------------

const AGGREGATED_DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

interface DiscoveryDocument {
  items: Array<{ metadata: { name: string }; versions: Array<{ version: string; resources: Array<{
    resource: string; responseKind?: { kind?: string }; scope?: string; verbs?: string[]; shortNames?: string[];
  }> }> }>;
}

/** Aggregated discovery with what discovery reads of it, in the order served. */
async function servedDocument(path: '/api' | '/apis'): Promise<DiscoveryDocument> {
  const { body } = await adminGet(cluster, path, AGGREGATED_DISCOVERY) as { body: DiscoveryDocument };
  return { items: body.items.map((g) => ({ metadata: { name: g.metadata.name }, versions: g.versions.map((v) => ({ version: v.version,
    resources: v.resources.map((r) => ({ resource: r.resource, responseKind: { kind: r.responseKind?.kind }, scope: r.scope, verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}) })) })) })) };
}

/** The control plane's own RBAC that the fixture identities meet: the ClusterRoles their bindings name, and those bound to their groups. */
function builtInRbac(): RbacObject[] {
  const { groups, clusterRoles } = fixtureReferences();
  const items = (kind: string) => (JSON.parse(kubectl(cluster, ['get', kind, '-o', 'json'])) as { items: Array<RbacObject & { roleRef: { kind: 'ClusterRole' } }> }).items;
  const bindings = items('clusterrolebindings').filter((b) => b.subjects?.some((s) => s.kind === 'Group' && groups.has(s.name)));
  const named = new Set([...clusterRoles, ...bindings.map((b) => b.roleRef.name)]);
  const byName = (a: RbacObject, b: RbacObject) => (a.metadata.name < b.metadata.name ? -1 : 1);
  return [
    ...items('clusterroles').filter((r) => named.has(r.metadata.name)).sort(byName)
      .map((r): RbacObject => ({ kind: 'ClusterRole', metadata: { name: r.metadata.name }, rules: r.rules ?? [] })),
    ...bindings.sort(byName).map((b): RbacObject => ({ kind: 'ClusterRoleBinding', metadata: { name: b.metadata.name },
      roleRef: { kind: b.roleRef.kind, name: b.roleRef.name }, subjects: b.subjects!.map(({ kind, name }) => ({ kind, name })) })),
  ];
}

const REWRITE_CONTROL_PLANE = 'UPDATE_GOLDEN=1 npm test -- test/discovery.test.ts (and then the goldens: UPDATE_GOLDEN=1 npm run test:unit)';

describe('the stand-in for the API server decides as the local control plane does', () => {
  test('its copy of what the control plane has of its own: the built-in roles the fixtures meet, the kinds it serves', async () => {
    // A new Kubernetes version changes it: then the goldens of tools/list are rewritten after it.
    const read: ControlPlaneDefaults = { rbac: builtInRbac(), discovery: { api: await servedDocument('/api'), apis: await servedDocument('/apis') } };
    checkGolden(CONTROL_PLANE_FILE, `${compactJson(read)}\n`, REWRITE_CONTROL_PLANE);
  });

  for (const [name, identity] of Object.entries(FIXTURE_IDENTITIES)) {
    test(`${name}: the same signals, decisions and served kinds`, async () => {
      const real = await discoveryAs(identity.role, identity.binding);
      const stand = new Discovery(fixtureConnection(identity).connection, SCOPE, catalogue);
      try {
        const [found, modelled] = await Promise.all([real.discovery.discover(), stand.discover()]);
        assert.deepEqual(JSON.parse(modelled.permissions.fingerprint()), JSON.parse(found.permissions.fingerprint()));
        assert.deepEqual(modelled.served.resources, found.served.resources);
        // EKS's list, but for the words of a refusal.
        const listed = (read: AccessPolicyRead) => ({ ...read, reason: undefined });
        assert.deepEqual(listed(await real.connection.eks!.accessPolicies!.read()), listed(accessPolicyRead(identity)));
      } finally {
        real.connection.eks?.accessPolicies?.destroy();
      }
    });
  }
});
