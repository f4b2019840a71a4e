// The broad-grant guard's other layer: rights of the connection's IAM role that undo every RBAC check (it could
// rewrite its own Kubernetes identity or rights, or its own IAM policies), each with a severity and the reason, in one
// table as src/rbac/broad-grants.ts has for RBAC. Classified from the role's policies as read (src/aws/iam-reader.ts)
// with IAM's semantics (src/aws/iam-policy.ts). Pure: this module decides, the runtime refuses.
import { describeSource, grantsOf, type Grant, type RolePolicies } from './iam-policy.ts';
import type { Severity } from '../rbac/broad-grants.ts';

/** What a check's resources are built from: the role's ARN and the connection's cluster. */
export interface IamContext {
  partition: string;
  account: string;
  region: string;
  clusterName: string;
}

/**
 * A name no policy can write: a resource whose name is this is "one the policy does not name", so only a wildcard
 * that covers any name grants it (the reading of IAM Access Analyzer's "PassRole with star in resource").
 */
const UNNAMED = '\u{E000}'.repeat(72);

interface IamCheck {
  action: string;
  /** A pattern: `*` is any value (a grant on one of them counts); UNNAMED is a name the policy must not have to name. */
  resource: (c: IamContext) => string;
}

export interface IamGrantRule {
  id: string;
  severity: Severity;
  title: string;
  reason: string;
  checks: readonly IamCheck[];
}

const on = (resource: IamCheck['resource'], actions: readonly string[]): IamCheck[] => actions.map((action) => ({ action, resource }));
const cluster = (c: IamContext) => `arn:${c.partition}:eks:${c.region}:${c.account}:cluster/${c.clusterName}`;
const accessEntries = (c: IamContext) => `arn:${c.partition}:eks:${c.region}:${c.account}:access-entry/${c.clusterName}/*`;
const accountRoles = (c: IamContext) => `arn:${c.partition}:iam::${c.account}:role/*`;
const accountPolicies = (c: IamContext) => `arn:${c.partition}:iam::${c.account}:policy/*`;
const anyRole = (c: IamContext) => `arn:${c.partition}:iam::*:role/${UNNAMED}`;

