// The fixture identities' authorization, modelled in this process from the files the local control plane is built
// from: the IAM roles, their access entries and aws-auth mappings (fixtures/iam.json), the Roles and bindings
// (fixtures/rbac.yaml), and what the control plane has of its own (fixtures/control-plane.json: the built-in roles
// those bindings meet, and the kinds it serves). It feeds the one stand-in for the API server (authorization-api.ts)
// and stands in for EKS's access-policy list, so that discovery runs unchanged without a control plane.
// test/discovery.test.ts checks, role by role, that the local control plane decides the same.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { ACCESS_POLICY_RULES, AccessPolicyReader, type AccessPolicyRead, type PolicyAssociation } from '../src/aws/access-policies.ts';
import type { Connection } from '../src/connection.ts';
import type { ResourceRule } from '../src/rbac/rules.ts';
import { authorizationApi, type AuthorizationApi, type DiscoveryDocuments, type ResourceAttributes } from './authorization-api.ts';
import { fixturesDir } from './cluster/cluster.ts';

/** An agent identity of the fixtures: the IAM role it assumes and its session name (--role-arn, --binding-role). */
export interface FixtureIdentity {
  role: string;
  binding: string;
  /** The role trips the broad-grant guard: the server runs with --accept-broad-role. */
  broad?: true;
}

/**
 * One per shape of grant the server must read, each named as its golden tools/list is: RBAC through Roles,
 * ClusterRoles and their bindings, a group from aws-auth, and EKS access policies, read from EKS or, where the role
 * may not read them, decided by access reviews.
 */
export const FIXTURE_IDENTITIES: Readonly<Record<string, FixtureIdentity>> = {
  // RBAC users of fixtures/rbac.yaml, each through the agent role with a session name of its own.
  ...Object.fromEntries(['pods-reader', 'operator', 'cluster-viewer', 'editor', 'cm-applier', 'job-deleter', 'widget-admin', 'metrics-reader',
    'node-getter', 'cross-product', 'storage-viewer', 'storage-in-namespace', 'batch-reader', 'any-group-pods', 'scaler', 'unserved-group']
    .map((binding) => [binding, { role: 'eks-mcp-agent', binding }])),
  'resource-names': { role: 'eks-mcp-agent', binding: 'named' },
  wildcard: { role: 'eks-mcp-agent', binding: 'wildcard', broad: true },
  'aws-auth': { role: 'eks-mcp-legacy', binding: 'legacy-bot' },
  'access-policy': { role: 'eks-mcp-viewer', binding: 'auditor' },
  'access-policy-unread': { role: 'eks-mcp-viewer-blind', binding: 'auditor' },
  'cluster-admin-policy': { role: 'eks-mcp-cluster-admin', binding: 'admin', broad: true },
};

/** The namespaces every fixture identity is scoped to (--namespaces). */
export const FIXTURE_NAMESPACES = ['team-a', 'team-b'] as const;

// --- the fixture files ---------------------------------------------------------------------------------

interface IamStatement { Effect: 'Allow' | 'Deny'; Action: string | string[] }
interface IamPolicy { document: { Statement: IamStatement[] } }
interface IamRole { name: string; policies?: IamPolicy[]; managedPolicies?: IamPolicy[]; permissionsBoundary?: IamPolicy }
interface Mapping { username: string; groups?: string[]; accessPolicies?: Array<{ policy: string; scope: { type: 'cluster' } | { type: 'namespace'; namespaces: string[] } }> }
interface IamFixture {
  roles: IamRole[];
  accessEntries: Array<Mapping & { principalArn: string }>;
  awsAuth: { mapRoles: Array<Mapping & { rolearn: string }> };
}

interface Subject { kind: 'User' | 'Group' | 'ServiceAccount'; name: string }
/** The RBAC objects as kubectl applies them, and as the API server returns them. */
export interface RbacObject {
  kind: 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';
  metadata: { name: string; namespace?: string };
  rules?: Array<ResourceRule & { nonResourceURLs?: string[] }>;
  roleRef?: { kind: 'Role' | 'ClusterRole'; name: string };
  subjects?: Subject[];
}

/** What the control plane has of its own that the fixture identities meet: written from a real one by test/discovery.test.ts. */
export interface ControlPlaneDefaults { rbac: RbacObject[]; discovery: DiscoveryDocuments }

export const CONTROL_PLANE_FILE = join(fixturesDir, 'control-plane.json');

const iam = JSON.parse(readFileSync(join(fixturesDir, 'iam.json'), 'utf8')) as IamFixture;
const fixtureRbac = loadAll(readFileSync(join(fixturesDir, 'rbac.yaml'), 'utf8')) as RbacObject[];
const defaults = JSON.parse(readFileSync(CONTROL_PLANE_FILE, 'utf8')) as ControlPlaneDefaults;

