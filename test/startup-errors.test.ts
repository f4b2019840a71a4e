// On the real control plane: each way the start can fail gets one line on stderr that says what
// to change, no stack trace at the default log level, and its own documented exit code (src/startup.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../src/exit-codes.ts';
import { cliPath, eksArgs, hostEnv, useCluster } from './helpers.ts';

const cluster = await useCluster();
const home = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-nohome-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** serve over stdio (stdin closed): it either fails to start or would wait for a client. */
function serve(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [cliPath, 'serve', ...args], { env, input: '', encoding: 'utf8', timeout: 60_000 });
}

function withFlag(args: string[], flag: string, value: string): string[] {
  const copy = [...args];
  copy[copy.indexOf(flag) + 1] = value;
  return copy;
}

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr:\n${stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /\n\s+at |"stack"/, 'no stack trace at the default log level');
}

const agent = eksArgs(cluster, 'eks-mcp-agent', 'pods-reader');

test('no AWS credentials at all: says how to provide them, not that the identity "lapsed"', () => {
  const env = {
    PATH: process.env['PATH'] ?? '', HOME: home, AWS_ENDPOINT_URL_STS: cluster.sts.url, AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
  };
  const run = serve(agent, env);
  assert.equal(run.status, EXIT.noCredentials, run.stderr);
  assertOneLine(run.stderr, /^eks-rbac-mcp: no AWS credentials found: .*AWS_ACCESS_KEY_ID.*AWS_PROFILE/);
  assert.doesNotMatch(run.stderr, /lapsed|retrying/);
});

test('AssumeRole refused: says what the trust policy must allow', () => {
  const run = serve(eksArgs(cluster, 'eks-mcp-untrusted', 'pods-reader'), hostEnv(cluster));
  assert.equal(run.status, EXIT.assumeRoleRefused, run.stderr);
  assertOneLine(run.stderr, /AssumeRole arn:aws:iam::123456789012:role\/eks-mcp-untrusted as session "pods-reader" failed: AccessDenied: .*; the role's trust policy must allow/);
});

test('a cluster name the token is not for: 401, and what to check', () => {
  const run = serve(withFlag(agent, '--cluster-name', 'some-other-cluster'), hostEnv(cluster));
  assert.equal(run.status, EXIT.unauthorized, run.stderr);
  assertOneLine(run.stderr, /did not accept this connection's token \(401 Unauthorized\): check the cluster name some-other-cluster/);
});

test('an endpoint that cannot be reached', () => {
  const run = serve(withFlag(agent, '--endpoint', 'https://127.0.0.1:1'), hostEnv(cluster));
  assert.equal(run.status, EXIT.unreachable, run.stderr);
  assertOneLine(run.stderr, /cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:1.*ECONNREFUSED.*check --endpoint/);
});

test('a CA that does not verify the API server', () => {
  const run = serve(withFlag(agent, '--ca-file', '/etc/ssl/certs/ca-certificates.crt'), hostEnv(cluster));
  assert.equal(run.status, EXIT.caMismatch, run.stderr);
  assertOneLine(run.stderr, /the configured CA does not verify the API server at https:\/\/127\.0\.0\.1:\d+ .*--ca-file or --ca-data/);
});

test('a namespace that does not exist, when the role may get namespaces', () => {
  const run = serve(eksArgs(cluster, 'eks-mcp-agent', 'cluster-viewer', 'team-a,no-such-team'), hostEnv(cluster));
  assert.equal(run.status, EXIT.namespaceMissing, run.stderr);
  assertOneLine(run.stderr, /namespace no-such-team does not exist in the cluster: fix --namespaces/);
});