export const IAM_GRANTS: readonly IamGrantRule[] = [
  {
    id: 'iam-all-actions',
    severity: 'critical',
    title: 'every action (Action "*")',
    reason: 'the role may call any AWS API on any resource: rewrite its own policies and its EKS access entry, read every secret. '
      + 'Whoever holds its credentials (an hour at a time, in this server\'s memory) holds the account.',
    checks: [{ action: `${UNNAMED}:${UNNAMED}`, resource: (c) => `arn:${c.partition}:${UNNAMED}:${UNNAMED}:${UNNAMED}:${UNNAMED}` }],
  },
  {
    id: 'iam-eks-access',
    severity: 'critical',
    title: 'EKS access management on the cluster',
    reason: 'the role may create or change access entries and associate access policies (AmazonEKSClusterAdminPolicy included) '
      + 'or change the cluster\'s authentication mode: cluster-admin in two API calls, whatever the RBAC role says.',
    checks: [...on(cluster, ['eks:CreateAccessEntry', 'eks:UpdateClusterConfig']), ...on(accessEntries, ['eks:AssociateAccessPolicy', 'eks:UpdateAccessEntry'])],
  },
  {
    id: 'iam-writes',
    severity: 'critical',
    title: 'IAM writes on roles and their policies',
    reason: 'the role may rewrite a role\'s permissions, trust policy or permissions boundary (its own among them), or publish a new '
      + 'version of a managed policy: it grants itself whatever it lacks, on AWS and through EKS on the cluster.',
    checks: [
      ...on(accountRoles, ['iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:DeleteRolePolicy', 'iam:DetachRolePolicy',
        'iam:PutRolePermissionsBoundary', 'iam:DeleteRolePermissionsBoundary']),
      ...on(accountPolicies, ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion']),
    ],
  },
  {
    id: 'iam-pass-role',
    severity: 'critical',
    title: 'iam:PassRole on any role',
    reason: 'the role may hand any role (an administrator\'s included) to a service it starts, and act through that service with the '
      + 'passed role\'s rights. Name the roles it may pass instead of a wildcard.',
    checks: on(anyRole, ['iam:PassRole']),
  },
  {
    id: 'iam-assume-any-role',
    severity: 'high',
    title: 'sts:AssumeRole on any role',
    reason: 'a chain to other roles: every role whose trust policy admits this one (or its account) becomes reachable, with that role\'s '
      + 'own EKS access entry and IAM rights. Name the roles it may assume instead.',
    checks: on(anyRole, ['sts:AssumeRole']),
  },
  {
    id: 'iam-secret-reads',
    severity: 'high',
    title: 'read any secret (Secrets Manager, SSM parameters, KMS decrypt)',
    reason: 'every secret value, SecureString parameter and KMS-encrypted blob the account holds: other systems\' credentials, '
      + 'kubeconfigs, tokens. Name the secrets, parameters and keys instead of a wildcard.',
    checks: [
      ...on((c) => `arn:${c.partition}:secretsmanager:*:*:secret:${UNNAMED}`, ['secretsmanager:GetSecretValue']),
      ...on((c) => `arn:${c.partition}:ssm:*:*:parameter/${UNNAMED}`, ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory']),
      ...on((c) => `arn:${c.partition}:kms:*:*:key/${UNNAMED}`, ['kms:Decrypt']),
    ],
  },
];

/** One granted action of a finding, and the statements that grant it. */
export interface IamCause {
  action: string;
  /** The resources asked about, for people (`any role` where the name is UNNAMED). */
  resource: string;
  grants: Grant[];
}

export interface IamFinding {
  id: string;
  severity: Severity;
  title: string;
  reason: string;
  causes: IamCause[];
}

/** One finding per table row with at least one granted action. Pure. */
export function classifyIamGrants(role: RolePolicies, context: IamContext): IamFinding[] {
  return IAM_GRANTS.flatMap((rule) => {
    const causes = rule.checks.flatMap((check) => {
      const resource = check.resource(context);
      const grants = grantsOf(role, { action: check.action, resource });
      return grants.length ? [{ action: check.action, resource, grants }] : [];
    });
    return causes.length ? [{ id: rule.id, severity: rule.severity, title: rule.title, reason: rule.reason, causes }] : [];
  });
}

/** UNNAMED read back: `any action on any resource`, `arn:aws:iam::*:role/<any>`. */
const readable = (action: string, resource: string) => (action.startsWith(UNNAMED)
  ? ['any action', 'any resource'] : [action, resource.replaceAll(UNNAMED, '<any>')]);

/** The statements that grant a cause: `inline policy x (statement S, Resource *), let through by the boundary's statement B`. */
function describeGrants(grants: readonly Grant[]): string {
  return grants.map((g) => `${describeSource(g.statement.source)} (statement ${g.statement.label}, `
    + `${g.statement.resources.not ? 'NotResource' : 'Resource'} ${g.statement.resources.text.join(', ')})`
    + `${g.boundary ? `, let through by the boundary's statement ${g.boundary.label}` : ''}`
    + `${g.conditionKeys.length ? `, under conditions on ${g.conditionKeys.join(', ')}` : ''}`).join('; ');
}

/**
 * One line per resource and granting statements, the actions they share together:
 * `iam:PutRolePolicy, iam:AttachRolePolicy on arn:aws:iam::1:role/*: allowed by managed policy arn:… (statement #1, Resource *)`.
 */
export function describeIamCauses(causes: readonly IamCause[]): string[] {
  const lines = new Map<string, string[]>();
  for (const cause of causes) {
    const [action, resource] = readable(cause.action, cause.resource);
    const key = `on ${resource}: allowed by ${describeGrants(cause.grants)}`;
    lines.set(key, [...lines.get(key) ?? [], action!]);
  }
  return [...lines].map(([rest, actions]) => `${actions.join(', ')} ${rest}`);
}

/** Lines for people and logs, in the RBAC guard's form: `[critical] title (id): reason` and one line per cause. */
export function describeIamFindings(findings: readonly IamFinding[]): string {
  return findings.map((f) => `[${f.severity}] ${f.title} (${f.id}): ${f.reason}\n${describeIamCauses(f.causes).map((c) => `    granted: ${c}`).join('\n')}`).join('\n');
}

/** What a log line carries: ids and causes, compact. */
export function iamFindingsForLog(findings: readonly IamFinding[]): Array<{ id: string; severity: Severity; causes: string[] }> {
  return findings.map((f) => ({ id: f.id, severity: f.severity, causes: describeIamCauses(f.causes) }));
}

/** The context of a role ARN (`arn:aws:iam::123456789012:role/x`) and the connection's cluster. */
export function iamContext(roleArn: string, region: string, clusterName: string): IamContext {
  const [, partition = 'aws', , , account = ''] = roleArn.split(':');
  return { partition, account, region, clusterName };
}
