// The IAM layer of the broad-grant guard on its own (src/aws/iam-grants.ts): one finding per table row that the role's
// policies grant, with IAM's semantics, and the policies this project prints and ships pass it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyIamGrants, describeIamFindings, iamContext, iamFindingsForLog, IAM_GRANTS } from '../../src/aws/iam-grants.ts';
import { parsePolicy, type RolePolicies } from '../../src/aws/iam-policy.ts';
import { checkTrust } from '../../src/aws/iam-trust.ts';
import { agentPermissionPolicy, agentTrustPolicy, hostReadPolicy, IAM_READS } from '../../src/aws/iam-documents.ts';
import { renderRbac } from '../../src/rbac/role.ts';

const ROLE = 'arn:aws:iam::111122223333:role/eks-rbac-mcp-agent';
const context = iamContext(ROLE, 'us-east-1', 'prod');
const doc = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const role = (...statements: object[]): RolePolicies => ({ identity: parsePolicy({ kind: 'inline', name: 'p' }, doc(statements)) });
const ids = (r: RolePolicies) => classifyIamGrants(r, context).map((f) => f.id);
const allow = (Action: string | string[], Resource: string | string[] = '*') => ({ Effect: 'Allow', Action, Resource });

test('the context comes from the role ARN (partition, account) and the connection (region, cluster)', () => {
  assert.deepEqual(iamContext('arn:aws-cn:iam::123456789012:role/path/x', 'cn-north-1', 'c'), { partition: 'aws-cn', account: '123456789012', region: 'cn-north-1', clusterName: 'c' });
});

test('each row of the table, granted alone, is its own finding', () => {
  const cases: Array<[string, object[]]> = [
    ['iam-all-actions', [allow('*'), { Effect: 'Deny', Action: ['eks:*', 'iam:*', 'sts:*', 'secretsmanager:*', 'ssm:*', 'kms:*'], Resource: '*' }]],
    ['iam-eks-access', [allow('eks:AssociateAccessPolicy', 'arn:aws:eks:us-east-1:111122223333:access-entry/prod/*')]],
    ['iam-eks-access', [allow('eks:CreateAccessEntry', 'arn:aws:eks:*:*:cluster/prod')]],
    ['iam-eks-access', [allow('eks:UpdateClusterConfig', 'arn:aws:eks:us-east-1:111122223333:cluster/prod')]],
    ['iam-writes', [allow('iam:PutRolePolicy', ROLE)]],
    ['iam-writes', [allow('iam:UpdateAssumeRolePolicy', 'arn:aws:iam::111122223333:role/other')]],
    ['iam-writes', [allow('iam:CreatePolicyVersion', 'arn:aws:iam::111122223333:policy/agent')]],
    ['iam-writes', [allow('iam:DeleteRolePermissionsBoundary', ROLE)]],
    ['iam-pass-role', [allow('iam:PassRole', 'arn:aws:iam::111122223333:role/*')]],
    ['iam-assume-any-role', [allow('sts:AssumeRole')]],
    ['iam-assume-any-role', [allow('sts:AssumeRole', 'arn:aws:iam::444455556666:role/*')]],
    ['iam-secret-reads', [allow('secretsmanager:GetSecretValue')]],
    ['iam-secret-reads', [allow('ssm:GetParameter*', 'arn:aws:ssm:*:*:parameter/*')]],
    ['iam-secret-reads', [allow('kms:Decrypt', 'arn:aws:kms:us-east-1:111122223333:key/*')]],
  ];
  for (const [id, statements] of cases) assert.deepEqual(ids(role(...statements)), [id], JSON.stringify(statements));
  assert.deepEqual(ids(role(allow('*'))), IAM_GRANTS.map((r) => r.id), 'Action "*" on "*" trips every row');
  assert.deepEqual(IAM_GRANTS.map((r) => r.severity), ['critical', 'critical', 'critical', 'critical', 'high', 'high']);
});

