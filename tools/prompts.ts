// The prompts: short recipes for the diagnoses an agent is asked for most, each naming the tools it uses. A prompt is
// offered only where every one of its tools is (src/policy/offer.ts), so it never sends the agent to a tool the
// role does not grant.
import { KINDS } from '../src/kube/resources.ts';
import type { PromptArgument, PromptDeclaration } from '../src/prompt.ts';

const namespace: PromptArgument = { name: 'namespace', description: 'namespace of the object', source: { from: 'namespaces' } };

export const diagnosePod: PromptDeclaration = {
  name: 'diagnose_pod',
  title: 'Diagnose a pod',
  description: 'Why a pod is failing: its state, recent logs and events.',
  arguments: [namespace, { name: 'name', description: 'the pod', source: { from: 'names', kind: KINDS.pods } }],
  tools: ['pods_get', 'pods_log', 'events_list'],
  render: ({ namespace: ns, name }) => [
    `Diagnose pod ${ns}/${name}. Read only; change nothing.`,
    `1. pods_get (namespace ${ns}, name ${name}): phase, conditions, each container's state, restarts and last termination reason.`,
    `2. pods_log (namespace ${ns}, name ${name}, tail 100; with previous: true when a container restarted): the last errors.`,
    `3. events_list (namespace ${ns}, fieldSelector involvedObject.name=${name}): scheduling, image pulls, probes, OOM kills.`,
    'Answer with the most likely cause, the evidence for it, and the fix to propose to the user.',
  ].join('\n'),
};

export const deploymentNotReady: PromptDeclaration = {
  name: 'deployment_not_ready',
  title: 'Why is this deployment not ready',
  description: 'Why a deployment has fewer ready replicas than it wants: rollout, pods, events.',
  arguments: [namespace, { name: 'name', description: 'the deployment', source: { from: 'names', kind: KINDS.deployments } }],
  tools: ['deployments_get', 'pods_list', 'events_list'],
  render: ({ namespace: ns, name }) => [
    `Find out why deployment ${ns}/${name} is not ready. Read only; change nothing.`,
    `1. deployments_get (namespace ${ns}, name ${name}): desired, updated, ready and available replicas, conditions, selector.`,
    `2. pods_list (namespace ${ns}, labelSelector from that selector): which pods are not Running or not ready, and their restarts.`,
    `3. events_list (namespace ${ns}): failed scheduling, image pulls, probes, quota, for the deployment, its ReplicaSets and pods.`,
    'Answer with the most likely cause, the evidence for it, and the fix to propose to the user.',
  ].join('\n'),
};

export const prompts: readonly PromptDeclaration[] = [diagnosePod, deploymentNotReady];
