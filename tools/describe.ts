// resources_describe: one object as `kubectl describe` helps a person read it. What the role cannot read
// (events, revisions) is left out and said so; a Secret shows its type and number of keys, its data never read.
import { z } from 'zod';
import { defineTool, type ToolContext } from '../src/tool.ts';
import { age, type KubeObject } from '../src/format.ts';
import { type Condition, conditionLine, oneLine, podContainers, renderLines } from '../src/describe.ts';
import { KINDS, listTablePage } from '../src/kube/resources.ts';
import { revisionKind, revisionsOf, type Workload } from '../src/kube/revisions.ts';
import type { ServedResource } from '../src/kube/api-resources.ts';
import { describePermission, type Permission } from '../src/rbac/permission.ts';
import { anyKind } from '../src/rbac/needs.ts';
import { objectName } from '../src/kube/names.ts';
import { permission, READ_ONLY } from './common.ts';
import { probes, readObject, resolveCall, resourceArgument } from './resources.ts';

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const EVENTS_SHOWN = 15;

type Described = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> & { conditions?: Condition[] }; data?: Record<string, string> };

/** Reads an optional part only where the role allows it; otherwise records what was left out and why. */
async function ifAllowed<T>(ctx: ToolContext, p: Permission, namespace: string | undefined, omitted: string[], what: string, read: () => Promise<T>): Promise<T | undefined> {
  if (await ctx.permissions.allows(p, namespace)) return read();
  omitted.push(`${what}: the role does not grant ${describePermission(p)}${namespace ? ` in ${namespace}` : ''}`);
  return undefined;
}

function compact(value: unknown, max = 2000): string {
  const json = JSON.stringify(value);
  return json.length > max ? `${json.slice(0, max)}… (${json.length} bytes; resources_get for all of it)` : json;
}

/** The kind-specific part: containers of a pod, replicas and revisions of a workload, data of a config. */
async function details(ctx: ToolContext, object: Described, omitted: string[]): Promise<Record<string, unknown>> {
  const now = ctx.now();
  const status = object.status ?? {};
  const namespace = object.metadata?.namespace;
  switch (object.kind) {
    case 'Pod': {
      const spec = object.spec as { nodeName?: string } | undefined;
      return { phase: status['phase'], reason: status['reason'], message: status['message'], node: spec?.nodeName, ip: status['podIP'], containers: podContainers(object, now) };
    }
    case 'Secret':
      return { type: object['type'], data: object.data };
    case 'ConfigMap':
      return { data: Object.fromEntries(Object.entries(object.data ?? {}).map(([k, v]) => [k, oneLine(v, 200)])) };
    default:
      break;
  }
  if (WORKLOADS.has(object.kind ?? '')) {
    const { conditions: _c, observedGeneration: _g, ...counts } = status;
    const kind = revisionKind(object.kind!);
    const revisions = await ifAllowed(ctx, permission(kind, 'list'), namespace, omitted, 'revisions',
      () => revisionsOf(ctx.kube, object as Workload, now, ctx.signal));
    return {
      replicas: object.spec?.['replicas'],
      strategy: compact(object.spec?.['strategy'] ?? object.spec?.['updateStrategy'], 300),
      status: counts,
      // The current and the previous revision: what a rollout moves between.
      revisions: revisions?.slice(0, 2).map(({ template: _t, ...r }) => r),
    };
  }
  const { conditions: _c, ...rest } = status;
  return { spec: object.spec ? compact(object.spec) : undefined, status: Object.keys(rest).length ? compact(rest, 1000) : undefined };
}

export const resourcesDescribe = defineTool({
  name: 'resources_describe',
  title: 'Describe a resource',
  description: 'One object as kubectl describe shows it: status, conditions, containers, revisions, recent events. Secret values never read.',
  input: { resource: resourceArgument, name: objectName },
  output: { description: z.record(z.string(), z.unknown()) },
  annotations: READ_ONLY,
  needs: anyKind('get', 'every', [...probes('get'), permission(KINDS.pods, 'get'), permission(KINDS.deployments, 'get')]),
  async plan(args, ctx) {
    const { served, need } = await resolveCall(ctx, args, 'get');
    return { needs: [need], run: () => describe(ctx, served, need.namespace, args.name) };
  },
});

/** The object as kubectl describe shows it: what the role cannot read is left out, and said so. */
async function describe(ctx: ToolContext, served: ServedResource, namespace: string | undefined, name: string) {
  // A Secret is described from its metadata and the server's table (type, number of keys): its data is never read.
  const object = (await readObject(ctx, served, namespace, name)) as Described;
  const now = ctx.now();
  const omitted: string[] = [];
  const meta = object.metadata ?? {};
  const events = namespace
    ? await ifAllowed(ctx, permission(KINDS.events, 'list'), namespace, omitted, 'events', async () => {
      const page = await listTablePage(ctx.kube, KINDS.events, {
        namespace, fieldSelector: `involvedObject.kind=${served.kind},involvedObject.name=${name}`, limit: 100, signal: ctx.signal,
      });
      const [seen, type, reason, message] = ['last seen', 'type', 'reason', 'message'].map((c) => page.columns.indexOf(c));
      return page.rows.slice(-EVENTS_SHOWN).map((e) => `${e[seen!]} ${e[type!]} ${e[reason!]}: ${oneLine(String(e[message!] ?? ''), 240)}`);
    })
    : undefined;
  const description = {
    kind: served.kind,
    name: meta.name,
    namespace: meta.namespace,
    age: age(meta.creationTimestamp, now),
    labels: meta.labels && Object.keys(meta.labels).length ? Object.entries(meta.labels).map(([k, v]) => `${k}=${v}`).join(',') : undefined,
    controlledBy: ((meta['ownerReferences'] ?? []) as Array<{ kind?: string; name?: string; controller?: boolean }>)
      .filter((o) => o.controller).map((o) => `${o.kind}/${o.name}`)[0],
    ...(await details(ctx, object, omitted)),
    conditions: (object.status?.conditions ?? []).map((c) => conditionLine(c, now)),
    events: events ?? undefined,
    omitted: omitted.length ? omitted : undefined,
  };
  const structured = JSON.parse(JSON.stringify(description)) as Record<string, unknown>; // drops the undefined fields
  return { text: renderLines(structured).join('\n'), structured: { description: structured } };
}
