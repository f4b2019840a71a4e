// The commands besides serve, the kubeconfig mode, and the package as npx runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl } from './cluster/cluster.ts';
import { cliPath, connectServer, eksArgs, hostEnv, readTable, resultText, root, useCluster } from './helpers.ts';
import { goldenTools } from './golden.ts';

const cluster = await useCluster();
const env = hostEnv(cluster);

function cli(args: string[], extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cliPath, ...args], { env: { ...env, ...extraEnv }, encoding: 'utf8' });
}

test('doctor: identity, rules, a ✓/✗ line per tool with the permission it lacks, and the can-i proof', () => {
  const run = cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /identity\s+eks-agent:pods-reader .*iam: arn:aws:sts::123456789012:assumed-role\/eks-mcp-agent\/pods-reader/);
  assert.match(run.stdout, /rules\s+team-a: get,list pods,pods\/log/);
  assert.match(run.stdout, /✓\s+pods_log\s+team-a\n/);
  assert.match(run.stdout, /✗\s+pods_delete\s+needs delete pods\n/);
  assert.match(run.stdout, /✗\s+deployments_scale\s+needs patch deployments\.apps\/scale\n/);
  assert.match(run.stdout, /proof\s+can-i delete pods -n team-a → no; can-i delete pods -n team-b → no/);
  assert.match(run.stdout, /advertised\s+6 of \d+ tools/); // whoami, can_i, pods_list, pods_get, pods_log, resources_describe
});

test('doctor fails with a clear message and exit 6 (unreachable) when the connection cannot be made', () => {
  const args = eksArgs(cluster, 'eks-mcp-agent', 'pods-reader');
  args[args.indexOf('--endpoint') + 1] = 'https://127.0.0.1:1';
  const run = cli(['doctor', ...args]);
  assert.equal(run.status, 6);
  assert.match(run.stderr, /cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:1.*ECONNREFUSED.*is the API server running/);
});

test('configuration errors exit 2 and name the flag and the variable', () => {
  const run = cli(['serve', '--region', 'us-east-1']);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /clusterName is required: set --cluster-name or EKS_MCP_CLUSTER_NAME/);
  assert.match(run.stderr, /namespaces is required: set --namespaces or EKS_MCP_NAMESPACES/);
  assert.equal(run.stdout, '', 'stdout stays clean for the protocol');
  const unknown = cli(['serve', '--bogus']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /Unknown option '--bogus'/);
});

test('kubeconfig mode: kubectl and the server see the same pods, through `token` as the exec plugin', async () => {
  const file = join(cluster.dir, 'token-plugin.kubeconfig');
  const connection = eksArgs(cluster, 'eks-mcp-agent', 'pods-reader');
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'eks',
    clusters: [{ name: 'eks', cluster: { server: cluster.endpoint, 'certificate-authority': cluster.caFile } }],
    contexts: [{ name: 'eks', context: { cluster: 'eks', user: 'agent' } }],
    users: [{ name: 'agent', user: { exec: {
      apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, interactiveMode: 'Never',
      args: [cliPath, 'token', ...connection],
      env: Object.entries(env).map(([name, value]) => ({ name, value })),
    } } }],
  }));
  const theirs = kubectl(cluster, ['get', 'pods', '-n', 'team-a', '-o', 'jsonpath={.items[*].metadata.name}'], { kubeconfig: file }).split(' ').sort();
  const session = await connectServer(['--kubeconfig', file, '--namespaces', 'team-a'], env);
  try {
    const golden = goldenTools('pods-reader');
    const tools = (await session.client.listTools()).tools.map((t) => t.name);
    assert.deepEqual(tools, golden.map((t) => t.name), 'the same role yields the same tools in either mode');
    const result = await session.client.callTool({ name: 'pods_list', arguments: { namespace: 'team-a' } });
    const ours = readTable(resultText(result as { content: Array<{ type: string; text?: string }> })).rows.map((row) => row['NAME']!).sort();
    assert.deepEqual(ours, theirs);
  } finally {
    await session.close();
  }
});