test('narrow grants are not findings: named roles, secrets and keys, another cluster, reads', () => {
  const narrow = role(
    allow('eks:DescribeCluster', 'arn:aws:eks:us-east-1:*:cluster/prod'),
    allow(['eks:*'], 'arn:aws:eks:us-east-1:111122223333:cluster/dev'),
    allow('eks:AssociateAccessPolicy', 'arn:aws:eks:us-east-1:111122223333:access-entry/dev/*'),
    allow('eks:CreateAccessEntry', 'arn:aws:eks:eu-west-1:111122223333:cluster/prod'),
    allow('iam:PassRole', 'arn:aws:iam::111122223333:role/lambda-exporter'),
    allow('sts:AssumeRole', ['arn:aws:iam::111122223333:role/reader', 'arn:aws:iam::444455556666:role/audit-*']),
    allow('secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:us-east-1:111122223333:secret:agent/*'),
    allow('kms:Decrypt', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    allow(['iam:Get*', 'iam:List*']),
    allow('*', 'arn:aws:s3:::agent-scratch/*'),
  );
  assert.deepEqual(ids(narrow), []);
});

test('what cuts a broad statement: a Deny of the actions, or a permissions boundary; NotAction in an Allow is every other action', () => {
  const eksButAccess = role(allow('eks:*'), { Effect: 'Deny', Action: ['eks:AssociateAccessPolicy', 'eks:CreateAccessEntry', 'eks:UpdateAccessEntry', 'eks:UpdateClusterConfig'], Resource: '*' });
  assert.deepEqual(ids(eksButAccess), []);
  const admin = parsePolicy({ kind: 'managed', name: 'arn:aws:iam::aws:policy/AdministratorAccess' }, doc([allow('*')]));
  const bounded = parsePolicy({ kind: 'boundary', name: 'arn:aws:iam::111122223333:policy/b' }, doc([allow(['eks:Describe*', 'eks:List*'])]));
  assert.deepEqual(ids({ identity: admin, boundary: bounded }), []);
  const allButIam = role({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' });
  assert.deepEqual(ids(allButIam), ['iam-all-actions', 'iam-eks-access', 'iam-assume-any-role', 'iam-secret-reads'], 'Access Analyzer: Allow with NotAction');
});

test('the findings read as the RBAC guard\'s: severity, title, id, reason, and per resource the actions and the statements granting them', () => {
  const statements = [{ Sid: 'Access', ...allow(['eks:CreateAccessEntry', 'eks:UpdateClusterConfig', 'iam:PassRole'], '*'), Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }];
  const findings = classifyIamGrants(role(...statements), context);
  assert.equal(describeIamFindings(findings), [
    `[critical] EKS access management on the cluster (iam-eks-access): ${IAM_GRANTS[1]!.reason}`,
    '    granted: eks:CreateAccessEntry, eks:UpdateClusterConfig on arn:aws:eks:us-east-1:111122223333:cluster/prod: allowed by inline policy p (statement Access, Resource *), under conditions on aws:SourceIp',
    `[critical] iam:PassRole on any role (iam-pass-role): ${IAM_GRANTS[3]!.reason}`,
    '    granted: iam:PassRole on arn:aws:iam::*:role/<any>: allowed by inline policy p (statement Access, Resource *), under conditions on aws:SourceIp',
  ].join('\n'));
  assert.deepEqual(iamFindingsForLog(findings).map((f) => [f.id, f.severity, f.causes.length]), [['iam-eks-access', 'critical', 1], ['iam-pass-role', 'critical', 1]]);
  const boundedAll = classifyIamGrants({
    identity: parsePolicy({ kind: 'inline', name: 'p' }, doc([allow('*')])),
    boundary: parsePolicy({ kind: 'boundary', name: 'b' }, doc([{ Sid: 'Kms', ...allow('kms:*') }])),
  }, context);
  assert.match(describeIamFindings(boundedAll), /kms:Decrypt on arn:aws:kms:\*:\*:key\/<any>: allowed by inline policy p \(statement #1, Resource \*\), let through by the boundary's statement Kms/);
});

test('the policies `rbac` prints and manifests/aws ships pass: no finding, the trust policy pinned, the host\'s policy only reads', () => {
  const parse = (name: string, policy: object) => parsePolicy({ kind: 'inline', name }, JSON.stringify(policy));
  assert.deepEqual(ids({ identity: parse('permission', agentPermissionPolicy(ROLE, 'us-east-1', 'prod')) }), []);
  assert.deepEqual(checkTrust(JSON.stringify(agentTrustPolicy('arn:aws:iam::111122223333:role/agent-host', 'pods-reader')), 'pods-reader'), { kind: 'pinned' });
  const host = parse('host', hostReadPolicy(ROLE));
  assert.deepEqual(classifyIamGrants({ identity: host }, context), []);
  assert.deepEqual(host.flatMap((s) => s.actions.patterns.length), [4, 2]);
  assert.deepEqual(hostReadPolicy(ROLE), {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadTheAgentRole', Effect: 'Allow', Action: IAM_READS.slice(0, 4), Resource: ROLE },
      { Sid: 'ReadItsManagedPolicies', Effect: 'Allow', Action: ['iam:GetPolicy', 'iam:GetPolicyVersion'], Resource: ['arn:aws:iam::111122223333:policy/*', 'arn:aws:iam::aws:policy/*'] },
    ],
  });
  const aws = join(import.meta.dirname, '..', '..', 'manifests', 'aws');
  const shipped = (file: string) => readFileSync(join(aws, file), 'utf8');
  assert.deepEqual(ids({ identity: parsePolicy({ kind: 'inline', name: 'permission' }, shipped('iam-permission-policy.json')) }), []);
  assert.deepEqual(checkTrust(shipped('iam-trust-policy.json'), 'pods-reader'), { kind: 'pinned' });
  assert.deepEqual(JSON.parse(shipped('host-iam-read-policy.json')), hostReadPolicy(ROLE), 'the shipped host policy is the one `rbac` prints');
  const yaml = renderRbac({ tools: [], namespaces: ['team-a'], user: 'eks-agent:pods-reader', name: 'x', roleArn: ROLE, bindingRole: 'pods-reader',
    clusterName: 'prod', region: 'us-east-1', trustedPrincipal: 'arn:aws:iam::111122223333:role/agent-host' });
  assert.ok(yaml.includes(`#   ${JSON.stringify(hostReadPolicy(ROLE))}`), yaml);
});
