// Which resource kinds the cluster serves (aggregated discovery, two requests, cached), so that the generic
// tools can take "deployments.apps", "Deployment" or "ingresses.networking.k8s.io" from the agent.
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

/** Flattens aggregated discovery: the first (preferred) version of each group wins; the others are listed in `versions`. */
export function flattenDiscovery(groups: DiscoveryGroup[]): ServedResource[] {
  const served: ServedResource[] = [];
  for (const group of groups) {
    const version = group.versions?.[0];
    const versionsOf = (resource: string) => (group.versions ?? []).filter((v) => v.resources?.some((r) => r.resource === resource)).map((v) => v.version);
    for (const r of version?.resources ?? []) {
      // Anything but "Cluster" is namespaced: a call must never be widened to the whole cluster by a missing scope.
      served.push({
        group: group.metadata?.name ?? '', version: version!.version, resource: r.resource,
        kind: r.responseKind?.kind ?? '', namespaced: r.scope !== 'Cluster', verbs: r.verbs ?? [], shortNames: r.shortNames ?? [],
        versions: versionsOf(r.resource),
      });
    }
  }
  return served;
}

/** Finds a served resource by plural, kind or short name, optionally qualified by group. */
export function findResource(served: ServedResource[], argument: string): ServedResource[] {
  const parsed = parseResourceArgument(argument);
  if (!parsed || parsed.subresource) return [];
  const name = parsed.resource;
  const groupMatches = (r: ServedResource) => r.group === parsed.group || (parsed.group !== '' && r.group.startsWith(`${parsed.group}.`));
  const candidates = served.filter((r) => r.resource === name || r.kind.toLowerCase() === name || r.shortNames.includes(name));
  const qualified = argument.includes('.') ? candidates.filter(groupMatches) : candidates;
  // Unqualified names prefer the core group, as kubectl does.
  return qualified.length > 1 && !argument.includes('.') && qualified.some((r) => r.group === '') ? qualified.filter((r) => r.group === '') : qualified;
}

export class ApiResources {
  private served?: Promise<ServedResource[]>;

  constructor(private readonly kube: KubeClient) {}

  list(): Promise<ServedResource[]> {
    this.served ??= Promise.all([
      this.kube.json<{ items?: DiscoveryGroup[] }>({ path: '/api', accept: AGGREGATED }),
      this.kube.json<{ items?: DiscoveryGroup[] }>({ path: '/apis', accept: AGGREGATED }),
    ]).then(([core, groups]) => flattenDiscovery([...(core.items ?? []), ...(groups.items ?? [])]))
      .catch((error) => {
        this.served = undefined; // a failed discovery is retried on the next call
        throw error;
      });
    return this.served;
  }
}
