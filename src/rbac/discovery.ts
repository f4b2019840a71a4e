// Asks the cluster what the connection's identity may do, and answers every permission question from that.
// This is the one place where permissions are decided: advertising a tool and admitting a call both ask here.
// Its inputs are the signals (rules reviews, and on EKS the role's access policies read from EKS), which settle most
// questions; an access review is sent only where they cannot, never a guess.
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
  /**
   * What EKS access policies grant here, when they were read from EKS: with the rules, all that any authorizer
   * grants (EKS authorizes with RBAC and its access-policy webhook), so no access review is needed.
   */
  accessPolicies?: ResourceRule[];
}

/**
 * `rules`: RBAC's rules grant it, or refuse it where nothing else could grant. `access-policy`: EKS access policies
 * read from EKS grant it, or with the rules refuse it. `access-review`: the server was asked
 * (SelfSubjectAccessReview), whatever it answered. `not-served`: the API group is not served (no extension API
 * server behind it), so no grant makes the permission usable. `implied`: refused without asking, because a refusal
 * the server gave covers it (see refusalImplies).
 */
export type Decision = Grant & { source: 'rules' | 'access-policy' | 'access-review' | 'not-served' | 'implied' };

/**
 * Groups served by an extension API server (an APIService), which a cluster may lack or have unavailable:
 * discovery asks whether each is served before deciding its permissions.
 */
export const EXTENSION_GROUPS: ReadonlyMap<string, string> = new Map([['metrics.k8s.io', 'metrics-server']]);

/** The requests a discovery sent, by kind: the Kubernetes API's resources, and the EKS call. */
export type RequestCounts = Record<string, number>;

export const REQUEST_KINDS = {
  rulesReview: 'selfsubjectrulesreviews',
  accessReview: 'selfsubjectaccessreviews',
  groupServed: 'apigroups',
  identity: 'selfsubjectreviews',
  accessPolicies: 'eks:ListAssociatedAccessPolicies',
} as const;

/** What one round of decisions sent: the requests by kind, and each question an access review answered. */
export interface Round {
  requests: RequestCounts;
  asked: Array<{ permission: Permission; namespace?: string; allowed: boolean }>;
}

/** The Kubernetes API's share of the counts (the EKS call is AWS's). */
export function kubeRequests(counts: RequestCounts): number {
  return Object.entries(counts).filter(([kind]) => !kind.startsWith('eks:')).reduce((sum, [, n]) => sum + n, 0);
}

function count(counts: RequestCounts | undefined, kind: string): void {
  if (counts) counts[kind] = (counts[kind] ?? 0) + 1;
}

