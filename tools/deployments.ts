// Deployments: read, scale, rolling restart (the operator role).
import { z } from 'zod';
import { defineTool, type ToolContext } from '../src/tool.ts';
import { KINDS, objectPath } from '../src/kube/resources.ts';
import { fixed } from '../src/rbac/needs.ts';
import { objectName } from '../src/kube/names.ts';
import { getTool, listTool, permission } from './common.ts';

const deployments = KINDS.deployments;

export const deploymentsList = listTool({
  name: 'deployments_list',
  title: 'List deployments',
  description: 'List deployments: ready/desired, up-to-date, available, age.',
  kind: deployments,
  row: { name: z.string(), ready: z.string(), upToDate: z.number(), available: z.number(), age: z.string() },
  from: { upToDate: 'up-to-date' },
});

export const deploymentsGet = getTool({ name: 'deployments_get', title: 'Get a deployment', description: 'Get one deployment as JSON.', kind: deployments });

/**
 * A scale-up asks first when it goes above this many replicas and more than doubles the count: 2 to 10 is routine,
 * 3 to 1,000 is not (capacity, quotas, cost, a database's connection limit). Scaling to 0 asks too; other changes do not.
 */
export const LARGE_SCALE_UP = 10;

/** Whether going from `current` to `target` replicas needs the user's yes, and the words of the question. */
export function scaleQuestion(deployment: string, current: number | undefined, target: number): string | undefined {
  if (target === 0) return `Scale deployment ${deployment} to 0, stopping all its pods?`;
  if (current === undefined || target <= LARGE_SCALE_UP || target <= 2 * current) return undefined;
  return `Scale deployment ${deployment} up from ${current} to ${target} replicas (above ${LARGE_SCALE_UP} and more than twice as many)?`;
}

/** The deployment's scale as it is, read with the patch permission the tool has: an empty merge patch, dry run. */
async function currentReplicas(ctx: ToolContext, namespace: string | undefined, name: string): Promise<number | undefined> {
  const scale = await ctx.kube.json<{ spec?: { replicas?: number } }>({
    method: 'PATCH', path: objectPath(deployments, namespace, name, 'scale'), query: { dryRun: 'All' },
    body: '{}', contentType: 'application/merge-patch+json', signal: ctx.signal,
  });
  return scale.spec?.replicas ?? 0;
}

export const deploymentsScale = defineTool({
  name: 'deployments_scale',
  title: 'Scale a deployment',
  description: 'Set the replica count of a deployment (0 stops all its pods).',
  input: { name: objectName, replicas: z.number().int().min(0).max(1000) },
  output: { name: z.string(), replicas: z.number(), previous: z.number() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  needs: fixed(permission(deployments, 'patch', 'scale')),
  asksUser: true,
  plan: (args, ctx) => ({
    async question() {
      const deployment = `${args.namespace}/${args.name}`;
      // The count is read only where it decides: a target of at most 10 (or 0) asks or not whatever it is.
      const current = args.replicas > LARGE_SCALE_UP ? await currentReplicas(ctx, args.namespace, args.name) : undefined;
      return scaleQuestion(deployment, current, args.replicas);
    },
    async run() {
      const scale = await ctx.kube.json<{ spec?: { replicas?: number }; status?: { replicas?: number } }>({
        method: 'PATCH',
        path: objectPath(deployments, args.namespace, args.name, 'scale'),
        body: { spec: { replicas: args.replicas } },
        contentType: 'application/merge-patch+json',
        signal: ctx.signal,
      });
      const previous = scale.status?.replicas ?? 0;
      return {
        text: `deployment ${args.namespace}/${args.name} scaled to ${args.replicas} (was ${previous})`,
        structured: { name: args.name, replicas: scale.spec?.replicas ?? args.replicas, previous },
      };
    },
  }),
});

export const deploymentsRestart = defineTool({
  name: 'deployments_restart',
  title: 'Restart a deployment',
  description: 'Rolling restart of a deployment\'s pods (like kubectl rollout restart).',
  input: { name: objectName },
  output: { name: z.string(), restartedAt: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  needs: fixed(permission(deployments, 'patch')),
  asksUser: true,
  plan: (args, ctx) => ({
    question: () => `Restart every pod of deployment ${args.namespace}/${args.name}?`,
    async run() {
      const restartedAt = ctx.now().toISOString();
      await ctx.kube.json({
        method: 'PATCH',
        path: objectPath(deployments, args.namespace, args.name),
        body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } } },
        contentType: 'application/strategic-merge-patch+json',
        signal: ctx.signal,
      });
      return { text: `deployment ${args.namespace}/${args.name} restarting (restartedAt=${restartedAt})`, structured: { name: args.name, restartedAt } };
    },
  }),
});
