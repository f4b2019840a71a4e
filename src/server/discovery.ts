// One connection's discovery: what it asks about (the catalogue's permissions and the broad-grant guard's), the signals
// it reads at every refresh (the rules reviews, the EKS access-policy list, whether extension groups are served, the
// kinds the cluster serves), and the full decision from them. What each round cost is published for the log, doctor
// and /metrics.
import { channel } from 'node:diagnostics_channel';
import type { Connection } from '../connection.ts';
import { selfSubjectReview } from '../kube/resources.ts';
import { ApiResources, type ServedKinds } from '../kube/api-resources.ts';
import {
  decidePermissions, extensionGroups, readSignals,
  type KnownGrants, type NamespacedQuestion, type PermissionSet, type RequestCounts, type Signals,
} from '../rbac/discovery.ts';
import type { Permission } from '../rbac/permission.ts';
import { guardQuestions } from '../rbac/broad-grants.ts';
import { accessPolicyRules, READ_ACTION } from '../aws/access-policies.ts';
import { cataloguePermissions, clusterKindQuestions } from '../policy/offer.ts';
import type { Tool } from '../tool.ts';

/** What started a round: the process, the refresh interval, or a 403 on an advertised tool. */
export type RefreshTrigger = 'start' | 'interval' | 'forbidden';

/** Where the access policies stand: read from EKS (how many), or why not, and so decided by access reviews. */
export type AccessPolicyState =
  | { kind: 'read'; associations: number; noAccessEntry?: true }
  | { kind: 'unreadable'; reason: string; denied: boolean }
  | { kind: 'not-applicable'; reason: string };

/** One round, as /metrics and the log see it. `signals`: the cheap reads alone; `full`: every decision made again. */
export interface DiscoveryRound {
  trigger: RefreshTrigger;
  tier: 'signals' | 'full';
  requests: RequestCounts;
  seconds: number;
  changed: boolean;
}

/** Where rounds are published (node:diagnostics_channel): /metrics subscribes without reaching into the runtime. */
export const DISCOVERY_CHANNEL = 'eks-rbac-mcp:discovery';

export function publishRound(round: DiscoveryRound): void {
  const published = channel(DISCOVERY_CHANNEL);
  if (published.hasSubscribers) published.publish(round);
}

/** What a round reads before deciding: the signals, and the kinds the cluster serves that the rules are matched against. */
export interface Observed {
  /** Their requests count the served kinds' reads too. */
  signals: Signals;
  served: ServedKinds;
}

/** A full decision, and the served kinds it was made against. */
export interface Discovered {
  permissions: PermissionSet;
  served: ServedKinds;
}

export class Discovery {
  readonly permissions: Permission[];
  readonly elsewhere: readonly NamespacedQuestion[];
  accessPolicies: AccessPolicyState;

  constructor(
    private readonly connection: Connection,
    private readonly namespaces: readonly string[],
    private readonly catalogue: readonly Tool[],
    /** The kinds the cluster serves: the offer and the generic tools read them too. */
    readonly apiResources = new ApiResources(connection.kube),
  ) {
    const guard = guardQuestions();
    this.permissions = [...cataloguePermissions(catalogue), ...guard.permissions];
    this.elsewhere = guard.elsewhere;
    connection.eks?.accessPolicies?.prepare(); // the SDK's EKS client loads while the start waits on the network
    this.accessPolicies = connection.eks
      ? connection.eks.accessPolicies
        ? { kind: 'unreadable', reason: 'not read yet', denied: false }
        : { kind: 'not-applicable', reason: 'without --role-arn the principal whose access policies apply is not known' }
      : { kind: 'not-applicable', reason: 'a kubeconfig connection: no EKS access policies to read' };
  }

  /**
   * The cheap reads: rules reviews, the access-policy list, the extension groups; and the served kinds, read with the
   * reviews when never read, else again only when the rules name an API group they lack (ApiResources.kindsFor).
   */
  async signals(): Promise<Observed> {
    const since = performance.now();
    const reads: RequestCounts = {};
    void this.apiResources.kinds(reads); // a first read goes with the reviews, not after them
    const reader = this.connection.eks?.accessPolicies;
    const signals = await readSignals(this.connection.kube, this.namespaces, {
      elsewhere: this.elsewhere.map((q) => q.namespace),
      groups: extensionGroups(this.permissions),
      ...(reader ? { known: () => this.readAccessPolicies() } : {}),
    });
    const served = await this.apiResources.kindsFor(signals.reviews.flatMap((r) => r.rules), since, reads);
    return { signals: { ...signals, requests: addCounts(signals.requests, reads) }, served };
  }

  /**
   * Every decision from what was read: the catalogue's questions, and those about the cluster-scoped kinds that only
   * the rules point to (clusterKindQuestions), which the signals mostly settle too.
   */
  async decide({ signals, served }: Observed): Promise<Discovered> {
    const followUp = clusterKindQuestions(this.catalogue, signals.reviews, served);
    return { permissions: await decidePermissions(this.connection.kube, signals, [...this.permissions, ...followUp], this.elsewhere), served };
  }

  async discover(): Promise<Discovered> {
    return this.decide(await this.signals());
  }

  /**
   * Who the API server says we are (username and groups): a signal where access reviews decide, since a webhook may
   * grant by group. Undefined where the server cannot say (SelfSubjectReview is GA since Kubernetes 1.28).
   */
  async identity(): Promise<string | undefined> {
    return selfSubjectReview(this.connection.kube).then(identityKey, () => undefined);
  }

  private async readAccessPolicies(): Promise<KnownGrants | undefined> {
    const read = await this.connection.eks!.accessPolicies!.read();
    if (read.kind === 'unreadable') {
      this.accessPolicies = read;
      return undefined;
    }
    this.accessPolicies = { kind: 'read', associations: read.associations.length, ...(read.noAccessEntry ? { noAccessEntry: true } : {}) };
    return { rulesIn: (namespace) => accessPolicyRules(read.associations, namespace) };
  }
}

/** Equal for the same username and groups. */
export function identityKey(user: { username?: string; groups?: string[] }): string {
  return JSON.stringify({ username: user.username, groups: [...(user.groups ?? [])].sort() });
}

/** The sum of request counts by kind. */
export function addCounts(...counts: RequestCounts[]): RequestCounts {
  const sum: RequestCounts = {};
  for (const c of counts) for (const [kind, n] of Object.entries(c)) sum[kind] = (sum[kind] ?? 0) + n;
  return sum;
}

/** `12 × selfsubjectaccessreviews, 3 × selfsubjectrulesreviews`, for people. */
export function describeRequests(requests: RequestCounts): string {
  return Object.entries(requests).sort(([a], [b]) => (a < b ? -1 : 1)).map(([kind, n]) => `${n} × ${kind}`).join(', ') || 'none';
}

/** What the access policies' state means for the operator, one sentence. */
export function describeAccessPolicies(state: AccessPolicyState): string {
  if (state.kind === 'read') {
    return state.noAccessEntry ? 'read from EKS: this principal has no access entry, so no access policy grants it anything'
      : `read from EKS (${READ_ACTION}): ${state.associations} associated`;
  }
  return state.kind === 'unreadable' ? `not read (${state.reason})` : `not read: ${state.reason}`;
}

