// cronjobs_trigger: run a CronJob now, as `kubectl create job --from=cronjob/<name>` does: a Job from its template,
// annotated as a manual run and owned by the CronJob. Confirmed after the server's dry run.
import { z } from 'zod';
import { defineTool, type ToolContext } from '../src/tool.ts';
import type { KubeObject } from '../src/format.ts';
import { KINDS, collectionPath, getObject } from '../src/kube/resources.ts';
import { objectName, permission } from './common.ts';

interface CronJob extends KubeObject {
  spec?: { jobTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown } };
}

/** The Job kubectl would create: the template's spec and metadata, the manual-run annotation, the CronJob as owner. */
export function jobFromCronJob(cronJob: CronJob, jobName: string): KubeObject {
  const template = cronJob.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName,
      namespace: cronJob.metadata?.namespace,
      labels: template.metadata?.labels,
      annotations: { ...template.metadata?.annotations, 'cronjob.kubernetes.io/instantiate': 'manual' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata?.name, uid: cronJob.metadata?.['uid'], controller: true }],
    },
    spec: template.spec,
  };
}

async function createJob(ctx: ToolContext, args: { name: string; namespace?: string; jobName?: string }, dryRun: boolean): Promise<string> {
  const cronJob = await getObject<CronJob>(ctx.kube, KINDS.cronjobs, args.namespace, args.name, ctx.signal);
  // kubectl leaves the name to the user; a minute stamp keeps two manual runs apart and within a label's 63 characters.
  const jobName = args.jobName ?? `${args.name.slice(0, 44)}-manual-${Math.floor(ctx.now().getTime() / 60_000).toString(36)}`;
  await ctx.kube.json({
    method: 'POST',
    path: collectionPath(KINDS.jobs, args.namespace),
    query: { dryRun: dryRun ? 'All' : undefined },
    body: jobFromCronJob(cronJob, jobName),
    signal: ctx.signal,
  });
  return jobName;
}

export const cronjobsTrigger = defineTool({
  name: 'cronjobs_trigger',
  title: 'Trigger a cron job',
  description: 'Run a cron job now: create a job from its template (kubectl create job --from=cronjob/NAME).',
  input: { name: objectName, jobName: objectName.max(63).optional().describe('default: NAME-manual-<stamp>') },
  output: { job: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  permissions: [permission(KINDS.cronjobs, 'get'), permission(KINDS.jobs, 'create')],
  async confirm(args, ctx) {
    const job = await createJob(ctx, args, true);
    return `Create job ${args.namespace}/${job} from cron job ${args.name}, running its pods now?`;
  },
  async handler(args, ctx) {
    const job = await createJob(ctx, args, false);
    return { text: `job ${args.namespace}/${job} created from cron job ${args.name}`, structured: { job } };
  },
});
