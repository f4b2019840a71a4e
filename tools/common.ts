// Building blocks shared by the catalogue: argument schemas, permissions of a kind, list and get tools.
import { z, type ZodRawShape } from 'zod';
import { defineTool, type Tool } from '../src/tool.ts';
import { fixed } from '../src/rbac/needs.ts';
import type { Permission } from '../src/rbac/permission.ts';
import { type Cell, type KubeObject, table, tableCell } from '../src/format.ts';
import { stripNoise } from '../src/redact.ts';
import { type ResourceKind, getObject, listTablePage } from '../src/kube/resources.ts';
import { objectName } from '../src/kube/names.ts';

export const listInput = {
  labelSelector: z.string().max(1024).optional().describe('e.g. app=web,tier!=db'),
  fieldSelector: z.string().max(1024).optional().describe('e.g. status.phase=Running'),
  limit: z.number().int().min(1).max(500).default(100),
  continue: z.string().max(4096).optional().describe('from the previous page'),
};

export const pageOutput = { continue: z.string().optional().describe('set when more items remain') };

/**
 * A page of rows as structured content: the column names once, then each row as an array in that order.
 * Objects per row would repeat every key on every row and double the answer (the text table is compact).
 */
export function tableOutput<R extends ZodRawShape>(row: R) {
  const cells = Object.values(row) as [z.ZodType, ...z.ZodType[]];
  // Statically a row is unknown[]: a tuple built from a shape's values has no useful inferred type.
  const rows: z.ZodType<unknown[][]> = z.array(z.tuple(cells));
  return { columns: z.array(z.string()).describe(`always ${JSON.stringify(Object.keys(row))}`), rows, ...pageOutput };
}

/** The text table and the structured rows of one page: the same rows, for the model and for programs. */
export function tableResult(columns: string[], rows: unknown[][], next: string | undefined, empty: string) {
  const text = rows.length === 0 ? empty
    : `${table(columns, rows as Cell[][])}${next ? `\n(more: pass continue=${next})` : ''}`;
  return { text, structured: { columns, rows, ...(next ? { continue: next } : {}) } };
}

export function permission(kind: ResourceKind, verb: string, subresource?: string): Permission {
  return { group: kind.group, resource: kind.resource, verb, scope: kind.namespaced ? 'namespaced' : 'cluster', ...(subresource ? { subresource } : {}) };
}

export const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

type CellType = 'string' | 'number' | 'boolean';

/**
 * A list tool: one page of the API server's own Table, its cells picked into the declared row (by the
 * lowercased column name, or `from` where ours differs), rendered as a table and as rows.
 */
export function listTool<R extends Record<string, z.ZodString | z.ZodNumber | z.ZodBoolean>>(spec: {
  name: string;
  title: string;
  description: string;
  kind: ResourceKind;
  row: R;
  from?: Partial<Record<keyof R & string, string>>;
}): Tool {
  const columns = Object.keys(spec.row);
  const picks = columns.map((c) => ({ source: spec.from?.[c] ?? c.toLowerCase(), type: spec.row[c]!.def.type as CellType }));
  return defineTool({
    name: spec.name,
    title: spec.title,
    description: spec.description,
    input: listInput,
    output: tableOutput(spec.row),
    annotations: READ_ONLY,
    needs: fixed(permission(spec.kind, 'list')),
    plan: (args, ctx) => ({
      async run() {
        const page = await listTablePage(ctx.kube, spec.kind, { ...args, namespace: args.namespace, signal: ctx.signal });
        const at = picks.map((p) => page.columns.indexOf(p.source)); // -1, so undefined, where the server has no such column
        const rows = page.rows.map((cells) => picks.map((p, k) => tableCell(cells[at[k]!], p.type)));
        const where = args.namespace ? ` in ${args.namespace}` : '';
        return tableResult(columns, rows, page.continue, `No ${spec.kind.resource}${where}.`);
      },
    }),
  });
}

/** A get tool: one object, without managedFields and last-applied annotations. */
export function getTool(spec: {
  name: string;
  title: string;
  description: string;
  kind: ResourceKind;
  transform?(object: KubeObject): KubeObject;
}): Tool {
  return defineTool({
    name: spec.name,
    title: spec.title,
    description: spec.description,
    input: { name: objectName },
    output: { object: z.record(z.string(), z.unknown()) },
    annotations: READ_ONLY,
    needs: fixed(permission(spec.kind, 'get')),
    plan: (args, ctx) => ({
      async run() {
        const raw = await getObject(ctx.kube, spec.kind, args.namespace, args.name, ctx.signal);
        const object = (spec.transform ?? stripNoise)(raw);
        return { text: JSON.stringify(object), structured: { object } };
      },
    }),
  });
}
