// What a delete cascades to: the objects a controller owns (ownerReferences), as the garbage collector follows
// them. Only the built-in controllers' kinds are walked, and only where the role may list them.
import type { KubeClient } from './client.ts';
import { type ResourceKind, collectionPath, KINDS } from './resources.ts';
import { REPLICASETS } from './revisions.ts';

/** The kinds each controller kind creates and owns. */
export const OWNED_KINDS: Readonly<Record<string, readonly ResourceKind[]>> = {
  Deployment: [REPLICASETS],
  ReplicaSet: [KINDS.pods],
  StatefulSet: [KINDS.pods],
  DaemonSet: [KINDS.pods],
  Job: [KINDS.pods],
  CronJob: [KINDS.jobs],
};

interface Metadata {
  metadata?: { name?: string; ownerReferences?: Array<{ kind?: string; name?: string }> };
}

/**
 * The dependents of kind/name in a namespace, depth first (replicaset/web-7d4, pod/web-7d4-x2, …). Owners are
 * matched by kind and name, so the object itself need not be readable. `canList` says whether the role may list a kind;
 * the kinds it may not are returned as unknown.
 */
export async function dependentsOf(
  kube: KubeClient, namespace: string, kind: string, name: string,
  canList: (kind: ResourceKind) => Promise<boolean>, signal?: AbortSignal,
): Promise<{ owned: string[]; unlisted: string[] }> {
  const owned: string[] = [];
  const unlisted = new Set<string>();
  const walk = async (ownerKind: string, ownerName: string): Promise<void> => {
    for (const child of OWNED_KINDS[ownerKind] ?? []) {
      if (!(await canList(child))) {
        unlisted.add(child.resource);
        continue;
      }
      const list = await kube.json<{ items?: Metadata[] }>({
        path: collectionPath(child, namespace),
        accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json',
        signal,
      });
      for (const item of list.items ?? []) {
        if (!(item.metadata?.ownerReferences ?? []).some((r) => r.kind === ownerKind && r.name === ownerName)) continue;
        const childName = item.metadata?.name ?? '';
        owned.push(`${child.kind.toLowerCase()}/${childName}`);
        await walk(child.kind, childName);
      }
    }
  };
  await walk(kind, name);
  return { owned, unlisted: [...unlisted] };
}
