// resources_delete: any kind the role may delete, with kubectl's propagation policies. Confirmed after a
// server-side dry run, and the question names what the delete cascades to.
import { z } from 'zod';
import { defineTool, type ToolContext } from '../src/tool.ts';
import { objectPath } from '../src/kube/resources.ts';
import { dependentsOf } from '../src/kube/dependents.ts';
import type { ServedResource } from '../src/kube/api-resources.ts';
import { anyKind } from '../src/rbac/needs.ts';
import { objectName } from '../src/kube/names.ts';
import { permission } from './common.ts';
import { probes, resolveCall, resourceArgument } from './resources.ts';

const propagation = z.enum(['Background', 'Foreground', 'Orphan']).default('Background')
  .describe('Background/Foreground delete what the object owns; Orphan keeps it');

interface DeleteArgs { resource: string; name: string; namespace?: string; propagationPolicy: 'Background' | 'Foreground' | 'Orphan' }

function remove(ctx: ToolContext, served: ServedResource, args: DeleteArgs, dryRun: boolean) {
  return ctx.kube.json({
    method: 'DELETE',
    path: objectPath(served, served.namespaced ? args.namespace : undefined, args.name),
    // The options as query parameters, not a DeleteOptions body (a body would override them): the dry run shows in
    // the API server's audit log.
    query: { propagationPolicy: args.propagationPolicy, dryRun: dryRun ? 'All' : undefined },
    signal: ctx.signal,
  });
}

/** What goes with the object: its owned objects (those the role may list), or that they are kept. */
async function cascade(ctx: ToolContext, served: ServedResource, args: DeleteArgs): Promise<string> {
  if (!served.namespaced || !args.namespace) return '';
  const { owned, unlisted } = await dependentsOf(ctx.kube, args.namespace, served.kind, args.name,
    (kind) => ctx.permissions.allows(permission(kind, 'list'), args.namespace), ctx.signal);
  const parts = [...owned, ...unlisted.map((r) => `any ${r} it owns (the role cannot list ${r})`)];
  if (!parts.length) return ' It owns no objects that the garbage collector would delete.';
  return args.propagationPolicy === 'Orphan' ? ` Kept (orphaned): ${parts.join(', ')}.` : ` This also deletes: ${parts.join(', ')}.`;
}

export const resourcesDelete = defineTool({
  name: 'resources_delete',
  title: 'Delete any resource',
  description: 'Delete one object of any kind the role may delete; names what cascades.',
  input: { resource: resourceArgument, name: objectName, propagationPolicy: propagation },
  output: { deleted: z.string(), propagationPolicy: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  needs: anyKind('delete', 'uncovered', probes('delete')),
  asksUser: true,
  async plan(args, ctx) {
    const { served, need } = await resolveCall(ctx, args, 'delete');
    return {
      needs: [need],
      async question() {
        await remove(ctx, served, args, true); // the server's own checks (existence, admission) before the user is asked
        const where = served.namespaced ? `${args.namespace}/` : '';
        return `Delete ${served.kind.toLowerCase()} ${where}${args.name} (${args.propagationPolicy})?${await cascade(ctx, served, args)}`;
      },
      async run() {
        await remove(ctx, served, args, false);
        const deleted = `${served.kind.toLowerCase()}/${args.name}${served.namespaced ? ` in ${args.namespace}` : ''}`;
        return { text: `deleted ${deleted} (${args.propagationPolicy})`, structured: { deleted, propagationPolicy: args.propagationPolicy } };
      },
    };
  },
});
