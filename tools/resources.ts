// Generic reads for any kind the role grants (CRDs included): the escape hatch, still bounded by RBAC.
import { z } from 'zod';
import { defineTool, ToolError, type Need, type ToolContext } from '../src/tool.ts';
import { age, type KubeObject } from '../src/format.ts';
import { redactSecret, stripNoise } from '../src/redact.ts';
import { findResource, parseResourceArgument, type ServedResource } from '../src/kube/api-resources.ts';
import { getObject, getTableRow, listMetadataPage } from '../src/kube/resources.ts';
import type { Permission } from '../src/rbac/permission.ts';
import { anyKind } from '../src/rbac/needs.ts';
import { objectName } from '../src/kube/names.ts';
import { listInput, READ_ONLY, tableOutput, tableResult } from './common.ts';
import { isSecret } from './writes.ts';

export const resourceArgument = z.string().min(1).max(253).describe('plural, kind or short name, e.g. ingresses.networking.k8s.io');

export async function resolve(ctx: ToolContext, argument: string, verb: string): Promise<ServedResource> {
  const matches = findResource(await ctx.apiResources.list(), argument);
  if (matches.length === 0) throw new ToolError(`the cluster serves no resource "${argument}"; give a plural, kind or short name, e.g. deployments.apps`);
  if (matches.length > 1) throw new ToolError(`"${argument}" is ambiguous: ${matches.map((m) => `${m.resource}.${m.group || 'core'}`).join(', ')}; qualify it with its group`);
  const served = matches[0]!;
  if (!served.verbs.includes(verb)) throw new ToolError(`${served.resource} does not support ${verb}`);
  return served;
}

/** Common kinds no specific tool covers: asked about where another authorizer (EKS access policies) may grant them. */
const probeKinds = [
  ['apps', 'statefulsets'], ['apps', 'daemonsets'], ['apps', 'replicasets'], ['', 'persistentvolumeclaims'],
  ['networking.k8s.io', 'ingresses'], ['autoscaling', 'horizontalpodautoscalers'],
] as const;
export const probes = (verb: string): Permission[] => probeKinds.map(([group, resource]) => ({ group, resource, verb, scope: 'namespaced' }));

export function permissionOf(served: ServedResource, verb: string): Permission {
  return { group: served.group, resource: served.resource, verb, scope: served.namespaced ? 'namespaced' : 'cluster' };
}

/**
 * Refuses, before any request (even discovery's), a generic call that no grant of the role could allow: no rule in its
 * namespace (or anywhere in the scope) has the verb.
 */
export function refuseUngrantedVerb(ctx: ToolContext, verb: string, namespace: string | undefined): void {
  if (ctx.permissions.couldGrant(verb, namespace)) return;
  const where = namespace === undefined ? '' : ctx.permissions.namespaces.includes(namespace) ? ` in namespace ${namespace}` : ` in ${namespace}, which is outside this connection's scope (${ctx.permissions.namespaces.join(', ')})`;
  throw new ToolError(`Forbidden: this connection's RBAC role does not allow ${verb} on any resource${where}; no request was sent.`, 403);
}

/** The permission a call needs on a resolved kind: in the call's namespace for a namespaced kind, on the object it names. */
export function needOn(served: ServedResource, verb: string, namespace: string | undefined, name?: string): Need {
  return { permission: permissionOf(served, verb), ...(served.namespaced ? { namespace } : {}), ...(name === undefined ? {} : { name }) };
}

/**
 * The kind a generic call names, and what it needs of it. What the arguments and the discovered rules can refuse is
 * refused first, the same way for every generic tool, so that a call that cannot go ahead sends no request at all.
 */
export async function resolveCall(ctx: ToolContext, args: { resource: string; namespace?: string; name?: string }, verb: string): Promise<{ served: ServedResource; need: Need }> {
  const parsed = parseResourceArgument(args.resource);
  if (!parsed || parsed.subresource) throw new ToolError(`"${args.resource}" is not a resource name: give a plural, kind or short name, e.g. deployments.apps. No request was sent.`);
  refuseUngrantedVerb(ctx, verb, args.namespace);
  const served = await resolve(ctx, args.resource, verb);
  return { served, need: needOn(served, verb, args.namespace, args.name) };
}

/** A Secret as its metadata, type and number of keys: its data is never asked for, so it never enters the process. */
async function secretSummary(ctx: ToolContext, served: ServedResource, namespace: string | undefined, name: string): Promise<KubeObject> {
  const { object, cells } = await getTableRow(ctx.kube, served, namespace, name, ctx.signal);
  return {
    ...stripNoise({ ...object, apiVersion: 'v1', kind: 'Secret' }),
    type: cells['type'],
    data: `${cells['data'] ?? '?'} keys (values are never read)`,
  } as KubeObject;
}

/** One object as a read shows it: a Secret from its metadata and the server's table, any other kind whole. */
export async function readObject(ctx: ToolContext, served: ServedResource, namespace: string | undefined, name: string): Promise<KubeObject> {
  return isSecret(served) ? secretSummary(ctx, served, namespace, name) : safeObject(await getObject(ctx.kube, served, namespace, name, ctx.signal));
}

/** Secrets keep their keys and lose their values, whichever tool reads them. */
export function safeObject(object: KubeObject): KubeObject {
  return object.kind === 'Secret' ? redactSecret(object) : stripNoise(object);
}

export const resourcesList = defineTool({
  name: 'resources_list',
  title: 'List any resource',
  description: 'List objects of any kind the role may list (CRDs too): name, namespace, age.',
  input: { resource: resourceArgument, ...listInput },
  output: { kind: z.string(), ...tableOutput({ name: z.string(), namespace: z.string(), age: z.string() }) },
  annotations: READ_ONLY,
  needs: anyKind('list', 'uncovered', probes('list')),
  async plan(args, ctx) {
    const { served, need } = await resolveCall(ctx, args, 'list');
    return {
      needs: [need],
      async run() {
        // Metadata only: name, namespace and age need nothing else, and a Secret's data never enters this process.
        const page = await listMetadataPage(ctx.kube, served, { ...args, namespace: served.namespaced ? args.namespace : undefined, signal: ctx.signal });
        const now = ctx.now();
        const rows = page.items.map((o) => [o.metadata?.name ?? '', o.metadata?.namespace ?? '', age(o.metadata?.creationTimestamp, now)]);
        const result = tableResult(['name', 'namespace', 'age'], rows, page.continue, `No ${served.resource}.`);
        // The kind the argument resolved to (a short name such as "deploy" names it only indirectly).
        return { text: `kind: ${served.kind}\n${result.text}`, structured: { kind: served.kind, ...result.structured } };
      },
    };
  },
});

export const resourcesGet = defineTool({
  name: 'resources_get',
  title: 'Get any resource',
  description: 'Get one object of any kind the role may get, as JSON. Secrets: metadata, type and number of keys only.',
  input: { resource: resourceArgument, name: objectName },
  output: { object: z.record(z.string(), z.unknown()) },
  annotations: READ_ONLY,
  needs: anyKind('get', 'uncovered', probes('get')),
  async plan(args, ctx) {
    const { served, need } = await resolveCall(ctx, args, 'get');
    return {
      needs: [need],
      async run() {
        const object = await readObject(ctx, served, need.namespace, args.name);
        return { text: JSON.stringify(object), structured: { object } };
      },
    };
  },
});
