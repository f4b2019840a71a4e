// The minimal RBAC for a chosen set of tools, and the AWS side that maps the IAM role to its user:
// what a platform engineer applies so that the agent sees exactly those tools.
import type { Permission } from './permission.ts';
import { verbsOf, type AnyKindNeeds, type Needs } from './needs.ts';
import { knownScope } from '../kube/built-in-kinds.ts';
import { agentPermissionPolicy, agentTrustPolicy, hostReadPolicy } from '../aws/iam-documents.ts';

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Merges permissions into as few rules as RBAC allows: one rule per (group, verb set). */
export function rulesFor(permissions: readonly Permission[]): Rule[] {
  const verbsByResource = new Map<string, { group: string; resource: string; verbs: Set<string> }>();
  for (const p of permissions) {
    const resource = p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
    const key = `${p.group}|${resource}`;
    const entry = verbsByResource.get(key) ?? { group: p.group, resource, verbs: new Set<string>() };
    entry.verbs.add(p.verb);
    verbsByResource.set(key, entry);
  }
  const rules = new Map<string, Rule>();
  for (const { group, resource, verbs } of verbsByResource.values()) {
    const sorted = [...verbs].sort();
    const key = `${group}|${sorted.join(',')}`;
    const rule = rules.get(key) ?? { apiGroups: [group], resources: [], verbs: sorted };
    rule.resources.push(resource);
    rules.set(key, rule);
  }
  return [...rules.values()]
    .map((r) => ({ ...r, resources: r.resources.sort() }))
    .sort((a, b) => `${a.apiGroups[0]}|${a.resources[0]}`.localeCompare(`${b.apiGroups[0]}|${b.resources[0]}`));
}

/** What RBAC must grant for a named set of calls (a tool): the Role is printed from these. */
export interface Needed {
  name: string;
  needs: Needs;
}

/**
 * A generic tool's verbs on each chosen kind: cluster-wide for a cluster-scoped one (a Role's grant on it grants nothing).
 * A custom resource's scope is its CRD's, unknown here: it is taken as namespaced, and the header says so.
 */
function genericPermissions(needs: AnyKindNeeds, kinds: ReadonlyArray<{ group: string; resource: string }>): Permission[] {
  return kinds.flatMap((k) => verbsOf(needs).map((verb): Permission => ({ group: k.group, resource: k.resource, verb, scope: knownScope(k) ?? 'namespaced' })));
}

/** The permissions a set of needs brings: for a tool of several kinds, the chosen kinds' (all of them when none is chosen). */
function permissionsFor(needs: Needs, kinds: ReadonlyArray<{ group: string; resource: string }>): Permission[] {
  if (needs.form === 'any-kind') return genericPermissions(needs, kinds);
  if (needs.form === 'fixed') return [...needs.permissions];
  const chosen = Object.values(needs.kinds).filter((ps) => !kinds.length || ps.some((p) => kinds.some((k) => k.group === p.group && k.resource === p.resource)));
  return [...needs.permissions, ...chosen.flat()];
}

const q = (s: string) => JSON.stringify(s);
const list = (items: string[]) => `[${items.map(q).join(', ')}]`;

function rulesYaml(rules: Rule[]): string {
  return rules.map((r) => `- apiGroups: ${list(r.apiGroups)}\n  resources: ${list(r.resources)}\n  verbs: ${list(r.verbs)}`).join('\n');
}

export interface RbacRequest {
  tools: readonly Needed[];
  /** The (namespaced) kinds the generic resources_* tools among `tools` may use. */
  kinds?: ReadonlyArray<{ group: string; resource: string }>;
  namespaces: readonly string[];
  /** The Kubernetes user the IAM role's session maps to (the access entry's username). */
  user: string;
  name: string;
  roleArn: string;
  bindingRole: string;
  clusterName: string;
  region: string;
  /** The IAM principal that assumes the role (the agent host). */
  trustedPrincipal: string;
  /** Only the Kubernetes objects: for a connection whose IAM side is already mapped. */
  kubernetesOnly?: boolean;
}

/**
 * The access entry's username with the session name as `{{SessionName}}`: the binding role is the user's last
 * occurrence of it (`eks-agent:agent` → `eks-agent:{{SessionName}}`, never `eks-{{SessionName}}:agent`).
 */