/** The ARN of a fixture role, as the local STS names it. */
function roleArn(role: string): string {
  return `arn:aws:iam::123456789012:role/${role}`;
}

// --- who the identity is ---------------------------------------------------------------------------------

/** The access entry or aws-auth mapping of a role: what the authenticator maps it to. */
function mappingOf(role: string): { mapping: Mapping; accessEntry: boolean } {
  const entry = iam.accessEntries.find((e) => e.principalArn === roleArn(role));
  if (entry) return { mapping: entry, accessEntry: true };
  const mapped = iam.awsAuth.mapRoles.find((m) => m.rolearn === roleArn(role));
  if (!mapped) throw new Error(`fixture role ${role} has neither an access entry nor an aws-auth mapping`);
  return { mapping: mapped, accessEntry: false };
}

/** The Kubernetes user the identity is authenticated as: the mapping's template, and every authenticated user's group. */
export function fixtureUser(identity: FixtureIdentity): { username: string; groups: string[] } {
  const { mapping } = mappingOf(identity.role);
  return { username: mapping.username.replace('{{SessionName}}', identity.binding), groups: [...(mapping.groups ?? []), 'system:authenticated'] };
}

// --- RBAC, as the API server's authorizer evaluates it ------------------------------------------------------

const anyOf = (granted: readonly string[] | undefined, asked: string) => (granted ?? []).some((g) => g === '*' || g === asked);

/** A rule's grant of one request (as k8s.io/kubernetes pkg/apis/rbac/v1 evaluates it), written here on its own. */
function ruleGrants(rule: ResourceRule, a: ResourceAttributes): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resourceOk = anyOf(rule.resources, resource) || (a.subresource !== '' && (rule.resources ?? []).includes(`*/${a.subresource}`));
  const nameOk = (rule.resourceNames ?? []).length === 0 || (a.name !== '' && rule.resourceNames!.includes(a.name));
  return anyOf(rule.verbs, a.verb) && anyOf(rule.apiGroups, a.group) && resourceOk && nameOk;
}

/** The user's rules in a namespace ('' : cluster-wide), in the order the API server lists them: ClusterRoleBindings first. */
function rbacRules(user: { username: string; groups: string[] }, namespace: string): ResourceRule[] {
  const objects = [...defaults.rbac, ...fixtureRbac];
  const role = (kind: string, name: string, ns?: string) => objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === ns);
  const bound = (b: RbacObject) => (b.subjects ?? []).some((s) => (s.kind === 'User' && s.name === user.username) || (s.kind === 'Group' && user.groups.includes(s.name)));
  const bindings = [
    ...objects.filter((o) => o.kind === 'ClusterRoleBinding'),
    ...(namespace ? objects.filter((o) => o.kind === 'RoleBinding' && o.metadata.namespace === namespace) : []),
  ].filter(bound);
  return bindings.flatMap((b) => role(b.roleRef!.kind, b.roleRef!.name, b.roleRef!.kind === 'Role' ? b.metadata.namespace : undefined)?.rules ?? [])
    .filter((r) => (r.resources ?? []).length > 0)
    // The API server's own field order (authorization/v1 ResourceRule), so that answers compare as the server's do.
    .map((r) => ({ verbs: r.verbs, ...(r.apiGroups ? { apiGroups: r.apiGroups } : {}), resources: r.resources!, ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) }));
}

// --- EKS access policies, as EKS lists them and its authorizer grants them ---------------------------------

const POLICY_ARN = 'arn:aws:eks::aws:cluster-access-policy/';

function associationsOf(identity: FixtureIdentity): PolicyAssociation[] {
  const { mapping } = mappingOf(identity.role);
  return (mapping.accessPolicies ?? []).map((p) => ({ policyArn: `${POLICY_ARN}${p.policy}`, scope: p.scope }));
}

/** Whether the association grants the request (the table is the authorizer's own: access-policies.test.ts compares them). */
function policyGrants(association: PolicyAssociation, a: ResourceAttributes): boolean {
  const namespace = a.namespace ?? '';
  const inScope = association.scope.type === 'cluster'
    || (namespace !== '' && association.scope.namespaces.some((ns) => (ns.endsWith('*') ? namespace.startsWith(ns.slice(0, -1)) : ns === namespace)));
  const rules = ACCESS_POLICY_RULES.get(association.policyArn.slice(POLICY_ARN.length)) ?? [];
  return inScope && rules.some((rule) => ruleGrants(rule, { ...a, name: '' }));
}

