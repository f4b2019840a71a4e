// Corporate proxies: every outbound connection (STS, EKS DescribeCluster, the API server, the exec WebSocket)
// goes through HTTPS_PROXY/HTTP_PROXY as CONNECT tunnels, unless NO_PROXY names it; a kubeconfig's proxy-url
// wins; a proxy that refuses, or is not there, is named in the error. The proxy is a real one (the `proxy`
// package), and its own log is the proof.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { adminGet, freePort } from './cluster/cluster.ts';
import { ForwardProxy } from './forward-proxy.ts';
import { EXIT } from '../src/exit-codes.ts';
import { cliPath, connectServer, eksArgs, hostEnv, resultText, useCluster } from './helpers.ts';
import { KubeClient } from '../src/kube/client.ts';
import { execInPod } from '../src/kube/exec.ts';

const cluster = await useCluster();
const api = new URL(cluster.endpoint).host; // 127.0.0.1:port
const sts = new URL(cluster.sts.url).host;
const proxy = await ForwardProxy.start();
after(() => proxy.stop());

function proxied(extra: Record<string, string> = {}): Record<string, string> {
  return { ...hostEnv(cluster), HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, ...extra };
}

/** The bundled CLI, run without blocking: the proxy and endpoints it talks to live in this process. */
function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function firstPod(namespace: string, app: string): Promise<string> {
  const { body } = await adminGet(cluster, `/api/v1/namespaces/${namespace}/pods?labelSelector=app%3D${app}`);
  return (body.items as Array<{ metadata: { name: string } }>)[0]!.metadata.name;
}

function assertNothingButTunnels(entries: typeof proxy.log): void {
  for (const entry of entries) {
    assert.equal(entry.method, 'CONNECT', `only tunnels: ${entry.method} ${entry.target}`);
    assert.equal(entry.headers['authorization'], undefined, 'the Authorization header never reaches the proxy');
  }
}

test('STS, EKS DescribeCluster, the API server and exec all go through the proxy, as CONNECT tunnels, loopback included', async () => {
  const from = proxy.log.length;
  const args = [...eksArgs(cluster, 'eks-mcp-agent', 'wildcard', 'team-a'), '--accept-broad-role', 'test fixture: a namespace admin'];
  for (const flag of ['--endpoint', '--ca-file']) args.splice(args.indexOf(flag), 2); // DescribeCluster (moto) gives them
  const session = await connectServer(args, proxied({ AWS_ENDPOINT_URL_EKS: cluster.sts.url }), { elicit: () => ({ action: 'accept', content: { confirm: true } }) });
  try {
    const pods = await session.client.callTool({ name: 'pods_list', arguments: { namespace: 'team-a' } }) as CallToolResult;
    assert.ok(!pods.isError);
    const exec = await session.client.callTool({ name: 'pods_exec', arguments: { namespace: 'team-a', name: await firstPod('team-a', 'api'), command: ['echo', 'via proxy'] } }) as CallToolResult;
    assert.equal(resultText(exec), 'exit code: 0\nstdout:\nvia proxy\n'); // its WebSocket may reuse a kept-alive tunnel
  } finally {
    await session.close();
  }
  const entries = proxy.log.slice(from);
  assertNothingButTunnels(entries);
  const targets = new Set(entries.map((e) => e.target));
  assert.ok(targets.has(sts), `STS and EKS (moto, plain http) were tunnelled: ${[...targets].join(' ')}`);
  assert.ok(targets.has(api), `the API server was tunnelled: ${[...targets].join(' ')}`);
});

test('a bare KubeClient\'s exec WebSocket is tunnelled too: its first and only connection is a CONNECT', async () => {
  const from = proxy.log.length;
  const client = new KubeClient(cluster.endpoint, readFileSync(cluster.caFile), {
    async apply(options) {
      options.headers = { ...(options.headers as Record<string, string>), authorization: `Bearer ${cluster.adminToken}` };
    },
  }, 30_000, undefined, new URL(proxy.url));
  const result = await execInPod(client, { namespace: 'team-a', pod: await firstPod('team-a', 'api'), command: ['echo', 'ws'], timeoutMs: 20_000, maxBytes: 1000 });
  assert.equal(result.stdout, 'ws\n');
  assert.deepEqual(proxy.log.slice(from).map((e) => `${e.method} ${e.target}`), [`CONNECT ${api}`]);
  assertNothingButTunnels(proxy.log.slice(from));
});

