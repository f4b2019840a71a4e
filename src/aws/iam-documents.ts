// The IAM policies this server asks for, in one place: what `rbac` prints, what the guard's refusal and warnings
// print, and what manifests/aws holds. Each passes the guard's checks (test/unit/iam-grants.test.ts).

/** The partition an ARN lives in (aws, aws-cn, aws-us-gov, ...): the cluster's ARN is in the same one as the role's. */
export function partitionOf(arn: string): string {
  return arn.split(':')[1] || 'aws';
}

const document = (statements: object[]) => ({ Version: '2012-10-17', Statement: statements });

/**
 * The agent role's permission policy: DescribeCluster on its cluster (unneeded with --endpoint and --ca-file), and the
 * read of its own access entry's EKS access policies (accessPolicyReadStatement).
 */
export function agentPermissionPolicy(roleArn: string, region: string, clusterName: string): object {
  return document([
    { Effect: 'Allow', Action: 'eks:DescribeCluster', Resource: `arn:${partitionOf(roleArn)}:eks:${region}:*:cluster/${clusterName}` },
    accessPolicyReadStatement(roleArn, region, clusterName),
  ]);
}

/**
 * ListAssociatedAccessPolicies on the role's own access entry (and no other's): discovery reads its EKS access policies
 * instead of asking an access review per permission.
 */
export function accessPolicyReadStatement(roleArn: string, region: string, clusterName: string): object {
  const [account, name] = [roleArn.split(':')[4] || '*', roleArn.split('/').pop() || '*'];
  return {
    Effect: 'Allow', Action: 'eks:ListAssociatedAccessPolicies',
    Resource: `arn:${partitionOf(roleArn)}:eks:${region}:*:access-entry/${clusterName}/role/${account}/${name}/*`,
  };
}

/** The agent role's trust policy: the host may assume it under the binding role's session name only. */
export function agentTrustPolicy(trustedPrincipal: string, bindingRole: string): object {
  return document([{
    Effect: 'Allow', Principal: { AWS: trustedPrincipal }, Action: 'sts:AssumeRole',
    Condition: { StringEquals: { 'sts:RoleSessionName': bindingRole } },
  }]);
}

/** The IAM reads the guard makes with the host's credentials. */
export const IAM_READS = ['iam:GetRole', 'iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:GetPolicy', 'iam:GetPolicyVersion'] as const;

/**
 * The agent host's read-only policy for the guard: the agent role and the managed policies it may have attached (the
 * account's own and AWS's). Reads only: nothing in it changes a role or reaches a secret.
 */
export function hostReadPolicy(roleArn: string): object {
  const partition = partitionOf(roleArn);
  const account = roleArn.split(':')[4] || '111122223333';
  return document([
    { Sid: 'ReadTheAgentRole', Effect: 'Allow', Action: IAM_READS.slice(0, 4), Resource: roleArn },
    { Sid: 'ReadItsManagedPolicies', Effect: 'Allow', Action: IAM_READS.slice(4), Resource: [`arn:${partition}:iam::${account}:policy/*`, `arn:${partition}:iam::aws:policy/*`] },
  ]);
}
