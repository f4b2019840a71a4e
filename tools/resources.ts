// Generic reads for any kind the role grants (CRDs included): the escape hatch, still bounded by RBAC.
import { z } from 'zod';
import { defineTool, ToolError, type ToolContext } from '../src/tool.ts';
import { age, redactSecret, stripNoise, type KubeObject } from '../src/format.ts';
import { findResource, type ServedResource } from '../src/kube/api-resources.ts';
import { getObject, listPage } from '../src/kube/resources.ts';
import type { Permission } from '../src/rbac/permission.ts';
import { listInput, objectName, READ_ONLY, tableOutput, tableResult } from './common.ts';

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

/** Secrets keep their keys and lose their values, whichever tool reads them. */
export function safeObject(object: KubeObject): KubeObject {
  return object.kind === 'Secret' ? redactSecret(object) : stripNoise(object);
}

export const resourcesList = defineTool({
  name: 'resources_list',
  title: 'List any resource',
  description: 'List objects of any kind the role may list (CRDs too): name, namespace, age.',
  input: { resource: resourceArgument, ...listInput },
  namespaceArgument: 'optional',
  output: { kind: z.string(), ...tableOutput({ name: z.string(), namespace: z.string(), age: z.string() }) },
  annotations: READ_ONLY,
  permissions: [],
  advertisedFor: { verb: 'list', probes: probes('list') },
  async permissionsFor(args, ctx) {
    return [permissionOf(await resolve(ctx, args.resource, 'list'), 'list')];
  },
  async handler(args, ctx) {
    const served = await resolve(ctx, args.resource, 'list');
    const page = await listPage(ctx.kube, served, { ...args, namespace: served.namespaced ? args.namespace : undefined, signal: ctx.signal });
    const now = ctx.now();
    const rows = page.items.map((o) => [o.metadata?.name ?? '', o.metadata?.namespace ?? '', age(o.metadata?.creationTimestamp, now)]);
    const result = tableResult(['name', 'namespace', 'age'], rows, page.continue, `No ${served.resource}.`);
    return { text: result.text, structured: { kind: served.kind, ...result.structured } };
  },
});

export const resourcesGet = defineTool({
  name: 'resources_get',
  title: 'Get any resource',
  description: 'Get one object of any kind the role may get, as JSON. Secret values are never shown.',
  input: { resource: resourceArgument, name: objectName },
  namespaceArgument: 'optional',
  output: { object: z.record(z.string(), z.unknown()) },
  annotations: READ_ONLY,
  permissions: [],
  advertisedFor: { verb: 'get', probes: probes('get') },
  async permissionsFor(args, ctx) {
    return [permissionOf(await resolve(ctx, args.resource, 'get'), 'get')];
  },
  async handler(args, ctx) {
    const served = await resolve(ctx, args.resource, 'get');
    const object = safeObject(await getObject(ctx.kube, served, served.namespaced ? args.namespace : undefined, args.name, ctx.signal));
    return { text: JSON.stringify(object), structured: { object } };
  },
});