export function usernameTemplate(user: string, bindingRole: string): string {
  const at = user.lastIndexOf(bindingRole);
  return at < 0 ? user : `${user.slice(0, at)}{{SessionName}}${user.slice(at + bindingRole.length)}`;
}

/**
 * Role + RoleBinding per namespace for namespaced permissions, ClusterRole + ClusterRoleBinding only when a
 * tool needs cluster-scoped rights (the self-reviews every authenticated user already holds are left out).
 */
export function renderRbac(req: RbacRequest): string {
  const kinds = req.kinds ?? [];
  const all = req.tools.flatMap((t) => permissionsFor(t.needs, kinds));
  const namespaced = rulesFor(all.filter((p) => p.scope === 'namespaced'));
  const cluster = rulesFor(all.filter((p) => p.scope === 'cluster' && !p.resource.startsWith('self')));
  const generic = kinds.length ? [] : req.tools.filter((t) => t.needs.form === 'any-kind').map((t) => t.name);
  const docs: string[] = [];
  const custom = kinds.filter((k) => !knownScope(k)).map((k) => `${k.resource}.${k.group}`);
  const header = `# Minimal RBAC for tools: ${req.tools.map((t) => t.name).join(', ')}\n# Kubernetes user: ${req.user}`
    + (generic.length ? `\n# ${generic.join(', ')}: name the kinds they may use with --kinds (e.g. configmaps,jobs.batch); each appears once one is granted.` : '')
    + (custom.length ? `\n# ${custom.join(', ')}: taken as namespaced; for a cluster-scoped custom resource (its CRD says), move its rule to a ClusterRole.` : '');
  for (const ns of namespaced.length ? req.namespaces : []) {
    docs.push(`apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: ${req.name}\n  namespace: ${ns}\nrules:\n${rulesYaml(namespaced)}`);
    docs.push(`apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: ${req.name}\n  namespace: ${ns}\n`
      + `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${req.name}}\n`
      + `subjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: User, name: ${q(req.user)}}`);
  }
  if (cluster.length) {
    docs.push(`apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ${req.name}\nrules:\n${rulesYaml(cluster)}`);
    docs.push(`apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ${req.name}\n`
      + `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${req.name}}\n`
      + `subjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: User, name: ${q(req.user)}}`);
  }
  const template = usernameTemplate(req.user, req.bindingRole);
  const awsSide = [
    '# --- AWS side: map the IAM role\'s sessions to that user (one of the two forms) ---',
    '# EKS access entry (authentication mode API or API_AND_CONFIG_MAP):',
    `#   aws eks create-access-entry --cluster-name ${req.clusterName} --region ${req.region} \\`,
    `#     --principal-arn ${req.roleArn} --type STANDARD --username '${template}'`,
    '# aws-auth ConfigMap (kube-system), under data.mapRoles:',
    `#   - rolearn: ${req.roleArn}`,
    `#     username: '${template}'`,
    `# The agent host assumes the role with RoleSessionName=${req.bindingRole} (--binding-role), so the user is ${req.user}.`,
    '# IAM trust policy of the role. The session name is pinned: the mapping above turns whatever RoleSessionName',
    '# the host picks into the Kubernetes user, so without the condition the host could assume the role under any',
    '# binding role (another user, other RBAC rights).',
    ...JSON.stringify(agentTrustPolicy(req.trustedPrincipal, req.bindingRole), null, 2).split('\n').map((l) => `#   ${l}`),
    '# IAM permission policy of the role: eks:ListAssociatedAccessPolicies reads its own EKS access policies, so that',
    '# discovery needs no access review per permission (without it: `eks-rbac-mcp doctor` says what that costs);',
    '# eks:DescribeCluster finds the endpoint and CA (omit it when --endpoint and --ca-file are set):',
    `#   ${JSON.stringify(agentPermissionPolicy(req.roleArn, req.region, req.clusterName))}`,
    '# IAM policy of the agent host, for the broad-grant guard: it reads the role\'s policies, permissions boundary and trust',
    '# policy at start (reads only; without it the start logs "IAM side not checked"):',
    `#   ${JSON.stringify(hostReadPolicy(req.roleArn))}`,
  ].join('\n');
  return `${header}\n${docs.map((d) => `---\n${d}`).join('\n')}\n${req.kubernetesOnly ? '' : `${awsSide}\n`}`;
}
