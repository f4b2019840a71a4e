// The broad-grant guard's findings: rights that make a connection's RBAC role too broad to hand to an agent,
// each with a severity and the reason, in one table. Classified from the permissions as discovered (rules and
// access reviews, so EKS access policies count); this module only decides, the runtime refuses or withdraws.
import type { Grant } from './rules.ts';
import { resourceName, type Permission } from './permission.ts';

export type Severity = 'critical' | 'high';

/**
 * Where a right is looked for: `cluster` — granted in every namespace at once, or on a cluster-scoped resource
 * (a ClusterRoleBinding, or an EKS access policy with cluster scope); `scope` — in a namespace of the
 * connection's scope; `kube-system` — where the cluster's own controllers live, whether or not it is in scope.
 */
export type Where = 'cluster' | 'scope' | 'kube-system';

export const SYSTEM_NAMESPACE = 'kube-system';

interface Check {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  where: readonly Where[];
}

export interface BroadGrantRule {
  id: string;
  severity: Severity;
  title: string;
  /** Why it is dangerous in an agent's hands: printed with every finding. */
  reason: string;
  checks: readonly Check[];
}

const ALL: readonly Where[] = ['cluster', 'scope', 'kube-system'];
const CLUSTER: readonly Where[] = ['cluster'];
const OUTSIDE_SCOPE: readonly Where[] = ['cluster', 'kube-system'];

/** Each verb on each `resource[.group][/subresource]`, at the same places. */
function checks(verbs: readonly string[], resources: readonly string[], where: readonly Where[]): Check[] {
  return resources.flatMap((spec) => {
    const [kind, subresource] = spec.split('/') as [string, string | undefined];
    const dot = kind.indexOf('.');
    const resource = dot < 0 ? kind : kind.slice(0, dot);
    const group = dot < 0 ? '' : kind.slice(dot + 1);
    return verbs.map((verb) => ({ verb, group, resource, ...(subresource ? { subresource } : {}), where }));
  });
}

/**
 * The findings. A right that stays inside one namespace of the scope and is no stronger than creating pods
 * there (which any workload role has, and which already runs code as that namespace's service accounts) is
 * not a finding: so `edit` or `admin` bound in one namespace pass, while `*` on `*` there does not.
 */
export const BROAD_GRANTS: readonly BroadGrantRule[] = [
  {
    id: 'cluster-admin',
    severity: 'critical',
    title: 'cluster-admin equivalence',
    reason: 'every verb on every resource in every namespace: the agent could do anything, including granting itself more. '
      + 'A "temporary" cluster-admin is the most permanent kind.',
    checks: [{ verb: '*', group: '*', resource: '*', where: CLUSTER }],
  },
  {
    id: 'namespace-wildcard',
    severity: 'high',
    title: 'every verb on every resource of a namespace',
    reason: 'the namespace\'s Secrets, its service accounts\' tokens and its RoleBindings are all the agent\'s: name the verbs and resources the tools need instead.',
    checks: [{ verb: '*', group: '*', resource: '*', where: ['scope', 'kube-system'] }],
  },
  {
    id: 'rbac-escalate',
    severity: 'critical',
    title: 'escalate on roles',
    reason: 'lets the identity write Roles granting rights it does not hold itself: RBAC\'s escalation check no longer binds it.',
    checks: [...checks(['escalate'], ['roles.rbac.authorization.k8s.io'], ALL), ...checks(['escalate'], ['clusterroles.rbac.authorization.k8s.io'], CLUSTER)],
  },
  {
    id: 'rbac-bind',
    severity: 'critical',
    title: 'bind on roles',
    reason: 'lets the identity bind itself (or anyone) to any Role or ClusterRole, cluster-admin included, without holding its rights.',
    checks: checks(['bind'], ['roles.rbac.authorization.k8s.io', 'clusterroles.rbac.authorization.k8s.io'], ALL),
  },
  {
    id: 'impersonate',
    severity: 'critical',
    title: 'impersonation',
    reason: 'lets the identity act as another user, group or service account, with all of their rights.',
    checks: [...checks(['impersonate'], ['users', 'groups'], CLUSTER), ...checks(['impersonate'], ['serviceaccounts'], OUTSIDE_SCOPE)],
  },
  {
    id: 'serviceaccount-token',
    severity: 'high',
    title: 'create service account tokens',
    reason: 'mints tokens for other service accounts (in kube-system, the controllers\'), which carry their rights and outlive this connection.',
    checks: checks(['create'], ['serviceaccounts/token'], OUTSIDE_SCOPE),
  },
  {
    id: 'csr-approval',
    severity: 'critical',
    title: 'approve certificate signing requests',
    reason: 'approving a CSR for the kube-apiserver-client signer mints a client certificate for any user and group, system:masters included.',
    checks: [...checks(['approve'], ['signers.certificates.k8s.io'], CLUSTER), ...checks(['update'], ['certificatesigningrequests.certificates.k8s.io/approval'], CLUSTER)],
  },
  {
    id: 'kube-system-workloads',
    severity: 'high',
    title: 'create or change workloads in kube-system',
    reason: 'pods in kube-system run as the cluster\'s own controllers\' service accounts, and DaemonSets on every node: code there is the cluster\'s identity.',
    checks: [...checks(['create', 'update', 'patch'], ['pods', 'deployments.apps', 'daemonsets.apps'], ['kube-system']), ...checks(['create'], ['pods/exec'], ['kube-system'])],
  },
  {
    id: 'nodes-proxy',
    severity: 'critical',
    title: 'nodes/proxy',
    reason: 'reaches the kubelet API, which runs commands in any pod on the node, past the API server\'s admission and audit.',
    checks: checks(['get', 'create'], ['nodes/proxy'], CLUSTER),
  },
  {
    id: 'cluster-secrets',
    severity: 'high',
    title: 'read Secrets cluster-wide',
    reason: 'every Secret of every namespace: service account tokens, other teams\' and other agents\' credentials.',
    checks: checks(['get', 'list', 'watch'], ['secrets'], CLUSTER),
  },
  {
    id: 'admission-webhooks',
    severity: 'critical',
    title: 'write admission webhook configurations',
    reason: 'a mutating webhook sees and rewrites every object written to the cluster, Secrets included; deleting a validating one switches a policy off.',
    checks: checks(['create', 'update', 'patch', 'delete'],
      ['validatingwebhookconfigurations.admissionregistration.k8s.io', 'mutatingwebhookconfigurations.admissionregistration.k8s.io'], CLUSTER),
  },
];

