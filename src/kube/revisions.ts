// The revisions of a workload, as kubectl rollout reads them: a Deployment's ReplicaSets (revision annotation),
// a StatefulSet's or DaemonSet's ControllerRevisions. Each owned by the workload (owner UID), newest first.
import type { KubeClient } from './client.ts';
import { type ResourceKind, collectionPath } from './resources.ts';
import { age, type KubeObject } from '../format.ts';
import type { Revision } from '../describe.ts';

export const REPLICASETS: ResourceKind = { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true };
export const CONTROLLER_REVISIONS: ResourceKind = { group: 'apps', version: 'v1', resource: 'controllerrevisions', kind: 'ControllerRevision', namespaced: true };

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { containers?: Array<{ name: string; image?: string }> };
  [key: string]: unknown;
}

export interface Workload extends KubeObject {
  spec?: { selector?: { matchLabels?: Record<string, string> }; template?: PodTemplate; replicas?: number };
}

export interface TemplateRevision extends Revision {
  template: PodTemplate;
}

/** The kind that holds a workload's revisions: ReplicaSets for Deployments, ControllerRevisions otherwise. */
export function revisionKind(workloadKind: string): ResourceKind {
  return workloadKind === 'Deployment' ? REPLICASETS : CONTROLLER_REVISIONS;
}

interface Owned extends KubeObject {
  revision?: number;
  data?: { spec?: { template?: PodTemplate } };
  spec?: { replicas?: number; template?: PodTemplate };
  status?: { readyReplicas?: number };
}

/** A template without the labels the controllers add per revision: what two revisions really differ in. */
export function plainTemplate(template: PodTemplate | undefined): PodTemplate {
  const labels = { ...(template?.metadata?.labels ?? {}) };
  delete labels['pod-template-hash'];
  delete labels['controller-revision-hash'];
  // A ControllerRevision stores its template as a strategic merge patch that replaces the whole template.
  const { $patch: _replace, ...rest } = template ?? {};
  return { ...rest, metadata: { ...template?.metadata, labels } };
}

export async function revisionsOf(kube: KubeClient, workload: Workload, now: Date, signal?: AbortSignal): Promise<TemplateRevision[]> {
  const kind = revisionKind(workload.kind ?? '');
  const selector = Object.entries(workload.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const list = await kube.json<{ items?: Owned[] }>({ path: collectionPath(kind, workload.metadata?.namespace), query: { labelSelector: selector }, signal });
  const uid = workload.metadata?.['uid'];
  return (list.items ?? [])
    .filter((o) => ((o.metadata?.['ownerReferences'] ?? []) as Array<{ uid?: string }>).some((r) => r.uid === uid))
    .map((o) => {
      const template = plainTemplate(kind === REPLICASETS ? o.spec?.template : o.data?.spec?.template);
      const revision = kind === REPLICASETS ? Number(o.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0) : (o.revision ?? 0);
      return {
        revision,
        name: o.metadata?.name ?? '',
        ...(kind === REPLICASETS ? { pods: `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}` } : {}),
        images: (template.spec?.containers ?? []).map((c) => c.image ?? ''),
        age: age(o.metadata?.creationTimestamp, now),
        template,
      };
    })
    .sort((a, b) => b.revision - a.revision);
}
