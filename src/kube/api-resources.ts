// Which resource kinds the cluster serves (aggregated discovery, two requests, cached), so that the generic
// tools can take "deployments.apps", "Deployment" or "ingresses.networking.k8s.io" from the agent, and the offer
// counts only the kinds that exist.
import type { KubeClient } from './client.ts';
import type { ResourceKind } from './resources.ts';

export interface ServedResource extends ResourceKind {
  verbs: string[];
  shortNames: string[];
  /** Every version of the group that serves this resource, the preferred (`version`) first: what a manifest may name. */
  versions: string[];
}

/** `resource[.group][/subresource]`, the spelling of `kubectl auth can-i` and RBAC. */
export function parseResourceArgument(argument: string): { resource: string; group: string; subresource?: string } | undefined {
  const match = /^([a-z0-9*][a-z0-9-]*)(?:\.([a-z0-9.-]+))?(?:\/([a-z*]+))?$/.exec(argument.trim().toLowerCase());
  if (!match) return undefined;
  return { resource: match[1]!, group: match[2] ?? '', ...(match[3] ? { subresource: match[3] } : {}) };
}

interface DiscoveryGroup {
  metadata?: { name?: string };
  versions?: Array<{
    version: string;
    resources?: Array<{
      resource: string;
      responseKind?: { kind?: string };
      scope?: string;
      verbs?: string[];
      shortNames?: string[];
    }>;
  }>;
}

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

/**
 * Flattens aggregated discovery: each resource of a group once, in the first (preferred) version that serves it, so
 * that one served only by another version (a beta kind beside a group's v1) is still found; every version that serves
 * it is listed in `versions`.
 */
export function flattenDiscovery(groups: DiscoveryGroup[]): ServedResource[] {
  const served: ServedResource[] = [];
  for (const group of groups) {
    const seen = new Set<string>();
    const versionsOf = (resource: string) => (group.versions ?? []).filter((v) => v.resources?.some((r) => r.resource === resource)).map((v) => v.version);
    for (const version of group.versions ?? []) {
      for (const r of version.resources ?? []) {
        if (seen.has(r.resource)) continue;
        seen.add(r.resource);
        // Anything but "Cluster" is namespaced: a call must never be widened to the whole cluster by a missing scope.
        served.push({
          group: group.metadata?.name ?? '', version: version.version, resource: r.resource,
          kind: r.responseKind?.kind ?? '', namespaced: r.scope !== 'Cluster', verbs: r.verbs ?? [], shortNames: r.shortNames ?? [],
          versions: versionsOf(r.resource),
        });
      }
    }
  }
  return served;
}

/** Finds a served resource by plural, kind or short name, optionally qualified by group. */
export function findResource(served: readonly ServedResource[], argument: string): ServedResource[] {
  const parsed = parseResourceArgument(argument);
  if (!parsed || parsed.subresource) return [];
  const name = parsed.resource;
  const groupMatches = (r: ServedResource) => r.group === parsed.group || (parsed.group !== '' && r.group.startsWith(`${parsed.group}.`));
  const candidates = served.filter((r) => r.resource === name || r.kind.toLowerCase() === name || r.shortNames.includes(name));
  const qualified = argument.includes('.') ? candidates.filter(groupMatches) : candidates;
  // Unqualified names prefer the core group, as kubectl does.
  return qualified.length > 1 && !argument.includes('.') && qualified.some((r) => r.group === '') ? qualified.filter((r) => r.group === '') : qualified;
}

/** What a rule names: its API groups and resources, `*` for all. */
export interface RuleNames {
  apiGroups?: readonly string[];
  resources?: readonly string[];
}

/** The served resources by API group and by name: what the pairs of a rule's apiGroups × resources really are. */
export class ServedKinds {
  private readonly byGroup = new Map<string, ServedResource[]>();
  private readonly byName = new Map<string, ServedResource[]>();
  private readonly byPair = new Map<string, ServedResource>();

  constructor(readonly resources: readonly ServedResource[]) {
    for (const r of resources) {
      append(this.byGroup, r.group, r);
      append(this.byName, r.resource, r);
      this.byPair.set(`${r.group}|${r.resource}`, r);
    }
  }

  /**
   * The served resources a rule names, wildcards expanded: a pair the cluster does not serve (`apps` × `pods`) is
   * no kind, and neither is a subresource (`pods/log`, a scale), which no generic tool takes.
   */
  named(rule: RuleNames): readonly ServedResource[] {
    const groups = rule.apiGroups ?? [];
    const resources = rule.resources ?? [];
    const everyGroup = groups.includes('*');
    if (resources.includes('*')) return everyGroup ? this.resources : groups.flatMap((g) => this.byGroup.get(g) ?? []);
    if (everyGroup) return resources.flatMap((r) => this.byName.get(r) ?? []);
    return groups.flatMap((g) => resources.flatMap((r) => this.byPair.get(`${g}|${r}`) ?? []));
  }

