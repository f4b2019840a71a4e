// pods_top and nodes_top: `kubectl top` through metrics.k8s.io. Offered only where the cluster serves that API
// (an extension API server, usually metrics-server) and the role may list its objects.
import { z } from 'zod';
import { defineTool, type ToolContext } from '../src/tool.ts';
import { quantity } from '../src/format.ts';
import { type ResourceKind, collectionPath } from '../src/kube/resources.ts';
import { fixed } from '../src/rbac/needs.ts';
import { permission, READ_ONLY, tableOutput, tableResult } from './common.ts';

const POD_METRICS: ResourceKind = { group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', kind: 'PodMetrics', namespaced: true };
const NODE_METRICS: ResourceKind = { group: 'metrics.k8s.io', version: 'v1beta1', resource: 'nodes', kind: 'NodeMetrics', namespaced: false };

type Usage = { cpu?: string; memory?: string };
interface MetricsItem { metadata?: { name?: string }; usage?: Usage; containers?: Array<{ name: string; usage?: Usage }> }

/** kubectl top's figures: CPU in millicores, memory in MiB, rounded. */
function figures(usages: Usage[]): [number, number] {
  const sum = (key: keyof Usage) => usages.reduce((total, u) => total + (quantity(u[key] ?? '0') || 0), 0);
  return [Math.round(sum('cpu') * 1000), Math.round(sum('memory') / 2 ** 20)];
}

const topInput = {
  sortBy: z.enum(['cpu', 'memory']).optional(),
  labelSelector: z.string().max(1024).optional().describe('e.g. app=web'),
};
const row = { name: z.string(), cpuMillicores: z.number(), memoryMiB: z.number() };
const topOutput = tableOutput(row);
const columns = Object.keys(row);

async function top(ctx: ToolContext, kind: ResourceKind, args: { namespace?: string; sortBy?: 'cpu' | 'memory'; labelSelector?: string }) {
  const list = await ctx.kube.json<{ items?: MetricsItem[] }>({ path: collectionPath(kind, args.namespace), query: { labelSelector: args.labelSelector }, signal: ctx.signal });
  const rows: Array<[string, number, number]> = (list.items ?? []).map((item) => [item.metadata?.name ?? '', ...figures(item.usage ? [item.usage] : (item.containers ?? []).map((c) => c.usage ?? {}))]);
  if (args.sortBy) rows.sort((a, b) => (args.sortBy === 'cpu' ? b[1] - a[1] : b[2] - a[2]));
  return tableResult(columns, rows, undefined, `No metrics${args.namespace ? ` in ${args.namespace}` : ''} (yet: metrics-server needs a scrape or two).`);
}

export const podsTop = defineTool({
  name: 'pods_top',
  title: 'Pod resource usage',
  description: 'CPU (millicores) and memory (MiB) of each pod, as kubectl top pod.',
  input: topInput,
  output: topOutput,
  annotations: READ_ONLY,
  needs: fixed(permission(POD_METRICS, 'list')),
  plan: (args, ctx) => ({ run: () => top(ctx, POD_METRICS, args) }),
});

export const nodesTop = defineTool({
  name: 'nodes_top',
  title: 'Node resource usage',
  description: 'CPU (millicores) and memory (MiB) of each node, as kubectl top node.',
  input: topInput,
  output: topOutput,
  annotations: READ_ONLY,
  needs: fixed(permission(NODE_METRICS, 'list')),
  plan: (args, ctx) => ({ run: () => top(ctx, NODE_METRICS, args) }),
});
