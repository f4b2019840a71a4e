// The shape of a catalogue entry (tools/): what the agent sees, what RBAC must grant, and what one call does.
//
// A tool says what it needs once, in `needs` (src/rbac/needs.ts), which the offer advertises from; and per call, a
// plan made from the call's arguments: the permissions of the kind it resolved to (the generic tools only; the others'
// follow from `needs`), the question the user must answer, and how to run it. The arguments are typed from the
// declared input schema to the plan: defineTool closes the types in, and the engine holds the result as a `Tool`.
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import { z, type ZodRawShape } from 'zod';
import type { KubeClient } from './kube/client.ts';
import type { Permission } from './rbac/permission.ts';
import type { AnyKindNeeds, Needs } from './rbac/needs.ts';
import type { PermissionSet } from './rbac/discovery.ts';
import type { ApiResources } from './kube/api-resources.ts';

export interface ToolContext {
  kube: KubeClient;
  permissions: PermissionSet;
  apiResources: ApiResources;
  signal: AbortSignal;
  now(): Date;
  /** --show-iam-identity: whoami shows the agent the IAM role behind the Kubernetes user. */
  showIamIdentity?: boolean;
}

/** One permission a call needs, where, and on which object (a grant limited by resourceNames): checked before any request. */
export interface Need {
  permission: Permission;
  namespace?: string;
  name?: string;
}

export type ToolResult<O extends ZodRawShape> = { text: string; structured: z.infer<z.ZodObject<O>> };

/** What one call does, made once per call from its arguments; it sends no request but the served kinds' discovery. */
export interface Plan<O extends ZodRawShape> {
  /**
   * The question the user must say yes to first (undefined: none needed). Asked after the permission check, and only
   * when the user has not answered yet: writes make their server-side dry run here, so that it shows what would change.
   */
  question?(): string | undefined | Promise<string | undefined>;
  /** Does the call. `approved`: the question the user said yes to, when the client carried it back. */
  run(approved?: string): Promise<ToolResult<O>>;
}

/** The plan of a generic tool: only the call's arguments tell which kind, so the plan states the permissions. */
export interface PlanWithNeeds<O extends ZodRawShape> extends Plan<O> {
  needs: Need[];
}

type PlanFor<N extends Needs, O extends ZodRawShape, A extends boolean> =
  (N extends AnyKindNeeds ? PlanWithNeeds<O> : Plan<O>) & (A extends true ? unknown : { question?: never });

/** What the engine adds to a tool's declared input: a namespace (where the offer gives one), the confirm argument. */
type Extras = { namespace: z.ZodType<string | undefined>; confirm: z.ZodType<boolean | undefined> };
type CallShape<I extends ZodRawShape> = Omit<I, keyof Extras> & Partial<Extras>;
function callObject<I extends ZodRawShape>(shape: CallShape<I>) {
  return z.object(shape);
}

/** A call's arguments as its plan sees them: the declared input, parsed (defaults applied), and the namespace. */
export type Args<I extends ZodRawShape> = Omit<z.output<ReturnType<typeof callObject<I>>>, keyof Extras> & { namespace?: string };

export interface ToolDeclaration<I extends ZodRawShape, O extends ZodRawShape, N extends Needs, A extends boolean = false> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: Required<Pick<ToolAnnotations, 'readOnlyHint' | 'destructiveHint' | 'idempotentHint' | 'openWorldHint'>>;
  /** What the role must grant: the offer lists the tool where it does. Namespaced permissions give it a `namespace` argument. */
  needs: N;
  /** Its calls may put a question to the user (their plans' `question`): offered only to a client that can ask, or under --confirm-by-argument. */
  asksUser?: A;
  plan(args: Args<I>, ctx: ToolContext): PlanFor<N, O, A> | Promise<PlanFor<N, O, A>>;
}

/** The offer's choices for a tool's arguments: the namespace argument, the kinds granted, the confirm argument. */
export interface ArgumentChoices {
  namespace?: z.ZodType<string | undefined>;
  /** A tool of several kinds: those its `kind` argument takes. */
  kinds?: readonly string[];
  confirm?: z.ZodType<boolean | undefined>;
}

