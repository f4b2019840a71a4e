// The broad-grant guard's IAM layer on the real control plane: moto holds the fixture roles' policies, boundaries and
// trust policies (test/cluster/fixtures/iam.json) and enforces IAM for the host, whose read-only policy covers them.
// Each role goes through the built server's real start, `doctor`, and the exit code.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl } from './cluster/cluster.ts';
import { cliPath, eksArgs, hostEnv, root, runCli, useCluster, type CliRun } from './helpers.ts';
import { IAM_GRANTS } from '../src/aws/iam-grants.ts';
import { hostReadPolicy } from '../src/aws/iam-documents.ts';
import { checkTrust } from '../src/aws/iam-trust.ts';

const cluster = await useCluster();
const env = hostEnv(cluster);

type Run = CliRun;

const serve = (role: string, binding = 'pods-reader', extra: string[] = [], runEnv = env) => runCli(['serve', ...eksArgs(cluster, role, binding, 'team-a'), ...extra], runEnv);
const doctor = (role: string, binding = 'pods-reader', runEnv = env) => runCli(['doctor', ...eksArgs(cluster, role, binding, 'team-a')], runEnv);

/** The JSON log line whose field `key` is `value`, parsed. */
function logLine(run: Run, key: string, value: string): Record<string, unknown> | undefined {
  const line = run.stderr.split('\n').find((l) => l.startsWith('{') && (JSON.parse(l) as Record<string, unknown>)[key] === value);
  return line ? JSON.parse(line) as Record<string, unknown> : undefined;
}

const ids = (findings: unknown) => (findings as Array<{ id: string }>).map((f) => f.id);

