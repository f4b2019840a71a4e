// cronjobs_trigger: run a CronJob now, as `kubectl create job --from=cronjob/<name>` does: a Job from its template,
// annotated as a manual run and owned by the CronJob. Confirmed after the server's dry run.
import { z } from 'zod';
import { defineTool, type ToolContext } from '../src/tool.ts';
import type { KubeObject } from '../src/format.ts';
import { KINDS, collectionPath, getObject } from '../src/kube/resources.ts';
import { fixed } from '../src/rbac/needs.ts';
import { objectName } from '../src/kube/names.ts';
import { permission } from './common.ts';

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

/** The characters Kubernetes draws a generated name's suffix from (no vowels, no look-alikes), as kubectl's names show. */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SUFFIX_LENGTH = 5;
/** A Job's name is a label value too (job-name): at most 63 characters. */
const MAX_JOB_NAME = 63;

/** A default name for a manual run: NAME-manual-xxxxx with a random suffix, shortened to fit 63 characters. */
export function manualJobName(cronJob: string, random: (n: number) => number = (n) => process.getBuiltinModule('node:crypto').randomInt(n)): string {
  const suffix = Array.from({ length: SUFFIX_LENGTH }, () => SUFFIX_ALPHABET[random(SUFFIX_ALPHABET.length)]).join('');
  const head = cronJob.slice(0, MAX_JOB_NAME - '-manual-'.length - SUFFIX_LENGTH).replace(/[-.]+$/, '');
  return `${head}-manual-${suffix}`;
}

const question = (namespace: string | undefined, job: string, cronJob: string) => `Create job ${namespace}/${job} from cron job ${cronJob}, running its pods now?`;

/** The job name a question put to the user: a yes to that question creates exactly that name. */
function approvedJobName(approved: string | undefined, namespace: string | undefined, cronJob: string): string | undefined {
  const [before, after] = question(namespace, '\0', cronJob).split('\0') as [string, string];
  if (!approved?.startsWith(before) || !approved.endsWith(after)) return undefined;
  const name = approved.slice(before.length, approved.length - after.length);
  return objectName.max(MAX_JOB_NAME).safeParse(name).success ? name : undefined;
}

async function createJob(ctx: ToolContext, args: { name: string; namespace?: string }, jobName: string, dryRun: boolean): Promise<void> {
  const cronJob = await getObject<CronJob>(ctx.kube, KINDS.cronjobs, args.namespace, args.name, ctx.signal);
  await ctx.kube.json({
    method: 'POST',
    path: collectionPath(KINDS.jobs, args.namespace),
    query: { dryRun: dryRun ? 'All' : undefined },
    body: jobFromCronJob(cronJob, jobName),
    signal: ctx.signal,
  });
}

export const cronjobsTrigger = defineTool({
  name: 'cronjobs_trigger',
  title: 'Trigger a cron job',
  description: 'Run a cron job now: create a job from its template (kubectl create job --from=cronjob/NAME).',
  input: { name: objectName, jobName: objectName.max(MAX_JOB_NAME).optional().describe('default: NAME-manual-<random>') },
  output: { job: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  needs: fixed(permission(KINDS.cronjobs, 'get'), permission(KINDS.jobs, 'create')),
  asksUser: true,
  plan: (args, ctx) => {
    // A random suffix, drawn once per call: the question names the job exactly, and a yes to it creates that name
    // (carried back with the answer); a call that asks and creates at once creates the name it dry-ran.
    const drawn = args.jobName ?? manualJobName(args.name);
    return {
      async question() {
        await createJob(ctx, args, drawn, true);
        return question(args.namespace, drawn, args.name);
      },
      async run(approved) {
        const job = args.jobName ?? approvedJobName(approved, args.namespace, args.name) ?? drawn;
        await createJob(ctx, args, job, false);
        return { text: `job ${args.namespace}/${job} created from cron job ${args.name}`, structured: { job } };
      },
    };
  },
});
