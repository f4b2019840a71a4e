// Asks the cluster what the connection's identity may do, and answers every permission question from that.
// This is the one place where permissions are decided: advertising a tool and admitting a call both ask here.
import type { ServedKinds, ServedResource } from '../kube/api-resources.ts';
import type { KubeClient } from '../kube/client.ts';
import { KubeApiError } from '../kube/errors.ts';
import { type Permission, permissionKey } from './permission.ts';
import { type Grant, type ResourceRule, grantCovers, grantFromRules, someKindGrantedBeyond, verbMatches } from './rules.ts';

export interface NamespaceReview {
  namespace: string;
  rules: ResourceRule[];
  /** True when an authorizer other than RBAC (a webhook, as EKS access policies are) may grant more. */
  incomplete: boolean;
}

/**
 * `access-review`: the server was asked (SelfSubjectAccessReview), whatever it answered. `not-served`: the API
 * group is not served (no extension API server behind it), so no grant makes the permission usable. `implied`:
 * refused without asking, because a refusal the server gave covers it (see refusalImplies).
 */
export type Decision = Grant & { source: 'rules' | 'access-review' | 'not-served' | 'implied' };

/**
 * Groups served by an extension API server (an APIService), which a cluster may lack or have unavailable:
 * discovery asks whether each is served before deciding its permissions.
 */
export const EXTENSION_GROUPS: ReadonlyMap<string, string> = new Map([['metrics.k8s.io', 'metrics-server']]);

/** Whether the API server serves a group now: 200 from its discovery document (404: none; 503: unavailable). */
export async function groupServed(client: KubeClient, group: string): Promise<boolean> {
  try {
    await client.json({ path: `/apis/${group}` });
    return true;
  } catch (error) {
    if (error instanceof KubeApiError && (error.status === 404 || error.status === 503)) return false;
    throw error;
  }
}

interface RulesReviewStatus {
  resourceRules?: ResourceRule[];
  incomplete?: boolean;
  evaluationError?: string;
}

export async function reviewNamespace(client: KubeClient, namespace: string): Promise<NamespaceReview> {
  const review = await client.json<{ status?: RulesReviewStatus }>({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
    idempotent: true,
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
  });
  return { namespace, rules: review.status?.resourceRules ?? [], incomplete: review.status?.incomplete ?? false };
}

export async function accessReview(client: KubeClient, p: Permission, namespace?: string, name?: string): Promise<boolean> {
  const review = await client.json<{ status?: { allowed?: boolean } }>({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    idempotent: true,
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          verb: p.verb, group: p.group, resource: p.resource, subresource: p.subresource ?? '',
          namespace: p.scope === 'namespaced' ? namespace : '', name: name ?? '',
        },
      },
    },
  });
  return review.status?.allowed === true;
}

/** The connection's permissions, as discovered at one moment. */
export class PermissionSet {
  private readonly lazy = new Map<string, Promise<Decision>>();

  constructor(
    private readonly client: KubeClient,
    readonly namespaces: readonly string[],
    readonly reviews: readonly NamespaceReview[],
    private readonly decisions: ReadonlyMap<string, Decision>,
    /** API requests the discovery made: the benchmark reports it. */
    readonly requestCount: number,
  ) {}