  /** The API groups that some rule names and the cluster does not serve (`*` names only served ones). */
  unservedGroups(rules: readonly RuleNames[]): string[] {
    return [...new Set(rules.flatMap((rule) => (rule.apiGroups ?? []).filter((g) => g !== '*' && !this.byGroup.has(g))))];
  }
}

/**
 * How many rounds a read answers for API groups the rules name but the cluster does not serve: the built-in `edit`
 * role names `extensions`, which nothing serves any more, and a Role may be written before the CRD it names is
 * installed. Every tenth round reads the groups again: at the default 30 s refresh interval, every 5 minutes.
 */
export const UNSERVED_RECHECK_ROUNDS = 10;

/** The kind of request a read of the served kinds is counted as (aggregated discovery: /api and /apis). */
export const SERVED_KINDS_REQUEST = 'apidiscovery';

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const values = map.get(key);
  if (values) values.push(value);
  else map.set(key, [value]);
}

interface Read {
  /** performance.now() when the read was sent. */
  at: number;
  kinds: Promise<ServedKinds>;
  /** Unserved groups that rules named since this read: a group first named later makes it read again. */
  unserved: Set<string>;
  /** The rounds (kindsFor) this read has answered. */
  rounds: number;
}

export class ApiResources {
  private read?: Read;

  constructor(private readonly kube: KubeClient, private readonly now: () => number = () => performance.now()) {}

  async list(): Promise<readonly ServedResource[]> {
    return (await this.kinds()).resources;
  }

  /** The served kinds as last read (read now when never read, its requests added to `counts`). */
  kinds(counts?: Record<string, number>): Promise<ServedKinds> {
    return (this.read ??= this.fetch(counts)).kinds;
  }

  /**
   * The served kinds to match rules reviewed at `since` (a performance.now() time) against. A list read before then
   * is read again when the rules name an API group it lacks that no rule named before (a CRD installed since, with
   * its RBAC), or any group it lacks once it has answered UNSERVED_RECHECK_ROUNDS rounds; rules that name only served
   * groups cost no request. An answer equal to the last is the same object, so that nothing looks changed. A read
   * this call sends adds its requests to `counts`.
   */
  async kindsFor(rules: readonly RuleNames[], since: number, counts?: Record<string, number>): Promise<ServedKinds> {
    const read = (this.read ??= this.fetch(counts));
    const kinds = await read.kinds;
    const unserved = kinds.unservedGroups(rules);
    const stale = read.at < since && unserved.some((g) => !read.unserved.has(g) || read.rounds >= UNSERVED_RECHECK_ROUNDS);
    if (!stale) {
      read.rounds += 1;
      for (const g of unserved) read.unserved.add(g);
      return kinds;
    }
    if (this.read === read) this.read = this.fetch(counts, kinds, unserved);
    this.read.rounds += 1;
    return this.read.kinds;
  }

  /**
   * One read of aggregated discovery, counted under SERVED_KINDS_REQUEST: `/api` and `/apis` at first, and only `/apis`
   * when read again (`previous`), since what is read again for is an API group, and the core group is always served.
   * `previous` is kept when the answer equals it.
   */
  private fetch(counts?: Record<string, number>, previous?: ServedKinds, unserved: readonly string[] = []): Read {
    const paths = previous ? ['/apis'] : ['/api', '/apis'];
    if (counts) counts[SERVED_KINDS_REQUEST] = (counts[SERVED_KINDS_REQUEST] ?? 0) + paths.length;
    const core = previous?.resources.filter((r) => r.group === '') ?? [];
    const read: Read = {
      at: this.now(),
      unserved: new Set(unserved),
      rounds: 0,
      kinds: Promise.all(paths.map((path) => this.kube.json<{ items?: DiscoveryGroup[] }>({ path, accept: AGGREGATED }))).then((answers) => {
        const resources = [...core, ...flattenDiscovery(answers.flatMap((a) => a.items ?? []))];
        return previous && JSON.stringify(previous.resources) === JSON.stringify(resources) ? previous : new ServedKinds(resources);
      }),
    };
    read.kinds.catch(() => {
      if (this.read === read) this.read = undefined; // a failed discovery is retried on the next call
    });
    return read;
  }
}
