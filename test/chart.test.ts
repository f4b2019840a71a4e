// The Helm chart, with Helm v4 built from the Go module proxy (test/cluster/build.sh helm): it lints, its values
// schema refuses an install that lacks the connection with a message naming what is missing, every object it renders
// in each shape (tokens or OAuth, IRSA or Pod Identity, with or without HPA, PDB, NetworkPolicy) is accepted by the
// local API server's server-side dry run under Helm's field manager, the Deployment's settings are ones the server
// accepts, and its render with the deploy values is manifests/deploy, byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { kubectl } from './cluster/cluster.ts';
import { root, useCluster } from './helpers.ts';
import { loadConfig, loadHttpConfig } from '../src/config.ts';
import { chartDir, deployDir, deployManifests, helmBinary, renderChart } from '../scripts/manifests.ts';

const cluster = await useCluster();
const helm = helmBinary();
const deployValues = join(chartDir, 'ci', 'deploy-values.yaml');
type K8sObject = { kind: string; metadata: { name: string; namespace?: string }; spec?: any };

/** The shapes a platform team installs, each as --set pairs over the deploy values. */
const SHAPES: Record<string, string[]> = {
  'static tokens, IRSA, HPA, PDB, NetworkPolicy (the defaults)': [],
  'OAuth, Pod Identity, fixed replicas, no PDB or NetworkPolicy, read-only, narrowed tools': [
    'auth.type=oauth', 'auth.oauth.issuer=https://issuer.example.com', 'auth.oauth.resourceUrl=https://mcp.example.com/mcp',
    'auth.oauth.scopes={mcp:tools}', 'aws.identity=podIdentity', 'autoscaling.enabled=false', 'replicas=3',
    'podDisruptionBudget.enabled=false', 'networkPolicy.enabled=false', 'connection.readOnly=true', 'connection.tools={pods_*,whoami}',
    'connection.namespaces={team-a,team-b}', 'extraEnv[0].name=EKS_MCP_LOG_LEVEL', 'extraEnv[0].value=debug',
  ],
};

/** The rendered YAML and its objects. */
function render(set: string[], release = 'eks-rbac-mcp'): { yaml: string; objects: K8sObject[] } {
  const yaml = renderChart(helm, { release, values: [deployValues], set });
  return { yaml, objects: (loadAll(yaml) as Array<K8sObject | null>).filter((o): o is K8sObject => o !== null) };
}

/** Helm's refusal of a render, as the user reads it. */
function refusal(options: Parameters<typeof renderChart>[1]): string {
  try {
    renderChart(helm, options);
  } catch (error) {
    return (error as { stderr: string }).stderr;
  }
  assert.fail(`helm rendered ${JSON.stringify(options)}`);
}

test('helm lint passes with the deploy values', () => {
  const out = execFileSync(helm, ['lint', '--strict', chartDir, '--values', deployValues], { encoding: 'utf8' });
  assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
});