  /** Equal for two discoveries that got the same answers: an unchanged refresh changes nothing. */
  fingerprint(): string {
    // Code-unit order: any fixed order will do, and localeCompare would load ICU's collator (~8 MiB of RSS) for it.
    const decisions = [...this.decisions.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const reviews = this.reviews.map((r) => ({ ...r, rules: r.rules.map((rule) => JSON.stringify(rule)).sort() }));
    return JSON.stringify({ reviews, decisions });
  }

  /** The decision made at discovery; `none` for a permission that discovery was not asked about. */
  decision(p: Permission, namespace?: string): Decision {
    return this.decisions.get(decisionKey(p, p.scope === 'namespaced' ? namespace : undefined)) ?? { kind: 'none', source: 'rules' };
  }

  /**
   * Whether a call may go ahead: its namespace in scope, and a grant that covers this object's name.
   * Permissions discovery did not cover (the generic tools' kinds) are decided the same way, once, on first use.
   */
  async allows(p: Permission, namespace?: string, name?: string): Promise<boolean> {
    if (p.scope === 'namespaced' && (namespace === undefined || !this.namespaces.includes(namespace))) return false;
    const ns = p.scope === 'namespaced' ? namespace : undefined;
    const key = decisionKey(p, ns);
    const known = this.decisions.get(key);
    if (known) return grantCovers(known, name);
    let pending = this.lazy.get(key);
    if (!pending) {
      pending = decide(this.client, p, this.reviews.find((r) => r.namespace === ns));
      pending.catch(() => this.lazy.delete(key)); // a failed review is asked again next time
      this.lazy.set(key, pending);
    }
    return grantCovers(await pending, name);
  }

  /**
   * Namespaces where every one of the permissions is granted at least for some objects (all of the scope, for
   * cluster-scoped permissions that are granted): a tool is offered where this is not empty.
   */
  namespacesAllowing(permissions: readonly Permission[]): string[] {
    const clusterOk = permissions.filter((p) => p.scope === 'cluster').every((p) => this.decision(p).kind !== 'none');
    if (!clusterOk) return [];
    const namespaced = permissions.filter((p) => p.scope === 'namespaced');
    return this.namespaces.filter((ns) => namespaced.every((p) => this.decision(p, ns).kind !== 'none'));
  }

  /** Those of the candidates granted (at least for some objects) cluster-wide or in some namespace of the scope. */
  granted(candidates: readonly Permission[]): Permission[] {
    return unique(candidates).filter((p) => (p.scope === 'cluster' ? [undefined] : this.namespaces).some((ns) => this.decision(p, ns).kind !== 'none'));
  }

  /**
   * Whether anything might grant `verb` on some resource in this namespace (any namespace of the scope when
   * undefined; none outside it): false only when every review concerned is complete and no rule has the verb.
   * Lets a call be refused from the rules alone, before any request (even discovery) is sent for it.
   */
  couldGrant(verb: string, namespace?: string): boolean {
    return this.reviews.filter((r) => namespace === undefined || r.namespace === namespace)
      .some((r) => r.incomplete || r.rules.some((rule) => verbMatches(rule, verb)));
  }

  /**
   * Namespaces where `verb` is granted, without a name limit, on some kind the cluster serves outside `covered`
   * (group|resource pairs that specific tools serve): from the rules, or from the probes' decisions where a review is
   * incomplete. A cluster-scoped kind counts only where discovery decided it granted cluster-wide: a namespace's rules
   * also list what a RoleBinding names, which grants nothing on it.
   */
  namespacesGrantingVerbBeyond(verb: string, covered: ReadonlySet<string>, probes: readonly Permission[], served: ServedKinds): string[] {
    const clusterWide = (k: ServedResource) => this.decision({ group: k.group, resource: k.resource, verb, scope: 'cluster' }).kind !== 'none';
    return this.reviews.filter((review) => someKindGrantedBeyond(review.rules, verb, covered, served, (k) => k.namespaced || clusterWide(k))
      || (review.incomplete && probes.some((p) => this.decision(p, review.namespace).kind !== 'none')))
      .map((review) => review.namespace);
  }
}

/**
 * One permission in one namespace (or cluster-wide): rules where they answer, else the server's own answer.
 * A namespace outside the scope has no rules review: the server is asked.
 */
async function decide(client: KubeClient, p: Permission, review: NamespaceReview | undefined, namespace = review?.namespace): Promise<Decision> {
  const fromRules: Grant = review && p.scope === 'namespaced' ? grantFromRules(review.rules, p) : { kind: 'none' };
  if (fromRules.kind === 'all' || (review && !review.incomplete && p.scope === 'namespaced')) return { ...fromRules, source: 'rules' };
  const allowed = await accessReview(client, p, namespace);
  return allowed ? { kind: 'all', source: 'access-review' } : { ...fromRules, source: 'access-review' };
}

function decisionKey(p: Permission, namespace?: string): string {
  return `${permissionKey(p)}@${namespace ?? ''}`;
}

function unique(permissions: readonly Permission[]): Permission[] {
  const seen = new Map<string, Permission>();
  for (const p of permissions) seen.set(permissionKey(p), p);
  return [...seen.values()];
}

/** A namespaced permission to decide in one namespace, in or outside the scope (the broad-grant guard's kube-system). */
export interface NamespacedQuestion {
  namespace: string;
  permission: Permission;
}

/**
 * One SelfSubjectRulesReview per namespace; SelfSubjectAccessReviews only where the rules cannot answer:
 * cluster-scoped permissions (a namespace's review also lists cluster-scoped resources that a RoleBinding
 * does not grant), permissions the rules do not grant when the review is incomplete, and `elsewhere`'s
 * questions about namespaces outside the scope. Questions that need no rules review are sent with the reviews,
 * not after them; a question whose refusal follows from another's (see refusalImplies) is asked only when no
 * such refusal came. `followUp` names permissions that only the rules tell to ask about, once the reviews are in.
 */
export async function discoverPermissions(
  client: KubeClient,
  namespaces: readonly string[],
  permissions: readonly Permission[],
  elsewhere: readonly NamespacedQuestion[] = [],
  followUp: (reviews: readonly NamespaceReview[]) => Promise<readonly Permission[]> = async () => [],
): Promise<PermissionSet> {
  const wanted = unique(permissions);
  const extensions = [...new Set(wanted.map((p) => p.group).filter((g) => EXTENSION_GROUPS.has(g)))];
  const reviewing = Promise.all(namespaces.map((ns) => reviewNamespace(client, ns)));
  const serving = Promise.all(extensions.map(async (g) => [g, await groupServed(client, g)] as const));
  const questions = new Map<string, Question>();
  const add = (permission: Permission, namespace: string | undefined) => {
    const key = decisionKey(permission, namespace);
    if (!questions.has(key)) questions.set(key, { key, permission, namespace });
  };
  const addAll = (ps: readonly Permission[]) => {
    for (const p of ps) for (const ns of p.scope === 'cluster' ? [undefined] : namespaces) add(p, ns);
  };
  addAll(wanted);
  for (const { namespace, permission } of elsewhere) add(permission, namespace);
  const asked = new Set(questions.keys());
  const following = reviewing.then(followUp).then((more) => {
    addAll(more);
    return [...questions.values()].filter((q) => !asked.has(q.key));
  });

  const ask = async ({ permission, namespace }: Question): Promise<Decision> => {
    if (EXTENSION_GROUPS.has(permission.group) && (await serving).some(([group, ok]) => group === permission.group && !ok)) {
      return { kind: 'none', source: 'not-served' };
    }
    const review = namespace !== undefined && namespaces.includes(namespace) ? (await reviewing).find((r) => r.namespace === namespace) : undefined;
    return decide(client, permission, review, namespace);
  };
  const answers = new Map<string, Promise<Decision>>();
  const answer = (question: Question): Promise<Decision> => {
    let pending = answers.get(question.key);
    if (!pending) {
      const before = [...questions.values()].filter((other) => refusalImplies(other, question));
      pending = before.length === 0 ? ask(question)
        : anyRefused(before.map(answer)).then((refused) => (refused ? { kind: 'none', source: 'implied' } : ask(question)));
      answers.set(question.key, pending);
    }
    return pending;
  };
  const answerAll = (qs: readonly Question[]) => Promise.all(qs.map(async (q) => [q.key, await answer(q)] as const));
  const [decided, followed, reviews] = await Promise.all([
    answerAll([...questions.values()]),
    following.then(answerAll),
    reviewing,
    serving, // awaited here too: its failure fails the discovery even when no question waited for it
  ]);
  const decisions = new Map<string, Decision>([...decided, ...followed]);
  const accessReviews = [...decisions.values()].filter((d) => d.source === 'access-review').length;
  return new PermissionSet(client, namespaces, reviews, decisions, reviews.length + accessReviews + extensions.length);
}

interface Question {
  key: string;
  permission: Permission;
  /** Undefined: cluster-wide. */
  namespace?: string;
}

const isEverything = (p: Permission) => p.verb === '*' && p.group === '*' && p.resource === '*' && !p.subresource;
/** The same verb on the same resource, whatever the scope it is asked in. */
const sameRight = (a: Permission, b: Permission) => permissionKey({ ...a, scope: 'cluster' }) === permissionKey({ ...b, scope: 'cluster' });

/**
 * Whether refusing `known` refuses `implied` too. Authorization is a union of grants, and a grant for every
 * namespace (a ClusterRoleBinding, an EKS access policy of cluster scope) covers each one of them, as a grant
 * of `*` on `*` covers every permission: so a right refused in a namespace is refused cluster-wide, and `*` on
 * `*` is refused wherever any one permission is.
 */
function refusalImplies(known: Question, implied: Question): boolean {
  if (known === implied) return false;
  if (implied.namespace === undefined && known.namespace !== undefined) return sameRight(known.permission, implied.permission);
  return isEverything(implied.permission) && !isEverything(known.permission) && known.namespace === implied.namespace;
}

/** True as soon as one of the decisions is a refusal (not an unserved group: that says nothing of the grants); false when none is. */
function anyRefused(decisions: ReadonlyArray<Promise<Decision>>): Promise<boolean> {
  const refused = (d: Decision) => d.kind === 'none' && d.source !== 'not-served';
  return new Promise((resolve, reject) => {
    for (const d of decisions) d.then((decision) => { if (refused(decision)) resolve(true); }, reject);
    Promise.all(decisions).then(() => resolve(false), reject);
  });
}
