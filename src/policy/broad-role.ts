// What the server does about the broad-grant guard's findings (src/rbac/broad-grants.ts): refuse to start,
// or withdraw the tools at a re-discovery, unless the operator accepted the role with a reason. Pure.
import { describeFindings, type Finding } from '../rbac/broad-grants.ts';
import { EXIT } from '../exit-codes.ts';

/** While a broad grant is not accepted, only these stay offered: they reach no object and change nothing. */
export const KEPT_WHEN_WITHDRAWN: ReadonlySet<string> = new Set(['whoami', 'can_i']);


export class BroadRoleRefused extends Error {
  readonly exitCode = EXIT.broadRole;
  constructor(readonly findings: readonly Finding[], message: string) {
    super(message);
    this.name = 'BroadRoleRefused';
  }
}

/** Whether the tools must be withdrawn: findings that no --accept-broad-role covers. */
export function withdrawn(findings: readonly Finding[], acceptedBecause: string | undefined): boolean {
  return findings.length > 0 && acceptedBecause === undefined;
}

/** The refusal at start: each finding with the right that caused it, then the narrow RBAC for the tools in use. */
export function refusalMessage(findings: readonly Finding[], rbacCommand: string, narrowRbac: string): string {
  return [
    `refusing to start: this connection's RBAC role is broader than an agent should hold (${findings.length} finding${findings.length === 1 ? '' : 's'}):`,
    describeFindings(findings),
    '',
    `Narrow the role to what the tools in use need (printed by: ${rbacCommand}):`,
    narrowRbac.trimEnd(),
    '(On EKS a grant may also come from an access policy associated with the role\'s access entry: narrow that too.)',
    '',
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