/** Whether the API server serves a group now: 200 from its discovery document (404: none; 503: unavailable). */
export async function groupServed(client: KubeClient, group: string, counts?: RequestCounts): Promise<boolean> {
  count(counts, REQUEST_KINDS.groupServed);
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

export async function reviewNamespace(client: KubeClient, namespace: string, counts?: RequestCounts): Promise<NamespaceReview> {
  count(counts, REQUEST_KINDS.rulesReview);
  const review = await client.json<{ status?: RulesReviewStatus }>({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
    idempotent: true,
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
  });
  return { namespace, rules: review.status?.resourceRules ?? [], incomplete: review.status?.incomplete ?? false };
}

export async function accessReview(client: KubeClient, p: Permission, namespace?: string, name?: string, counts?: RequestCounts): Promise<boolean> {
  count(counts, REQUEST_KINDS.accessReview);
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

/** What authorizers beside RBAC grant, when it can be known without asking (EKS access policies read from EKS). */
export interface KnownGrants {
  /** The rules granted in a namespace (undefined: cluster-wide); undefined where they cannot be known. */
  rulesIn(namespace: string | undefined): ResourceRule[] | undefined;
}

/**
 * Everything discovery decides from besides access reviews, read in one round: equal signals, equal decisions (all
 * of them when `settled`, see signalsSettle).
 */
export interface Signals {
  /** One rules review per namespace of the scope. */
  reviews: readonly NamespaceReview[];
  /** Those of the namespaces outside the scope that questions are asked about. */
  others: readonly NamespaceReview[];
  /** What the other authorizers grant cluster-wide, where known (EKS access policies of cluster scope). */
  clusterWide?: ResourceRule[];
  served: ReadonlyArray<readonly [group: string, served: boolean]>;
  /** The requests they took. */
  requests: RequestCounts;
}

export interface SignalOptions {
  /** Namespaces outside the scope that questions are asked about (the broad-grant guard's kube-system). */
  elsewhere?: readonly string[];
  /** Extension API groups whose permissions are asked about. */
  groups?: readonly string[];
  /** What the other authorizers grant, where known; read alongside the reviews. */
  known?: () => Promise<KnownGrants | undefined>;
}

/** The rules reviews (scope and elsewhere), whether each extension group is served, and the known grants. */
export async function readSignals(client: KubeClient, namespaces: readonly string[], options: SignalOptions = {}): Promise<Signals> {
  const requests: RequestCounts = {};
  const outside = [...new Set(options.elsewhere ?? [])].filter((ns) => !namespaces.includes(ns));
  const [reviews, elsewhere, served, known] = await Promise.all([
    Promise.all(namespaces.map((ns) => reviewNamespace(client, ns, requests))),
    Promise.all(outside.map((ns) => reviewNamespace(client, ns, requests))),
    Promise.all((options.groups ?? []).map(async (g) => [g, await groupServed(client, g, requests)] as const)),
    options.known && (count(requests, REQUEST_KINDS.accessPolicies), options.known()),
  ]);
  const withPolicies = (review: NamespaceReview): NamespaceReview => {
    const accessPolicies = known?.rulesIn(review.namespace);
    return accessPolicies ? { ...review, accessPolicies } : review;
  };
  const clusterWide = known?.rulesIn(undefined);
  return { reviews: reviews.map(withPolicies), others: elsewhere.map(withPolicies), ...(clusterWide ? { clusterWide } : {}), served, requests };
}

/**
 * Whether the signals alone decide every permission, so that a refresh whose signals did not change has nothing to
 * ask: every rules review is complete or has the access policies beside it, and so is the cluster-wide part. Then an
 * access review is sent only where the rules cannot tell a ClusterRoleBinding from RoleBindings in every namespace,
 * and a ClusterRoleBinding shows in every namespace's rules: its answer changes only with them.
 */
export function signalsSettle(signals: Signals): boolean {
  const all = [...signals.reviews, ...signals.others];
  return all.every((r) => !r.incomplete || r.accessPolicies) && (signals.clusterWide !== undefined || all.every((r) => !r.incomplete));
}

const sortedJson = (values: unknown[]) => values.map((v) => JSON.stringify(v)).sort();

/** Equal for signals that decide the same: the order of rules within a review does not matter. */
export function signalsKey(signals: Signals): string {
  const review = (r: NamespaceReview) => ({ ...r, rules: sortedJson(r.rules), accessPolicies: r.accessPolicies && sortedJson(r.accessPolicies) });
  return JSON.stringify({
    reviews: signals.reviews.map(review), others: signals.others.map(review), clusterWide: signals.clusterWide && sortedJson(signals.clusterWide), served: signals.served,
  });
}

/** The connection's permissions, as discovered at one moment. */
export class PermissionSet {
  private readonly lazy = new Map<string, Promise<Decision>>();
  readonly namespaces: readonly string[];
  readonly reviews: readonly NamespaceReview[];
  /** The requests the discovery made, by kind: doctor and the benchmark report them. */
  readonly requests: Readonly<RequestCounts>;
  /** The questions access reviews answered, at discovery and on first use since. */
  private readonly asked: Round['asked'];

  constructor(
    private readonly client: KubeClient,
    readonly signals: Signals,
    private readonly decisions: ReadonlyMap<string, Decision>,
    round: Round = { requests: signals.requests, asked: [] },
  ) {
    this.reviews = signals.reviews;
    this.namespaces = signals.reviews.map((r) => r.namespace);
    this.requests = round.requests;
    this.asked = round.asked;
  }

  /**
   * Asks this discovery's access reviews again: `same` when every answer is, so that with unchanged signals nothing
   * changed. Where the signals settle (signalsSettle) these are the few cluster-wide questions the rules left open.
   */
  async recheck(): Promise<{ same: boolean; requests: RequestCounts }> {
    const requests: RequestCounts = {};
    const asked = [...this.asked];
    const answers = await Promise.all(asked.map((q) => accessReview(this.client, q.permission, q.namespace, undefined, requests)));
    return { same: answers.every((allowed, i) => allowed === asked[i]!.allowed), requests };
  }

  /** Kubernetes API requests the discovery made. */
  get requestCount(): number {
    return kubeRequests(this.requests);
  }

  /** How many decisions each source made: the rules, the access-policy list, access reviews... */
  sources(): Record<Decision['source'], number> {
    const out = { rules: 0, 'access-policy': 0, 'access-review': 0, 'not-served': 0, implied: 0 };
    for (const d of this.decisions.values()) out[d.source] += 1;
    return out;
  }


  /** Equal for two discoveries that got the same answers: an unchanged refresh changes nothing. */
  fingerprint(): string {
    // Code-unit order: any fixed order will do, and localeCompare would load ICU's collator (~8 MiB of RSS) for it.
    const decisions = [...this.decisions.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const reviews = this.reviews.map((r) => ({ ...r, rules: sortedJson(r.rules), accessPolicies: r.accessPolicies && sortedJson(r.accessPolicies) }));
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
      pending = Promise.resolve(decide(this.client, this.signals, p, ns, { requests: {}, asked: this.asked }));
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
   * Whether anything might grant the permission in this namespace of the scope: false only where what every authorizer
   * grants there is known (a complete review, or the access policies beside it) and none of it does.
   */
  mayGrant(p: Permission, namespace: string): boolean {
    const review = this.reviews.find((r) => r.namespace === namespace);
    return !review || (review.incomplete && !review.accessPolicies)
      || grantFromRules([...review.rules, ...(review.accessPolicies ?? [])], p).kind !== 'none';
  }

  /**
   * Whether anything might grant `verb` on some resource in this namespace (any namespace of the scope when
   * undefined; none outside it): false only when what every authorizer grants there is known and no rule has the verb.
   * Lets a call be refused from the rules alone, before any request (even discovery) is sent for it.
   */
  couldGrant(verb: string, namespace?: string): boolean {
    return this.reviews.filter((r) => namespace === undefined || r.namespace === namespace)
      .some((r) => (r.incomplete && !r.accessPolicies) || [...r.rules, ...(r.accessPolicies ?? [])].some((rule) => verbMatches(rule, verb)));
  }

  /**
   * Namespaces where `verb` is granted (for a verb on one object, if only on some names) on some kind the cluster serves outside `covered`
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
 * One permission in one namespace, or cluster-wide (undefined): the rules where they grant it, or where nothing else
 * could; the access policies read from EKS where they are known; else the server's own answer. The names a rule grants
 * stay granted when the server refuses the rest.
 */
function decide(client: KubeClient, signals: Signals, p: Permission, namespace: string | undefined, round: Round): Decision | Promise<Decision> {
  const known = fromSignals(signals, p, namespace);
  return 'decision' in known ? known.decision : ask(client, p, namespace, known.fromRules, round);
}

/** What the signals alone decide; else what the rules grant (names), for the access review to complete. */
function fromSignals(signals: Signals, p: Permission, namespace: string | undefined): { decision: Decision } | { fromRules: Grant } {
  if (p.scope === 'cluster' || namespace === undefined) return clusterWideFromSignals(signals, p);
  const review = reviewsOf(signals).get(namespace);
  const fromRules: Grant = review ? grantFromRules(review.rules, p) : { kind: 'none' };
  if (fromRules.kind === 'all' || (review && !review.incomplete)) return { decision: { ...fromRules, source: 'rules' } };
  if (!review?.accessPolicies) return { fromRules };
  const fromPolicies = grantFromRules(review.accessPolicies, p);
  return { decision: fromPolicies.kind === 'all' ? { kind: 'all', source: 'access-policy' } : { ...fromRules, source: 'access-policy' } };
}

/**
 * Cluster-wide, RBAC grants only through ClusterRoleBindings, whose rules show in every namespace's review: where some
 * review's rules lack the permission, RBAC refuses it, and what else grants it cluster-wide is known or asked. Where
 * every review has it, only the server can tell a ClusterRoleBinding from RoleBindings in each namespace.
 */
function clusterWideFromSignals(signals: Signals, p: Permission): { decision: Decision } | { fromRules: Grant } {
  const reviews = [...signals.reviews, ...signals.others];
  const rbacMayGrant = reviews.every((r) => grantFromRules(r.rules, p).kind !== 'none');
  const complete = reviews.every((r) => !r.incomplete);
  const othersKnown = complete ? [] : signals.clusterWide;
  if (rbacMayGrant || !othersKnown) return { fromRules: { kind: 'none' } };
  const source = complete ? 'rules' : 'access-policy';
  return { decision: grantFromRules(othersKnown, p).kind === 'all' ? { kind: 'all', source } : { kind: 'none', source } };
}

const reviewIndexes = new WeakMap<Signals, Map<string, NamespaceReview>>();

/** The signals' reviews by namespace, indexed once: a discovery looks one up for each of thousands of questions. */
function reviewsOf(signals: Signals): Map<string, NamespaceReview> {
  let index = reviewIndexes.get(signals);
  if (!index) {
    index = new Map([...signals.reviews, ...signals.others].map((r) => [r.namespace, r]));
    reviewIndexes.set(signals, index);
  }
  return index;
}

async function ask(client: KubeClient, p: Permission, namespace: string | undefined, fromRules: Grant, round: Round): Promise<Decision> {
  const allowed = await accessReview(client, p, namespace, undefined, round.requests);
  round.asked.push({ permission: p, ...(namespace !== undefined ? { namespace } : {}), allowed });
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

/** The extension groups among the permissions: whether each is served is part of the signals. */
export function extensionGroups(permissions: readonly Permission[]): string[] {
  return [...new Set(permissions.map((p) => p.group).filter((g) => EXTENSION_GROUPS.has(g)))];
}

/**
 * Reads the signals and decides: one SelfSubjectRulesReview per namespace of the scope and per namespace outside it
 * asked about; SelfSubjectAccessReviews only where neither the rules nor the access policies (`known`) can answer.
 */
export async function discoverPermissions(
  client: KubeClient,
  namespaces: readonly string[],
  permissions: readonly Permission[],
  elsewhere: readonly NamespacedQuestion[] = [],
  known?: () => Promise<KnownGrants | undefined>,
): Promise<PermissionSet> {
  const signals = await readSignals(client, namespaces, { elsewhere: elsewhere.map((q) => q.namespace), groups: extensionGroups(permissions), known });
  return decidePermissions(client, signals, permissions, elsewhere);
}

/**
 * Decides every question from the signals; an access review is sent only where they cannot answer, and a question
 * whose refusal follows from another's (see refusalImplies) is asked only when no such refusal came.
 */
export async function decidePermissions(
  client: KubeClient,
  signals: Signals,
  permissions: readonly Permission[],
  elsewhere: readonly NamespacedQuestion[] = [],
): Promise<PermissionSet> {
  const round: Round = { requests: { ...signals.requests }, asked: [] };
  const questions = new Map<string, Question>();
  const add = (permission: Permission, namespace: string | undefined) => {
    const key = decisionKey(permission, namespace);
    if (!questions.has(key)) questions.set(key, { key, permission, namespace });
  };
  const namespaces = signals.reviews.map((r) => r.namespace);
  for (const p of unique(permissions)) for (const ns of p.scope === 'cluster' ? [undefined] : namespaces) add(p, ns);
  for (const { namespace, permission } of elsewhere) add(permission, namespace);

  // Most questions the signals settle at once; only the others go through access reviews and the refusals that imply them.
  const unserved = new Set(signals.served.filter(([, served]) => !served).map(([group]) => group));
  const settled = new Map<string, Decision>();
  for (const { key, permission, namespace } of questions.values()) {
    const known = unserved.has(permission.group) ? { decision: { kind: 'none', source: 'not-served' } as Decision } : fromSignals(signals, permission, namespace);
    if ('decision' in known) settled.set(key, known.decision);
  }
  const answers = new Map<string, Promise<Decision>>();
  const implying = impliers([...questions.values()]);
  const answer = (question: Question): Promise<Decision> => {
    let pending = answers.get(question.key);
    if (!pending) {
      const now = settled.get(question.key);
      const before = now ? [] : implying(question);
      pending = now ? Promise.resolve(now) : before.length === 0 ? Promise.resolve(decide(client, signals, question.permission, question.namespace, round))
        : anyRefused(before.map(answer)).then((refused) => (refused ? { kind: 'none', source: 'implied' } : decide(client, signals, question.permission, question.namespace, round)));
      answers.set(question.key, pending);
    }
    return pending;
  };
  const open = [...questions.values()].filter((q) => !settled.has(q.key));
  const decided = [...settled, ...await Promise.all(open.map(async (q) => [q.key, await answer(q)] as const))];
  return new PermissionSet(client, signals, new Map(decided), round);
}

interface Question {
  key: string;
  permission: Permission;
  /** Undefined: cluster-wide. */
  namespace?: string;
}

const isEverything = (p: Permission) => p.verb === '*' && p.group === '*' && p.resource === '*' && !p.subresource;
/** The same verb on the same resource, whatever the scope it is asked in. */
const sameRight = (a: Permission, b: Permission) => rightKey(a) === rightKey(b);

const rightKey = (p: Permission) => permissionKey({ ...p, scope: 'cluster' });

/**
 * The questions whose refusal implies each question's (refusalImplies), found through two indexes rather than by
 * trying every pair: with 30 namespaces there are ~5,000 questions, and the pairs cost ~50 ms of CPU at start.
 */
function impliers(questions: readonly Question[]): (implied: Question) => Question[] {
  const group = (key: (q: Question) => string) => {
    const map = new Map<string, Question[]>();
    for (const q of questions) {
      const list = map.get(key(q));
      if (list) list.push(q);
      else map.set(key(q), [q]);
    }
    return map;
  };
  const byRight = group((q) => rightKey(q.permission));
  const byNamespace = group((q) => q.namespace ?? '');
  return (implied) => [
    ...(implied.namespace === undefined ? byRight.get(rightKey(implied.permission)) ?? [] : []),
    ...(isEverything(implied.permission) ? byNamespace.get(implied.namespace ?? '') ?? [] : []),
  ].filter((known) => refusalImplies(known, implied));
}

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
