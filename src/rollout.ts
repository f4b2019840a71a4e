// kubectl rollout status, for one reading (kubectl's --watch=false): the same messages from the same fields.
// Pure: the workload object in, whether the rollout is done and what kubectl would say out.
import type { Condition } from './describe.ts';

interface WorkloadStatus {
  kind?: string;
  metadata?: { name?: string; generation?: number };
  spec?: { replicas?: number; updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    conditions?: Condition[];
  };
}

export interface RolloutStatus {
  done: boolean;
  message: string;
}

export function rolloutStatus(w: WorkloadStatus): RolloutStatus {
  const s = w.status ?? {};
  const name = w.metadata?.name ?? '';
  const kind = (w.kind ?? '').toLowerCase();
  if ((w.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) return { done: false, message: `Waiting for ${kind} spec update to be observed...` };
  if (w.kind === 'Deployment') {
    const progressing = s.conditions?.find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') return { done: false, message: `deployment "${name}" exceeded its progress deadline` };
    const desired = w.spec?.replicas ?? 1;
    const updated = s.updatedReplicas ?? 0;
    if (updated < desired) return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...` };
    if ((s.replicas ?? 0) > updated) return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${(s.replicas ?? 0) - updated} old replicas are pending termination...` };
    if ((s.availableReplicas ?? 0) < updated) return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${s.availableReplicas ?? 0} of ${updated} updated replicas are available...` };
    return { done: true, message: `deployment "${name}" successfully rolled out` };
  }
  if (w.kind === 'DaemonSet') {
    if (w.spec?.updateStrategy?.type !== 'RollingUpdate') return { done: true, message: 'rollout status is only available for RollingUpdate strategy type' };
    const desired = s.desiredNumberScheduled ?? 0;
    if ((s.updatedNumberScheduled ?? 0) < desired) return { done: false, message: `Waiting for daemon set "${name}" rollout to finish: ${s.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...` };
    if ((s.numberAvailable ?? 0) < desired) return { done: false, message: `Waiting for daemon set "${name}" rollout to finish: ${s.numberAvailable ?? 0} of ${desired} updated pods are available...` };
    return { done: true, message: `daemon set "${name}" successfully rolled out` };
  }
  // StatefulSet
  if (w.spec?.updateStrategy?.type !== 'RollingUpdate') return { done: true, message: 'rollout status is only available for RollingUpdate strategy type' };
  const desired = w.spec?.replicas ?? 1;
  if ((s.readyReplicas ?? 0) < desired) return { done: false, message: `Waiting for ${desired - (s.readyReplicas ?? 0)} pods to be ready...` };
  const partition = w.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  if (partition > 0) {
    if ((s.updatedReplicas ?? 0) < desired - partition) {
      return { done: false, message: `Waiting for partitioned roll out to finish: ${s.updatedReplicas ?? 0} out of ${desired - partition} new pods have been updated...` };
    }
    return { done: true, message: `partitioned roll out complete: ${s.updatedReplicas ?? 0} new pods have been updated...` };
  }
  if (s.updateRevision !== s.currentRevision) {
    return { done: false, message: `waiting for statefulset rolling update to complete ${s.updatedReplicas ?? 0} pods at revision ${s.updateRevision}...` };
  }
  return { done: true, message: `statefulset rolling update complete ${s.currentRevision ? `${s.readyReplicas ?? 0} pods at revision ${s.currentRevision}` : ''}...` };
}
