// Proof that the local control plane is real and EKS-shaped, driven by the machine's own kubectl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubectl, LOG_LINES, startCluster, type ClusterInfo } from './cluster/cluster.ts';
import { mintToken, TOKEN_PREFIX } from '../src/aws/token.ts';
import { useCluster } from './helpers.ts';

const cluster = await useCluster();

function assumeRole(info: ClusterInfo, role: string, session: string) {
  const out = execFileSync('aws', ['sts', 'assume-role', '--role-arn', info.sts.roles[role]!, '--role-session-name', session, '--output', 'json'], {
    env: { PATH: process.env['PATH'], HOME: '/nonexistent', AWS_DEFAULT_REGION: info.region, AWS_ENDPOINT_URL_STS: info.sts.url,
      AWS_ACCESS_KEY_ID: info.sts.hostUser.accessKeyId, AWS_SECRET_ACCESS_KEY: info.sts.hostUser.secretAccessKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
  const c = (JSON.parse(out) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } }).Credentials;
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/** A kubeconfig whose user runs `aws eks get-token` as an exec plugin, exactly as EKS users configure kubectl. */
function execKubeconfig(info: ClusterInfo, credentials: ReturnType<typeof assumeRole>, name: string): string {
  const file = join(info.dir, `${name}.kubeconfig`);
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'eks',
    clusters: [{ name: 'eks', cluster: { server: info.endpoint, 'certificate-authority': info.caFile } }],
    contexts: [{ name: 'eks', context: { cluster: 'eks', user: 'agent' } }],
    users: [{ name: 'agent', user: { exec: {
      apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', interactiveMode: 'Never',
      args: ['eks', 'get-token', '--cluster-name', info.clusterName, '--region', info.region, '--output', 'json'],
      env: [{ name: 'AWS_ACCESS_KEY_ID', value: credentials.accessKeyId }, { name: 'AWS_SECRET_ACCESS_KEY', value: credentials.secretAccessKey },
        { name: 'AWS_SESSION_TOKEN', value: credentials.sessionToken }, { name: 'HOME', value: '/nonexistent' }],
    } } }],
  }));
  return file;
}

function firstPod(label: string): string {
  return kubectl(cluster, ['get', 'pods', '-n', 'team-a', '-l', label, '-o', 'jsonpath={.items[0].metadata.name}']);
}