test('an install without the connection fails at once, naming what is missing', () => {
  const bare = refusal({});
  assert.match(bare, /values don't meet the specifications of the schema/);
  assert.match(bare, /at '\/connection': missing properties 'clusterName', 'region', 'namespaces'/);
  assert.match(bare, /at '\/image': missing property 'repository'/);
  assert.match(bare, /at '\/aws': missing property 'irsaRoleArn'/);
  const onlyNamespaces = refusal({ set: ['image.repository=registry.example.com/eks-rbac-mcp', 'connection.clusterName=my-cluster',
    'connection.region=us-east-1', 'aws.irsaRoleArn=arn:aws:iam::111122223333:role/agent-host'] });
  assert.match(onlyNamespaces, /at '\/connection': missing property 'namespaces'/);
  assert.match(refusal({ values: [deployValues], set: ['connection.namespaces={}'] }), /at '\/connection\/namespaces\/0': '' does not match pattern/);
  assert.match(refusal({ values: [deployValues], set: ['extraEnv[0].name=EKS_MCP_REFRESH_INTERVAL', 'extraEnv[0].value=60'] }),
    /at '\/extraEnv\/0\/value': got number, want string/);
  assert.match(refusal({ values: [deployValues], set: ['auth.type=oauth'] }), /at '\/auth\/oauth': missing properties 'issuer', 'resourceUrl'/);
  assert.match(refusal({ values: [deployValues], set: ['connection.bindingRole=team:a'] }), /at '\/connection\/bindingRole': '.*' does not match pattern/);
  assert.match(refusal({ values: [deployValues], namespace: 'team-a' }),
    /connection\.namespaces includes team-a, the namespace this release runs in: install it in a namespace of its own/);
});

test('the values schema and the server agree on what a connection is', () => {
  const cases: Array<[string, string, string]> = [
    ['clusterName', 'my cluster', 'EKS_MCP_CLUSTER_NAME'], ['region', 'us-east', 'AWS_REGION'],
    ['roleArn', 'arn:aws:iam::1:role/x', 'EKS_MCP_ROLE_ARN'], ['bindingRole', 'a', 'EKS_MCP_BINDING_ROLE'],
  ];
  for (const [field, bad, variable] of cases) {
    assert.match(refusal({ values: [deployValues], set: [`connection.${field}=${bad}`] }), new RegExp(`at '/connection/${field}'`), field);
    const env = { EKS_MCP_CLUSTER_NAME: 'my-cluster', AWS_REGION: 'us-east-1', EKS_MCP_NAMESPACES: 'team-a', EKS_MCP_ROLE_ARN: 'arn:aws:iam::111122223333:role/r', [variable]: bad };
    assert.throws(() => loadConfig({}, env), new RegExp(field), `the server refuses ${field}=${bad} too`);
  }
});

for (const [shape, set] of Object.entries(SHAPES)) {
  test(`${shape}: every object passes the API server's server-side dry run, and the server accepts its settings`, () => {
    const { yaml, objects } = render(set, 'agents');
    const out = kubectl(cluster, ['apply', '--server-side', '--field-manager=helm', '--dry-run=server', '-n', 'eks-rbac-mcp', '-f', '-'], { input: yaml });
    for (const o of objects) assert.match(out, new RegExp(`${o.metadata.name} serverside-applied \\(server dry run\\)`), `${o.kind} ${o.metadata.name}`);
    assert.equal(out.trim().split('\n').length, objects.length);

    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    assert.equal(deployment.metadata.name, 'agents-eks-rbac-mcp');
    const container = deployment.spec.template.spec.containers[0];
    const env = Object.fromEntries((container.env as Array<{ name: string; value?: string }>).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    const config = loadConfig({}, env);
    assert.ok(config.namespaces.length > 0 && !config.namespaces.includes('eks-rbac-mcp'));
    const http = loadHttpConfig({ http: 'true', host: '0.0.0.0' }, env);
    assert.ok(http.authTokensFile || (http.oauthIssuer && http.resourceUrl), 'authenticated on every address');
    assert.equal(http.stateless, true);
    const kinds = objects.map((o) => o.kind).sort();
    const account = objects.find((o) => o.kind === 'ServiceAccount') as K8sObject & { metadata: { annotations?: Record<string, string> } };
    if (set.length === 0) {
      assert.deepEqual(kinds, ['Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
      assert.equal(deployment.spec.replicas, undefined, 'the HorizontalPodAutoscaler owns the number of replicas');
      assert.match(account.metadata.annotations?.['eks.amazonaws.com/role-arn'] ?? '', /:role\/agent-host$/);
    } else {
      assert.deepEqual(kinds, ['Deployment', 'Service', 'ServiceAccount']);
      assert.equal(deployment.spec.replicas, 3);
      assert.equal(account.metadata.annotations, undefined, 'Pod Identity: no IRSA annotation');
      assert.deepEqual([config.readOnly, config.tools, http.oauthScopes], [true, ['pods_*', 'whoami'], ['mcp:tools']]);
      assert.equal(config.logLevel, 'debug');
      assert.deepEqual(config.namespaces, ['team-a', 'team-b']);
      assert.ok(!(container.volumeMounts as Array<{ name: string }>).some((m) => m.name === 'tokens'), 'no tokens Secret with OAuth');
    }
  });
}

test('manifests/deploy is the chart\'s render with the deploy values (run `npm run manifests` after changing the chart)', () => {
  const expected = deployManifests(helm);
  assert.deepEqual(readdirSync(deployDir).sort(), [...expected.keys()].sort());
  for (const [name, text] of expected) assert.equal(readFileSync(join(deployDir, name), 'utf8'), text, `manifests/deploy/${name} differs from the chart's render`);
  assert.match(readFileSync(join(root, 'manifests', 'deploy', 'deployment.yaml'), 'utf8'), /^# Generated by `npm run manifests`/);
});