/** A call whose arguments passed the schema: what the pipeline binds an answer to and audits, and its plan. */
export interface ToolCall {
  /** The arguments as checked, defaults applied. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly namespace?: string;
  plan(ctx: ToolContext): Promise<PlanWithNeeds<ZodRawShape>>;
}

export interface ToolArguments {
  /** What tools/list shows, and what a call is checked against. */
  readonly schema: z.ZodObject;
  parse(raw: unknown): { success: true; call: ToolCall } | { success: false; error: z.ZodError };
}

/** A catalogue entry as the engine holds it: the declaration's facts, its argument types closed in. */
export interface Tool {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly annotations: ToolDeclaration<ZodRawShape, ZodRawShape, Needs>['annotations'];
  readonly output: ZodRawShape;
  readonly needs: Needs;
  readonly asksUser: boolean;
  /** The tool's arguments under one offer's choices. */
  arguments(choices: ArgumentChoices): ToolArguments;
}

/** Declares a tool: the plan's arguments and the results are checked against the schemas. */
export function defineTool<I extends ZodRawShape, O extends ZodRawShape, N extends Needs, A extends boolean = false>(tool: ToolDeclaration<I, O, N, A>): Tool {
  const { name, title, description, annotations, output, needs } = tool;
  return {
    name, title, description, annotations, output, needs, asksUser: tool.asksUser === true,
    arguments(choices) {
      const shape: CallShape<I> = {
        ...tool.input,
        ...(choices.kinds ? { kind: z.enum(choices.kinds) } : {}),
        ...(choices.confirm ? { confirm: choices.confirm } : {}),
        ...(choices.namespace ? { namespace: choices.namespace } : {}),
      };
      const schema = callObject(shape);
      return {
        schema,
        parse(raw) {
          const parsed = schema.safeParse(raw);
          if (!parsed.success) return { success: false, error: parsed.error };
          const fields: Record<string, unknown> = parsed.data;
          const namespace = typeof fields['namespace'] === 'string' ? fields['namespace'] : undefined;
          const args = { ...parsed.data, namespace };
          return { success: true, call: { args: fields, namespace, plan: async (ctx) => withNeeds(tool, fields, await tool.plan(args, ctx)) } };
        },
      };
    },
  };
}

/** The plan as the pipeline runs it: with the call's permissions, from `needs` or, for a generic tool, from the plan. */
function withNeeds<O extends ZodRawShape>(tool: { name: string; needs: Needs }, fields: Record<string, unknown>, plan: Plan<O> | PlanWithNeeds<O>): PlanWithNeeds<ZodRawShape> {
  const run = async (approved?: string) => {
    const result = await plan.run(approved);
    return { text: result.text, structured: result.structured };
  };
  return { needs: callNeeds(tool, fields, plan), run, ...(plan.question ? { question: plan.question.bind(plan) } : {}) };
}

function callNeeds(tool: { name: string; needs: Needs }, fields: Record<string, unknown>, plan: Plan<ZodRawShape> | PlanWithNeeds<ZodRawShape>): Need[] {
  const { needs } = tool;
  if (needs.form === 'any-kind') {
    // Fails closed: a generic tool whose plan named no permission would otherwise be checked against none.
    if (!('needs' in plan) || plan.needs.length === 0) throw new Error(`${tool.name}: the plan of a generic tool states the permissions of its call`);
    return plan.needs;
  }
  const namespace = typeof fields['namespace'] === 'string' ? fields['namespace'] : undefined;
  const name = typeof fields['name'] === 'string' ? fields['name'] : undefined;
  const kind = needs.form === 'per-kind' ? kindNeeds(tool.name, needs.kinds, fields['kind']) : [];
  return [...needs.permissions, ...kind].map((permission) => ({ permission, ...(permission.scope === 'namespaced' ? { namespace } : {}), name }));
}

function kindNeeds(tool: string, kinds: Readonly<Record<string, readonly Permission[]>>, kind: unknown): readonly Permission[] {
  if (typeof kind !== 'string' || !Object.hasOwn(kinds, kind)) throw new Error(`${tool}: no permissions for kind ${String(kind)}`);
  return kinds[kind]!;
}

/** A refusal or failure the agent can act on, returned as an `isError` result. */
export class ToolError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'ToolError';
  }
}