const actionMatches = (pattern: string, action: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

/** IAM's verdict on one action for a role: an Allow in its policies (and its boundary, if any), no Deny. */
function iamAllows(role: IamRole, action: string): boolean {
  const statements = (policies: IamPolicy[]) => policies.flatMap((p) => p.document.Statement);
  const matching = (effect: string, policies: IamPolicy[]) => statements(policies)
    .some((s) => s.Effect === effect && [s.Action].flat().some((a) => actionMatches(a, action)));
  const identity = [...(role.policies ?? []), ...(role.managedPolicies ?? [])];
  const boundary = role.permissionsBoundary ? [role.permissionsBoundary] : undefined;
  return matching('Allow', identity) && (!boundary || matching('Allow', boundary)) && !matching('Deny', [...identity, ...(boundary ?? [])]);
}

/** What ListAssociatedAccessPolicies answers the identity, as EKS (moto) does. */
export function accessPolicyRead(identity: FixtureIdentity): AccessPolicyRead {
  const role = iam.roles.find((r) => r.name === identity.role)!;
  if (!iamAllows(role, 'eks:ListAssociatedAccessPolicies')) {
    return { kind: 'unreadable', denied: true, reason: `eks:ListAssociatedAccessPolicies failed: AccessDeniedException: ${identity.role} may not list access policies` };
  }
  if (!mappingOf(identity.role).accessEntry) return { kind: 'read', associations: [], noAccessEntry: true };
  return { kind: 'read', associations: associationsOf(identity) };
}

/** EKS's list of the identity's access policies, without EKS. */
class FixtureAccessPolicies extends AccessPolicyReader {
  constructor(private readonly identity: FixtureIdentity) {
    super({ clusterName: 'local-eks', region: 'us-east-1', principalArn: roleArn(identity.role) }, () => Promise.reject(new Error('no credentials here')));
  }

  override prepare(): void {}

  override async read(): Promise<AccessPolicyRead> {
    return accessPolicyRead(this.identity);
  }

  override destroy(): void {}
}

// --- the API server and the connection ----------------------------------------------------------------------

/** Whether the local control plane grants the request: RBAC, or the access-policy webhook. */
function fixtureAllows(identity: FixtureIdentity, a: ResourceAttributes): boolean {
  const fromRbac = rbacRules(fixtureUser(identity), a.namespace ?? '').some((rule) => ruleGrants(rule, a));
  return fromRbac || associationsOf(identity).some((association) => policyGrants(association, a));
}

const servedGroups = (docs: DiscoveryDocuments) => new Set((docs.apis as { items: Array<{ metadata: { name: string } }> }).items.map((g) => g.metadata.name));

/** The local control plane as the identity sees it: every rules review incomplete, since it has a webhook authorizer as EKS does. */
function fixtureApi(identity: FixtureIdentity): AuthorizationApi {
  const user = fixtureUser(identity);
  const groups = servedGroups(defaults.discovery);
  return authorizationApi({
    rules: (namespace) => ({ rules: rbacRules(user, namespace), incomplete: true }),
    allowed: (a) => fixtureAllows(identity, a),
    discovery: defaults.discovery,
    group: (name) => (groups.has(name) ? 200 : 404),
  });
}

/** The identity's connection: the stand-in API server, and EKS's access-policy list where the role has --role-arn's reader. */
export function fixtureConnection(identity: FixtureIdentity): { connection: Connection; api: AuthorizationApi } {
  const api = fixtureApi(identity);
  // Discovery reads only the access-policy reader of the EKS side; the token minting behind it is the real client's.
  const eks = { accessPolicies: new FixtureAccessPolicies(identity) } as unknown as Connection['eks'];
  return { connection: { kube: api.client, summary: { mode: 'test' }, eks }, api };
}

/** The server's flags for the identity, by setting name (loadConfig's), as the tests start it. */
export function fixtureFlags(identity: FixtureIdentity): Record<string, string> {
  return {
    clusterName: 'local-eks', region: 'us-east-1', roleArn: roleArn(identity.role), bindingRole: identity.binding,
    namespaces: FIXTURE_NAMESPACES.join(','), ...(identity.broad ? { acceptBroadRole: 'test fixture: broad on purpose' } : {}),
  };
}

// --- the control plane's part ----------------------------------------------------------------------

/** The fixture bindings' subjects' groups and the ClusterRoles they name that rbac.yaml does not define. */
export function fixtureReferences(): { groups: Set<string>; clusterRoles: Set<string> } {
  const defined = new Set(fixtureRbac.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name));
  const named = fixtureRbac.filter((o) => o.roleRef?.kind === 'ClusterRole').map((o) => o.roleRef!.name).filter((n) => !defined.has(n));
  const groups = Object.values(FIXTURE_IDENTITIES).flatMap((identity) => fixtureUser(identity).groups);
  return { groups: new Set(groups), clusterRoles: new Set(named) };
}