test('NO_PROXY naming a destination sends it direct: by host and port, and by CIDR', async () => {
  let from = proxy.log.length;
  const byPort = await cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')], proxied({ NO_PROXY: `example.com,${api}` }));
  assert.equal(byPort.status, 0, byPort.stderr);
  const targets = proxy.log.slice(from).map((e) => e.target);
  assert.ok(targets.includes(sts), 'STS still through the proxy');
  assert.ok(!targets.includes(api), 'the API server, named in NO_PROXY, direct');
  from = proxy.log.length;
  const byCidr = await cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')], proxied({ no_proxy: '10.0.0.0/8, 127.0.0.0/8' }));
  assert.equal(byCidr.status, 0, byCidr.stderr);
  assert.deepEqual(proxy.log.slice(from), [], 'everything on 127.0.0.0/8 went direct');
});

test('a proxy that refuses the tunnel, or is not there, gets an error naming it', async () => {
  const refusing = await ForwardProxy.start({ refuse: true });
  try {
    const refused = await cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')], { ...hostEnv(cluster), HTTPS_PROXY: refusing.url, NO_PROXY: sts });
    assert.equal(refused.status, EXIT.unreachable, 'the API endpoint cannot be reached');
    assert.match(refused.stderr, new RegExp(`cannot reach the Kubernetes API at ${cluster.endpoint}: the proxy ${refusing.url} refused to CONNECT to ${api}: 407 Proxy Authentication Required`));
    assert.ok(refusing.connects().includes(api), 'the proxy saw the CONNECT it refused');
    assertNothingButTunnels(refusing.log);
    const stsRefused = await cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')], { ...hostEnv(cluster), HTTP_PROXY: refusing.url });
    assert.equal(stsRefused.status, 1);
    assert.match(stsRefused.stderr, new RegExp(`AssumeRole .* failed: .*the proxy ${refusing.url} refused to CONNECT to ${sts}: 407`));
  } finally {
    await refusing.stop();
  }
  const nobody = `http://127.0.0.1:${await freePort()}`;
  const absent = await cli(['doctor', ...eksArgs(cluster, 'eks-mcp-agent', 'pods-reader')], { ...hostEnv(cluster), HTTPS_PROXY: nobody, NO_PROXY: sts });
  assert.equal(absent.status, EXIT.unreachable);
  assert.match(absent.stderr, new RegExp(`cannot reach the Kubernetes API at ${cluster.endpoint}: cannot tunnel to ${api} through the proxy ${nobody}: .*ECONNREFUSED`));
});

test('kubeconfig mode: the cluster\'s proxy-url is used for every request, whatever NO_PROXY says', async () => {
  const file = join(cluster.dir, 'proxy-url.kubeconfig');
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'local',
    clusters: [{ name: 'local', cluster: { server: cluster.endpoint, 'certificate-authority': cluster.caFile, 'proxy-url': proxy.url } }],
    contexts: [{ name: 'local', context: { cluster: 'local', user: 'admin' } }],
    users: [{ name: 'admin', user: { token: cluster.adminToken } }],
  }));
  const from = proxy.log.length;
  const session = await connectServer(['--kubeconfig', file, '--namespaces', 'team-a', '--accept-broad-role', 'test fixture: the admin kubeconfig'], { ...hostEnv(cluster), NO_PROXY: '*' });
  try {
    const pods = await session.client.callTool({ name: 'pods_list', arguments: { namespace: 'team-a' } }) as CallToolResult;
    assert.ok(!pods.isError);
  } finally {
    await session.close();
  }
  assert.ok(proxy.log.slice(from).some((e) => e.target === api), 'tunnelled through proxy-url');
  assertNothingButTunnels(proxy.log.slice(from));
});