function permissionAt(check: Check, where: Where): Permission {
  const { verb, group, resource, subresource } = check;
  return { verb, group, resource, ...(subresource ? { subresource } : {}), scope: where === 'cluster' ? 'cluster' : 'namespaced' };
}

/**
 * What discovery must decide for the guard: `permissions` (cluster-wide, or in every namespace of the scope)
 * and `elsewhere` (in kube-system).
 */
export function guardQuestions(table: readonly BroadGrantRule[] = BROAD_GRANTS): {
  permissions: Permission[];
  elsewhere: Array<{ namespace: string; permission: Permission }>;
} {
  const all = table.flatMap((rule) => rule.checks.flatMap((check) => check.where.map((where) => ({ where, permission: permissionAt(check, where) }))));
  return {
    permissions: all.filter((q) => q.where !== 'kube-system').map((q) => q.permission),
    elsewhere: all.filter((q) => q.where === 'kube-system').map((q) => ({ namespace: SYSTEM_NAMESPACE, permission: q.permission })),
  };
}

/** One right that caused a finding, and where it is granted. */
export interface Cause {
  permission: Permission;
  /** Undefined: cluster-wide. */
  namespace?: string;
  /** Set when the grant is limited to these objects (resourceNames). */
  names?: string[];
}

export interface Finding {
  id: string;
  severity: Severity;
  title: string;
  reason: string;
  causes: Cause[];
}

/** Classifies the discovered decisions: one finding per table row with at least one granted right. Pure. */
export function classifyBroadGrants(
  decision: (p: Permission, namespace?: string) => Grant,
  scope: readonly string[],
  table: readonly BroadGrantRule[] = BROAD_GRANTS,
): Finding[] {
  const findings: Finding[] = [];
  for (const rule of table) {
    const causes: Cause[] = [];
    for (const check of rule.checks) {
      for (const where of check.where) {
        const permission = permissionAt(check, where);
        const namespaces = where === 'cluster' ? [undefined] : where === 'scope' ? scope : [SYSTEM_NAMESPACE];
        for (const namespace of namespaces) {
          if (causes.some((c) => c.namespace === namespace && sameRight(c.permission, permission))) continue; // kube-system in scope
          const grant = decision(permission, namespace);
          if (grant.kind === 'none') continue;
          causes.push({ permission, ...(namespace ? { namespace } : {}), ...(grant.kind === 'names' ? { names: grant.names } : {}) });
        }
      }
    }
    if (causes.length) findings.push({ id: rule.id, severity: rule.severity, title: rule.title, reason: rule.reason, causes });
  }
  return findings;
}

function sameRight(a: Permission, b: Permission): boolean {
  return a.verb === b.verb && a.group === b.group && a.resource === b.resource && a.subresource === b.subresource && a.scope === b.scope;
}

/** `"escalate roles.rbac.authorization.k8s.io" in namespace team-a`, `"*" on every resource cluster-wide` */
export function describeCause(cause: Cause): string {
  const p = cause.permission;
  const what = p.group === '*' && p.resource === '*' ? `${p.verb} on every resource of every API group` : `${p.verb} ${resourceName(p)}`;
  const where = cause.namespace ? `in namespace ${cause.namespace}` : 'cluster-wide';
  return `${what} ${where}${cause.names ? ` (only ${cause.names.join(', ')})` : ''}`;
}

/** Lines for people and logs: `[critical] cluster-admin equivalence: <reason>` and one line per cause. */
export function describeFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `[${f.severity}] ${f.title} (${f.id}): ${f.reason}\n${f.causes.map((c) => `    granted: ${describeCause(c)}`).join('\n')}`).join('\n');
}

/** What a log line carries: ids and causes, compact. */
export function findingsForLog(findings: readonly Finding[]): Array<{ id: string; severity: Severity; causes: string[] }> {
  return findings.map((f) => ({ id: f.id, severity: f.severity, causes: f.causes.map(describeCause) }));
}

/** Equal for equal findings: a refresh that finds the same ones changes nothing. */
export function findingsKey(findings: readonly Finding[]): string {
  return JSON.stringify(findingsForLog(findings));
}