describe('the IAM layer at start', () => {
  test('a role that may associate EKS access policies is refused (exit 9), with the statement that grants it and the narrow policy', async () => {
    const run = await serve('eks-mcp-access-manager');
    assert.equal(run.status, 9, run.stderr);
    const refused = logLine(run, 'guard', 'refused');
    assert.deepEqual([ids(refused?.['findings']), ids(refused?.['iamFindings'])], [[], ['iam-eks-access']], 'the RBAC role is narrow; the IAM role is not');
    assert.match(run.stderr, /eks-rbac-mcp: refusing to start: this connection's IAM role is broader than an agent should hold \(1 finding\):\n/);
    assert.match(run.stderr, /granted: eks:AssociateAccessPolicy on arn:aws:eks:us-east-1:123456789012:access-entry\/local-eks\/\*: allowed by inline policy manage-access-entries \(statement AssociateAccessPolicies,/);
    assert.match(run.stderr, /"Action": "eks:DescribeCluster",\n\s+"Resource": "arn:aws:eks:us-east-1:\*:cluster\/local-eks"/, 'the one policy the server needs');
    assert.equal(run.stdout, '', 'stdout stays clean for the protocol');
  });

  test('Action "*" in an attached managed policy trips every row; --accept-broad-role starts it and logs both layers with the reason', async () => {
    const run = await serve('eks-mcp-administrator');
    assert.equal(run.status, 9, run.stderr);
    assert.deepEqual(ids(logLine(run, 'guard', 'refused')?.['iamFindings']), IAM_GRANTS.map((r) => r.id));
    assert.match(run.stderr, /allowed by managed policy arn:aws:iam::123456789012:policy\/everything \(statement #1, Resource \*\)/);
    const accepted = await serve('eks-mcp-administrator', 'pods-reader', ['--accept-broad-role', 'INC-7: IAM cleanup pending']);
    assert.equal(accepted.status, 0, accepted.stderr);
    const warning = logLine(accepted, 'guard', 'accepted');
    assert.equal(warning?.['level'], 40);
    assert.equal(warning?.['acceptedBecause'], 'INC-7: IAM cleanup pending');
    assert.deepEqual([ids(warning?.['findings']), ids(warning?.['iamFindings'])], [[], IAM_GRANTS.map((r) => r.id)]);
    assert.match(accepted.stderr, /"msg":"ready"/);
  });

  test('a broad statement cut by a Deny, or by a permissions boundary, is not refused', async () => {
    const [denied, bounded] = await Promise.all([serve('eks-mcp-eks-but-access'), serve('eks-mcp-bounded')]);
    for (const run of [denied, bounded]) {
      assert.equal(run.status, 0, run.stderr);
      assert.equal(logLine(run, 'msg', 'ready')?.['iamCheck'], 'checked', 'the IAM side was read, not skipped');
      assert.equal(logLine(run, 'guard', 'accepted'), undefined);
    }
    assert.equal(logLine(bounded, 'msg', 'ready')?.['iamRequests'], 8, 'GetRole, two listings, one inline policy, GetPolicy and GetPolicyVersion for the policy and the boundary');
  });

  test('the trust policy: unpinned (the shared agent role) is a warning with the pinned policy; pinned is silent and refuses any other session name', async () => {
    const [open, pinned, otherName] = await Promise.all([serve('eks-mcp-agent'), serve('eks-mcp-pinned'), serve('eks-mcp-pinned', 'operator')]);
    assert.equal(open.status, 0, open.stderr);
    const warning = logLine(open, 'iam', 'trust-unpinned');
    assert.equal(warning?.['level'], 40);
    assert.match(String(warning?.['msg']), /does not pin sts:RoleSessionName to "pods-reader": arn:aws:iam::123456789012:user\/agent-host, .* may assume it as any session name/);
    assert.deepEqual(checkTrust(JSON.stringify(warning?.['pinnedTrustPolicy']), 'pods-reader'), { kind: 'pinned' }, 'the printed policy passes');
    assert.equal(pinned.status, 0, pinned.stderr);
    assert.equal(logLine(pinned, 'iam', 'trust-unpinned'), undefined);
    assert.equal(otherName.status, 4, 'moto evaluates the pin: AssumeRole as "operator" is refused');
    assert.match(otherName.stderr, /AssumeRole arn:aws:iam::123456789012:role\/eks-mcp-pinned as session "operator" failed: AccessDenied/);
  });
});

describe('the IAM layer in doctor', () => {
  test('prints the findings with their severity, what was read, and the trust verdict', async () => {
    const [access, bounded, open, pinned] = await Promise.all([doctor('eks-mcp-access-manager'), doctor('eks-mcp-bounded'), doctor('eks-mcp-agent'), doctor('eks-mcp-pinned')]);
    for (const run of [access, bounded, open, pinned]) assert.equal(run.status, 0, run.stderr);
    assert.match(access.stdout, /\niam {9}1 broad grant of the IAM role arn:aws:iam::123456789012:role\/eks-mcp-access-manager \(read: inline policy manage-access-entries; inline policy describe-cluster; \d+ IAM requests\): `serve` refuses to start/);
    assert.match(access.stdout, /\n {12}\[critical\] EKS access management on the cluster \(iam-eks-access\): /);
    assert.match(bounded.stdout, /\niam {9}no broad grants in the IAM role arn:aws:iam::123456789012:role\/eks-mcp-bounded \(read: .*managed policy arn:aws:iam::123456789012:policy\/administrator-access; permissions boundary arn:aws:iam::123456789012:policy\/eks-read-only-boundary; 8 IAM requests\)/);
    assert.match(open.stdout, /\ntrust {7}WARNING: the role's trust policy does not pin sts:RoleSessionName to "pods-reader": .*\n {12}\{\n/);
    assert.match(open.stdout, / {12}\s+"sts:RoleSessionName": "pods-reader"/, 'the pinned trust policy follows');
    assert.match(pinned.stdout, /\ntrust {7}the trust policy pins sts:RoleSessionName to "pods-reader"\n/);
    assert.match(open.stdout, /\nguard {7}no broad grants\n/, 'the RBAC layer still has its line');
  });
});

describe('where the host may not read the role', () => {
  test('an agent host running as a pod with only sts:AssumeRole: the start goes on, the log and doctor say "IAM side not checked" and what to grant', async () => {
    kubectl(cluster, ['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: eks-rbac-mcp, namespace: team-a}\n' });
    const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-iam-'));
    try {
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, kubectl(cluster, ['create', 'token', 'eks-rbac-mcp', '-n', 'team-a', '--audience', 'pods.eks.amazonaws.com', '--duration', '10m']).trim(), { mode: 0o600 });
      const podEnv = {
        PATH: process.env['PATH'] ?? '', HOME: dir, AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL_STS: cluster.sts.url, AWS_ENDPOINT_URL_IAM: cluster.sts.url,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: cluster.hosted.podIdentityAgentUrl, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      };
      const [run, report] = await Promise.all([serve('eks-mcp-administrator', 'pods-reader', [], podEnv), doctor('eks-mcp-administrator', 'pods-reader', podEnv)]);
      assert.equal(run.status, 0, `never a guess: a role the host cannot read is not refused\n${run.stderr}`);
      const warning = logLine(run, 'iam', 'not-checked');
      assert.equal(warning?.['level'], 40);
      assert.match(String(warning?.['msg']), /^IAM side not checked: the agent host may not read the role: iam:GetRole: AccessDenied: .*eks-mcp-pod-identity-host.* is not authorized to perform: iam:GetRole/);
      assert.deepEqual(warning?.['grantTheHost'], hostReadPolicy(cluster.sts.roles['eks-mcp-administrator']!));
      assert.equal(logLine(run, 'msg', 'ready')?.['iamCheck'], 'not-checked');
      assert.equal(report.status, 0, report.stderr);
      assert.match(report.stdout, /\niam {9}IAM side not checked: the agent host may not read the role: .*Grant the agent host this read-only policy \(eks-rbac-mcp rbac prints it too\):\n {12}\{\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the read-only policy `rbac` prints allows exactly the reads, on the agent role only (moto\'s own policy evaluator)', async () => {
    const roleArn = cluster.sts.roles['eks-mcp-agent']!;
    const printed = execFileSync(process.execPath, [cliPath, 'rbac', '--tools', 'whoami', '--role-arn', roleArn], { encoding: 'utf8' });
    const policy = printed.split('\n').find((l) => l.includes('"ReadTheAgentRole"'))!.replace(/^#\s+/, '');
    assert.deepEqual(JSON.parse(policy), hostReadPolicy(roleArn));
    const check = `
import json, sys
from moto.iam.access_control import IAMPolicy, PermissionResult
policy, role, other = sys.argv[1:]
def allowed(action, resource):
    return IAMPolicy(policy).is_action_permitted(action, resource) == PermissionResult.PERMITTED
print(json.dumps({
    'reads': [allowed(a, role) for a in ('iam:GetRole', 'iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies')],
    'policies': [allowed(a, 'arn:aws:iam::aws:policy/ReadOnlyAccess') for a in ('iam:GetPolicy', 'iam:GetPolicyVersion')],
    'otherRole': allowed('iam:GetRole', other),
    'writes': [allowed(a, role) for a in ('iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:PassRole')],
}))`;
    const out = JSON.parse(execFileSync('python3', ['-c', check, policy, roleArn, cluster.sts.roles['eks-mcp-viewer']!], { encoding: 'utf8', cwd: root })) as Record<string, unknown>;
    assert.deepEqual(out, { reads: [true, true, true, true], policies: [true, true], otherRole: false, writes: [false, false, false] });
  });
});
