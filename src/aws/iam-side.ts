// The connection's IAM side, checked once at start (and by doctor): the assumed role's policies read with the host's
// credentials and classified (src/aws/iam-grants.ts), its trust policy checked for the session name
// (src/aws/iam-trust.ts). Never fails the start by itself: what cannot be read is reported as not checked, with why.
import { sessionNameOf, type EksConfig } from '../config.ts';
import type { AwsCredentials } from './token.ts';
import { classifyIamGrants, iamContext, type IamFinding } from './iam-grants.ts';
import { parsePolicy, PolicyDocumentError, describeSource } from './iam-policy.ts';
import { checkTrust, type TrustVerdict } from './iam-trust.ts';
import { readRoleIam, type IamRead } from './iam-reader.ts';
import { hostReadPolicy } from './iam-documents.ts';

/** How long the start waits for IAM at most; the reads run beside discovery, which usually takes longer. */
export const IAM_DEADLINE_MS = 5_000;

export type IamSide =
  | {
    kind: 'checked';
    roleArn: string;
    findings: IamFinding[];
    trust: TrustVerdict;
    /** The session name the trust policy was checked for: the binding role. */
    sessionName: string;
    /** What was read, for people: `inline policy x`, `managed policy arn:…`, `permissions boundary arn:…`. */
    read: string[];
    requests: number;
  }
  /** `denied`: IAM refused a read (the host lacks the read-only policy), rather than could not be reached or parsed. */
  | { kind: 'not-checked'; roleArn?: string; denied?: boolean; why: string; requests: number };

export type ReadRole = (input: Parameters<typeof readRoleIam>[0]) => Promise<IamRead>;

/** Classifies what was read. Pure. */
export function judgeIamSide(read: IamRead, config: Pick<EksConfig, 'region' | 'clusterName' | 'bindingRole'> & { roleArn: string }): IamSide {
  const { roleArn } = config;
  if (read.kind === 'unread') {
    const failures = [...new Set(read.failures)];
    const denied = failures.some((f) => /: AccessDenied/.test(f));
    return { kind: 'not-checked', roleArn, denied, why: `${denied ? 'the agent host may not read the role' : 'IAM could not be read'}: ${failures.join('; ')}`, requests: read.requests };
  }
  try {
    const identity = read.role.policies.flatMap((p) => parsePolicy(p.source, p.document));
    const boundary = read.role.boundary ? parsePolicy(read.role.boundary.source, read.role.boundary.document) : undefined;
    const findings = classifyIamGrants({ identity, ...(boundary ? { boundary } : {}) }, iamContext(roleArn, config.region, config.clusterName));
    const sessionName = sessionNameOf(config);
    let trust: TrustVerdict;
    try {
      trust = checkTrust(read.role.trustPolicy, sessionName);
    } catch (error) {
      throw new PolicyDocumentError({ kind: 'trust', name: roleArn }, (error as Error).message);
    }
    const sources = [...read.role.policies.map((p) => p.source), ...(read.role.boundary ? [read.role.boundary.source] : [])];
    return { kind: 'checked', roleArn, findings, trust, sessionName, read: sources.map(describeSource), requests: read.requests };
  } catch (error) {
    if (!(error instanceof PolicyDocumentError)) throw error;
    return { kind: 'not-checked', roleArn, why: error.message, requests: read.requests };
  }
}

/** Reads and judges the assumed role; without --role-arn there is no role of the connection's own to read. */
export async function checkIamSide(config: EksConfig, credentials: () => Promise<AwsCredentials>, signal?: AbortSignal, read: ReadRole = readRoleIam): Promise<IamSide> {
  const { roleArn } = config;
  if (!roleArn) {
    return { kind: 'not-checked', why: 'no --role-arn: the connection uses the host\'s own credentials, and the guard reads an assumed role only', requests: 0 };
  }
  try {
    return judgeIamSide(await read({ roleArn, region: config.region, credentials, deadlineMs: IAM_DEADLINE_MS, ...(signal ? { signal } : {}) }), { ...config, roleArn });
  } catch (error) {
    return { kind: 'not-checked', roleArn, why: `reading the role failed: ${(error as Error).message}`, requests: 0 };
  }
}

/** Why the trust policy is a warning, and what would pin it (printed after this text). */
export function trustWarning(trust: Extract<TrustVerdict, { kind: 'unpinned' }>, bindingRole: string): string {
  const names = trust.sessionNames ? `the session names ${trust.sessionNames.join(', ')}` : 'any session name';
  return `the role's trust policy does not pin sts:RoleSessionName to "${bindingRole}": ${trust.principals.join(', ')} may assume it as ${names}, `
    + 'and the access entry turns the session name into the Kubernetes user, so whoever holds the host\'s credentials can become '
    + `${trust.sessionNames ? 'any of those users' : 'any user that mapping yields'}, with that user's RBAC role. One role serving several binding roles `
    + 'is a legitimate setup, at that cost. The trust policy pinned to this binding role:';
}

/** "IAM side not checked", why, and (when IAM refused a read) the read-only policy the host lacks. */
export function notCheckedAdvice(side: Extract<IamSide, { kind: 'not-checked' }>): { message: string; policy?: object } {
  if (!side.roleArn || !side.denied) return { message: `IAM side not checked: ${side.why}` };
  return {
    message: `IAM side not checked: ${side.why}. Grant the agent host this read-only policy (eks-rbac-mcp rbac prints it too):`,
    policy: hostReadPolicy(side.roleArn),
  };
}