test('token prints an ExecCredential whose token the cluster accepts', () => {
  const run = cli(['token', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')]);
  assert.equal(run.status, 0, run.stderr);
  const credential = JSON.parse(run.stdout) as { kind: string; status: { token: string; expirationTimestamp: string } };
  assert.equal(credential.kind, 'ExecCredential');
  assert.match(credential.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(kubectl(cluster, ['--token', credential.status.token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']), /^eks-agent:pods-reader$/);
});

test('the npm package: its tarball installs with no dependencies and runs as a bin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-pack-'));
  try {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8' })) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const paths = packed[0]!.files.map((f) => f.path);
    assert.ok(paths.includes('dist/cli.js') && paths.includes('mcp.json') && paths.some((p) => p.startsWith('manifests/')));
    assert.ok(!paths.some((p) => p.startsWith('src/') || p.startsWith('test/')), 'only what runs is shipped');
    writeFileSync(join(dir, 'package.json'), '{"name":"consumer","private":true}');
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, packed[0]!.filename)], { cwd: dir, stdio: 'pipe' });
    const help = execFileSync('npx', ['--no-install', 'eks-rbac-mcp', '--help'], { cwd: dir, encoding: 'utf8' });
    assert.match(help, /eks-rbac-mcp — an MCP server whose tools are exactly what the connection's RBAC role allows/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without --endpoint and --ca-file, EKS DescribeCluster (moto, IAM enforced) supplies them', async () => {
  const args = eksArgs(cluster, 'eks-mcp-agent', 'pods-reader');
  for (const flag of ['--endpoint', '--ca-file']) args.splice(args.indexOf(flag), 2);
  const session = await connectServer(args, { ...env, AWS_ENDPOINT_URL_EKS: cluster.sts.url });
  try {
    const golden = goldenTools('pods-reader');
    assert.deepEqual((await session.client.listTools()).tools.map((t) => t.name), golden.map((t) => t.name));
    assert.match(session.stderr(), new RegExp(`"endpoint":"${cluster.endpoint}"`), 'connected to the endpoint DescribeCluster gave');
  } finally {
    await session.close();
  }
  const denied = cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader').filter((a, i, all) => !['--endpoint', '--ca-file'].includes(a) && !['--endpoint', '--ca-file'].includes(all[i - 1]!)),
    '--cluster-name', 'no-such-cluster'], { AWS_ENDPOINT_URL_EKS: cluster.sts.url });
  assert.equal(denied.status, 5, denied.stderr);
  assert.match(denied.stderr, /there is no EKS cluster no-such-cluster in us-east-1: check --cluster-name and --region/);
});

test('doctor warns when the role may exec into the namespace the server runs in (POD_NAMESPACE)', () => {
  const wildcard = cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'wildcard')], { POD_NAMESPACE: 'team-a' });
  assert.equal(wildcard.status, 0, wildcard.stderr);
  assert.match(wildcard.stdout, /WARNING\s+the role may exec into pods in team-a, the namespace this server runs in/);
  const reader = cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')], { POD_NAMESPACE: 'team-a' });
  assert.equal(reader.status, 0, reader.stderr);
  assert.doesNotMatch(reader.stdout, /may exec/);
});

test('doctor --http says when an OAuth issuer is trusted without --oauth-scopes', () => {
  const oauth = ['--http', '--oauth-issuer', 'https://issuer.example.com', '--resource-url', 'https://mcp.example.com/mcp'];
  const unscoped = cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), ...oauth]);
  assert.equal(unscoped.status, 0, unscoped.stderr);
  assert.match(unscoped.stdout, /WARNING\s+--oauth-scopes is not set/);
  const scoped = cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), ...oauth, '--oauth-scopes', 'mcp']);
  assert.doesNotMatch(scoped.stdout, /--oauth-scopes is not set/);
  assert.equal(cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader'), '--oauth-scopes', 'mcp']).status, 2, 'an HTTP option without --http is a usage error');
});
