// RBAC rule matching exactly as the API server's authorizer does it (k8s.io/kubernetes
// pkg/apis/rbac/v1 evaluation helpers), applied to the rules a SelfSubjectRulesReview returns.
import type { ServedKinds, ServedResource } from '../kube/api-resources.ts';

export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

export interface RequestAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** The object's name; requests on a collection (list, create, deletecollection) have none. */
  name?: string;
}

const ALL = '*';

export function verbMatches(rule: ResourceRule, verb: string): boolean {
  return rule.verbs.some((v) => v === ALL || v === verb);
}

export function apiGroupMatches(rule: ResourceRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === ALL || g === group);
}

export function resourceMatches(rule: ResourceRule, resource: string, subresource?: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((r) => {
    if (r === ALL || r === combined) return true;
    // `*/scale` grants the scale subresource of every resource; it never grants the resource itself.
    return !!subresource && r === `*/${subresource}`;
  });
}

export function resourceNameMatches(rule: ResourceRule, name?: string): boolean {
  const names = rule.resourceNames ?? [];
  if (names.length === 0) return true;
  return name !== undefined && name !== '' && names.includes(name);
}

export function ruleAllows(rule: ResourceRule, request: RequestAttributes): boolean {
  return verbMatches(rule, request.verb)
    && apiGroupMatches(rule, request.group)
    && resourceMatches(rule, request.resource, request.subresource)
    && resourceNameMatches(rule, request.name);
}

/**
 * What the rules grant for a request that may or may not name an object:
 * `all` — any name (and collections); `names` — only those objects; `none`.
 */
export type Grant = { kind: 'all' } | { kind: 'names'; names: string[] } | { kind: 'none' };

/**
 * Requests on a collection carry no object name, so a rule limited by resourceNames never grants them.
 * (A create on a subresource, such as pods/exec, names its pod.)
 */
const COLLECTION_VERBS = new Set(['list', 'watch', 'create', 'deletecollection']);

export function grantFromRules(rules: ResourceRule[], request: Omit<RequestAttributes, 'name'>): Grant {
  const names = new Set<string>();
  const collection = COLLECTION_VERBS.has(request.verb) && !request.subresource;
  for (const rule of rules) {
    if (!verbMatches(rule, request.verb) || !apiGroupMatches(rule, request.group)
      || !resourceMatches(rule, request.resource, request.subresource)) continue;
    const limited = rule.resourceNames ?? [];
    if (limited.length === 0) return { kind: 'all' };
    if (!collection) for (const n of limited) names.add(n);
  }
  return names.size > 0 ? { kind: 'names', names: [...names].sort() } : { kind: 'none' };
}

/** Whether a grant covers a request for this name (undefined: the collection). */
export function grantCovers(grant: Grant, name?: string): boolean {
  if (grant.kind === 'all') return true;
  if (grant.kind === 'none') return false;
  return name !== undefined && grant.names.includes(name);
}

/**
 * Whether `counts` holds for some kind the cluster serves on which a rule grants `verb`, which takes that verb, and which
 * `covered` (group|resource pairs) leaves out: where a generic tool reaches beyond the others. A rule limited by
 * resourceNames counts for a verb on one object (get, patch, delete: the call is then admitted for those names only),
 * never for a collection's. Stops at the first such kind.
 */
export function someKindGrantedBeyond(rules: readonly ResourceRule[], verb: string, covered: ReadonlySet<string>, served: ServedKinds,
  counts: (kind: ServedResource) => boolean): boolean {
  return rules.some((rule) => verbMatches(rule, verb) && ((rule.resourceNames ?? []).length === 0 || !COLLECTION_VERBS.has(verb))
    && served.named(rule).some((kind) => kind.verbs.includes(verb) && !covered.has(`${kind.group}|${kind.resource}`) && counts(kind)));
}