test('(a) admin: pods on kwok nodes run, logs and exec go through the API server to kwok', () => {
  const pods = kubectl(cluster, ['get', 'pods', '-A', '--no-headers']);
  assert.match(pods, /team-a\s+web-\S+\s+2\/2\s+Running/);
  assert.match(pods, /team-b\s+worker-\S+\s+1\/1\s+Running/);
  const pod = firstPod('app=web');
  const logs = kubectl(cluster, ['logs', '-n', 'team-a', pod, '-c', 'web', '--tail', '2']).trimEnd().split('\n');
  assert.deepEqual(logs, [`INFO request id=${LOG_LINES - 1} path=/api/items status=200`, `WARN request id=${LOG_LINES} path=/api/items status=503`]);
  assert.match(kubectl(cluster, ['logs', '-n', 'team-a', pod, '-c', 'web', '--previous']), /FATAL out of memory/);
  assert.equal(kubectl(cluster, ['exec', '-n', 'team-a', pod, '-c', 'web', '--', 'sh', '-c', 'echo "$POD_SANDBOX"; exit 0']).trim(), 'kwok');
  assert.equal(kubectl(cluster, ['auth', 'can-i', 'delete', 'nodes']).trim(), 'yes');
  assert.match(kubectl(cluster, ['auth', 'can-i', '--list', '-n', 'team-a']), /\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
});

test('(b) an EKS token from `aws eks get-token` for an assumed role maps to the RBAC user of its session', () => {
  const kubeconfig = execKubeconfig(cluster, assumeRole(cluster, 'eks-mcp-agent', 'pods-reader'), 'pods-reader');
  assert.match(kubectl(cluster, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.extra.arn[0]}'], { kubeconfig }),
    /^eks-agent:pods-reader arn:aws:sts::123456789012:assumed-role\/eks-mcp-agent\/pods-reader$/);
  assert.match(kubectl(cluster, ['get', 'pods', '-n', 'team-a'], { kubeconfig }), /web-/);
  assert.match(kubectl(cluster, ['logs', '-n', 'team-a', firstPod('app=api'), '--tail', '1'], { kubeconfig }), /id=1000/);
  assert.throws(() => kubectl(cluster, ['get', 'pods', '-n', 'team-b'], { kubeconfig }), /forbidden/);
  assert.throws(() => kubectl(cluster, ['exec', '-n', 'team-a', firstPod('app=api'), '--', 'true'], { kubeconfig }), /forbidden/);
  assert.throws(() => kubectl(cluster, ['auth', 'can-i', 'delete', 'pods', '-n', 'team-a'], { kubeconfig }), (e: { stdout?: string }) => e.stdout?.trim() === 'no');
  assert.match(kubectl(cluster, ['auth', 'can-i', '--list', '-n', 'team-a'], { kubeconfig }), /pods\/log\s+\[\]\s+\[\]\s+\[get list\]/);
});

test('(b) an access policy alone (no RBAC binding) grants through the authorization webhook, and the rules review says incomplete', () => {
  const kubeconfig = execKubeconfig(cluster, assumeRole(cluster, 'eks-mcp-viewer', 'auditor'), 'viewer');
  assert.match(kubectl(cluster, ['get', 'deployments', '-n', 'team-a'], { kubeconfig }), /web/);
  assert.throws(() => kubectl(cluster, ['get', 'secrets', '-n', 'team-a'], { kubeconfig }), /forbidden/);
  assert.throws(() => kubectl(cluster, ['get', 'pods', '-n', 'team-b'], { kubeconfig }), /forbidden/);
  const review = JSON.parse(kubectl(cluster, ['create', '--validate=false', '-f', '-', '-o', 'json'], {
    kubeconfig, input: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'team-a' } }),
  })) as { status: { incomplete: boolean; resourceRules: Array<{ resources?: string[] }> } };
  assert.equal(review.status.incomplete, true);
  assert.ok(!review.status.resourceRules.some((r) => r.resources?.includes('deployments')), 'the webhook grant is not in the rules');
});

test('(c) tampered, expired and wrong-cluster tokens get 401', async () => {
  const credentials = assumeRole(cluster, 'eks-mcp-agent', 'pods-reader');
  const good = (await mintToken({ credentials, region: cluster.region, clusterName: cluster.clusterName })).token;
  const url = Buffer.from(good.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8');
  const tampered = TOKEN_PREFIX + Buffer.from(url.replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`)).toString('base64url');
  const expired = (await mintToken({ credentials, region: cluster.region, clusterName: cluster.clusterName, now: new Date(Date.now() - 16 * 60_000) })).token;
  const otherCluster = (await mintToken({ credentials, region: cluster.region, clusterName: 'someone-elses-cluster' })).token;
  assert.match(kubectl(cluster, ['--token', good, 'get', 'pods', '-n', 'team-a', '-o', 'name']), /pod\/web-/);
  for (const [name, token] of Object.entries({ tampered, expired, otherCluster })) {
    assert.throws(() => kubectl(cluster, ['--token', token, 'get', 'pods', '-n', 'team-a']), /Unauthorized|provide credentials/, name);
  }
});

test('stopping a control plane leaves no process behind', { timeout: 120_000 }, async () => {
  const second = await startCluster();
  const pids = second.pids();
  assert.equal(pids.length, 6, 'webhook, etcd, kube-apiserver, kube-controller-manager, kwok, metrics-server');
  await second.stop();
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `pid ${pid} survived`);
});
