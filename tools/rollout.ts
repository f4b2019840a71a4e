// rollout_status, rollout_history, rollout_undo: kubectl rollout for Deployments, StatefulSets and DaemonSets.
// Each kind is offered where the role grants its permissions; undo is confirmed with the template diff.
import { z } from 'zod';
import { defineTool, ToolError, type ToolContext } from '../src/tool.ts';
import { table } from '../src/format.ts';
import { toYaml } from '../src/diff.ts';
import { rolloutStatus } from '../src/rollout.ts';
import { KINDS, type ResourceKind, getObject, objectPath } from '../src/kube/resources.ts';
import { plainTemplate, revisionKind, revisionsOf, type TemplateRevision, type Workload } from '../src/kube/revisions.ts';
import type { Permission } from '../src/rbac/permission.ts';
import { perKind } from '../src/rbac/needs.ts';
import { objectName } from '../src/kube/names.ts';
import { permission, READ_ONLY } from './common.ts';
import { changeDiff, serialised } from './writes.ts';

const WORKLOADS = { deployment: KINDS.deployments, statefulset: KINDS.statefulsets, daemonset: KINDS.daemonsets } as const;
type WorkloadKind = keyof typeof WORKLOADS;

const kindArgument = z.enum(['deployment', 'statefulset', 'daemonset']);

/** Per kind: get on the workload, plus what `extra` adds (reading revisions, patching). */
function eachKind(extra: (workload: ResourceKind) => Permission[]): Record<string, Permission[]> {
  return Object.fromEntries(Object.entries(WORKLOADS).map(([k, kind]) => [k, [permission(kind, 'get'), ...extra(kind)]]));
}
const readRevisions = (workload: ResourceKind) => [permission(revisionKind(workload.kind), 'list')];
const statusKinds = eachKind(() => []);
const historyKinds = eachKind(readRevisions);
const undoKinds = eachKind((workload) => [...readRevisions(workload), permission(workload, 'patch')]);

interface Target { kind: WorkloadKind; name: string; namespace?: string }

function read(ctx: ToolContext, args: Target): Promise<Workload> {
  return getObject<Workload>(ctx.kube, WORKLOADS[args.kind], args.namespace, args.name, ctx.signal);
}

export const rolloutStatusTool = defineTool({
  name: 'rollout_status',
  title: 'Rollout status',
  description: 'Whether a rollout is complete, as kubectl rollout status says it (one reading, no watch).',
  input: { kind: kindArgument, name: objectName },
  output: { done: z.boolean(), message: z.string() },
  annotations: READ_ONLY,
  needs: perKind(statusKinds),
  plan: (args, ctx) => ({
    async run() {
      const status = rolloutStatus(await read(ctx, args));
      return { text: status.message, structured: status };
    },
  }),
});

const revisionNumber = z.number().int().min(1).max(1_000_000);

export const rolloutHistory = defineTool({
  name: 'rollout_history',
  title: 'Rollout history',
  description: 'The revisions of a workload, newest first; with revision, that revision\'s pod template.',
  input: { kind: kindArgument, name: objectName, revision: revisionNumber.optional() },
  output: { columns: z.array(z.string()), rows: z.array(z.array(z.unknown())), template: z.string().optional() },
  annotations: READ_ONLY,
  needs: perKind(historyKinds),
  plan: (args, ctx) => ({
    async run() {
      const revisions = await revisionsOf(ctx.kube, await read(ctx, args), ctx.now(), ctx.signal);
      const columns = ['revision', 'name', 'changeCause', 'images', 'age'];
      const rows = revisions.map((r) => [r.revision, r.name, r.template.metadata?.annotations?.['kubernetes.io/change-cause'] ?? '', r.images.join(','), r.age]);
      if (args.revision === undefined) return { text: table(columns, rows), structured: { columns, rows } };
      const chosen = revisions.find((r) => r.revision === args.revision);
      if (!chosen) throw new ToolError(`${args.kind} ${args.namespace}/${args.name} has no revision ${args.revision}; revisions: ${revisions.map((r) => r.revision).join(', ') || 'none'}`);
      const template = await toYaml(chosen.template);
      return { text: `revision ${chosen.revision} (${chosen.name}):\n${template}`, structured: { columns, rows, template } };
    },
  }),
});

/** kubectl's choice: the given revision, or the newest one before the current. */
function undoTarget(revisions: TemplateRevision[], toRevision: number | undefined, what: string): TemplateRevision {
  const target = toRevision ? revisions.find((r) => r.revision === toRevision) : revisions[1];
  if (!target) throw new ToolError(toRevision ? `unable to find revision ${toRevision} of ${what} (revisions: ${revisions.map((r) => r.revision).join(', ')})` : `no rollout history of ${what} to undo to`);
  return target;
}

async function undoPlan(ctx: ToolContext, args: Target & { toRevision?: number }) {
  const workload = await read(ctx, args);
  const what = `${args.kind} ${args.namespace}/${args.name}`;
  const target = undoTarget(await revisionsOf(ctx.kube, workload, ctx.now(), ctx.signal), args.toRevision, what);
  const diff = await changeDiff(plainTemplate(workload.spec?.template), target.template, what);
  const patch = (dryRun: boolean) => ctx.kube.json({
    method: 'PATCH',
    path: objectPath(WORKLOADS[args.kind], args.namespace, args.name),
    query: { dryRun: dryRun ? 'All' : undefined },
    // The resourceVersion read is a precondition: a workload changed since then answers 409 (stale), never a silent overwrite.
    body: serialised([
      { op: 'replace', path: '/metadata/resourceVersion', value: workload.metadata?.['resourceVersion'] },
      { op: 'replace', path: '/spec/template', value: target.template },
    ], what),
    contentType: 'application/json-patch+json',
    signal: ctx.signal,
  });
  return { what, target, diff, patch };
}

export const rolloutUndo = defineTool({
  name: 'rollout_undo',
  title: 'Undo a rollout',
  description: 'Roll a workload back to the previous revision (or toRevision), as kubectl rollout undo; confirmed with the template diff.',
  input: { kind: kindArgument, name: objectName, toRevision: revisionNumber.optional() },
  output: { revision: z.number(), skipped: z.boolean() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  needs: perKind(undoKinds),
  asksUser: true,
  plan: (args, ctx) => {
    // Read once per call: where the question and the rollback run in one call (nothing to change, or a confirm
    // argument), both work from the same revisions.
    let read: ReturnType<typeof undoPlan> | undefined;
    const undoOnce = () => (read ??= undoPlan(ctx, args));
    return {
      async question() {
        const undo = await undoOnce();
        if (!undo.diff) return undefined; // nothing would change: kubectl skips it too
        await undo.patch(true);
        return `Roll ${undo.what} back to revision ${undo.target.revision}?\n${undo.diff}\n`;
      },
      async run() {
        const undo = await undoOnce();
        if (!undo.diff) return { text: `skipped rollback: the template already matches revision ${undo.target.revision}`, structured: { revision: undo.target.revision, skipped: true } };
        await undo.patch(false);
        return { text: `${undo.what} rolled back to revision ${undo.target.revision}`, structured: { revision: undo.target.revision, skipped: false } };
      },
    };
  },
});
