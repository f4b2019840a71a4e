// What the server does about the broad-grant guard's findings (src/rbac/broad-grants.ts): refuse to start,
// or withdraw the tools at a re-discovery, unless the operator accepted the role with a reason. Pure.
import { describeFindings, type Finding } from '../rbac/broad-grants.ts';
import { describeIamFindings, type IamFinding } from '../aws/iam-grants.ts';
import { EXIT } from '../exit-codes.ts';

/** While a broad grant is not accepted, only these stay offered: they reach no object and change nothing. */
export const KEPT_WHEN_WITHDRAWN: ReadonlySet<string> = new Set(['whoami', 'can_i']);


export class BroadRoleRefused extends Error {
  readonly exitCode = EXIT.broadRole;
  constructor(readonly findings: readonly Finding[], message: string, readonly iamFindings: readonly IamFinding[] = []) {
    super(message);
    this.name = 'BroadRoleRefused';
  }
}

/** Whether the tools must be withdrawn (or the start refused): findings of either layer that no --accept-broad-role covers. */
export function withdrawn(findings: readonly unknown[], acceptedBecause: string | undefined): boolean {
  return findings.length > 0 && acceptedBecause === undefined;
}

/** The IAM layer of a refusal: the role, its findings, and the one policy the server needs instead. */
export interface IamRefusal {
  roleArn: string;
  findings: readonly IamFinding[];
  narrowPolicy: string;
}

const count = (n: number) => `${n} finding${n === 1 ? '' : 's'}`;

/**
 * The refusal at start, one for both layers: each finding with the right that caused it, then what would replace it:
 * the narrow RBAC for the tools in use, the narrow IAM policy for the server's own calls.
 */
export function refusalMessage(findings: readonly Finding[], rbacCommand: string, narrowRbac: string, iam?: IamRefusal): string {
  const iamFindings = iam?.findings ?? [];
  const what = !iamFindings.length ? `this connection's RBAC role is broader than an agent should hold (${count(findings.length)})`
    : !findings.length ? `this connection's IAM role is broader than an agent should hold (${count(iamFindings.length)})`
      : `this connection's RBAC role and IAM role are broader than an agent should hold (RBAC: ${count(findings.length)}; IAM: ${count(iamFindings.length)})`;
  const rbac = findings.length ? [
    describeFindings(findings),
    '',
    `Narrow the role to what the tools in use need (printed by: ${rbacCommand}):`,
    narrowRbac.trimEnd(),
    '(On EKS a grant may also come from an access policy associated with the role\'s access entry: narrow that too.)',
    '',
  ] : [];
  const iamLines = iam && iamFindings.length ? [
    `IAM role ${iam.roleArn}: its credentials live in this server's memory, and these rights undo every RBAC check:`,
    describeIamFindings(iamFindings),
    '',
    'Give the role only what the server calls (EKS DescribeCluster, and none at all with --endpoint and --ca-file), or cut the rights above',
    'with a Deny or a permissions boundary:',
    iam.narrowPolicy.trimEnd(),
    '',
  ] : [];
  return [
    `refusing to start: ${what}:`,
    ...rbac,
    ...iamLines,
    'If this role is really meant for an agent, start with --accept-broad-role "<reason>" (or EKS_MCP_ACCEPT_BROAD_ROLE):',
    'the reason and these findings are then logged as a warning at start and at every change.',
  ].join('\n');
}

/** What a call to a withdrawn tool is told. */
export function withdrawnMessage(tool: string, findings: readonly Finding[]): string {
  return `${tool} is withdrawn: the connection's RBAC role gained broad grants while the server ran `
    + `(${findings.map((f) => `${f.title}: ${f.causes.length} right${f.causes.length === 1 ? '' : 's'}`).join('; ')}). No request was sent. `
    + 'An operator must narrow the role (the tools come back at the next re-discovery) or restart the server with --accept-broad-role "<reason>".';
}
