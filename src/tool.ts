// The shape of a catalogue entry (tools/): what the agent sees, what RBAC must grant, and the handler.
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { z, ZodRawShape } from 'zod';
import type { KubeClient } from './kube/client.ts';
import { describePermission, type Permission } from './rbac/permission.ts';
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
  /** In a handler: the question the user said yes to, when the client carried it back with the answer. */
  approved?: string;
}

/** What a call targets, so that a grant limited by resourceNames is checked before any request. */
export interface CallTarget {
  namespace?: string;
  name?: string;
}

type Args<I extends ZodRawShape> = z.infer<z.ZodObject<I>> & { namespace?: string };

export interface ToolDeclaration<I extends ZodRawShape = ZodRawShape, O extends ZodRawShape = ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: Required<Pick<ToolAnnotations, 'readOnlyHint' | 'destructiveHint' | 'idempotentHint' | 'openWorldHint'>>;
  /** Every permission one call needs. Namespaced ones make the engine add a `namespace` argument. */
  permissions: Permission[];
  /** A `namespace` argument over the whole scope, optional (tools whose permissions are not namespaced). */
  namespaceArgument?: 'optional';
  /**
   * Generic tools: advertised where the role grants `verb` on some kind that no specific tool covers —
   * read from the rules, or, where a review is incomplete, from access reviews of the `probes`. `anyKind`: on
   * any kind at all, for generic tools that do what no specific tool does (describe, apply).
   */
  advertisedFor?: { verb: string; probes: Permission[]; anyKind?: boolean; /** Granted with `verb` on the same kinds (apply: create, for new objects). */ extraVerbs?: string[] };
  /**
   * Tools that serve several kinds (rollouts: Deployments, StatefulSets, DaemonSets): the permissions of each kind,
   * beyond `permissions`. The `kind` argument offers the kinds granted in some namespace of the scope; a call needs
   * its kind's permissions.
   */
  kinds?: Record<string, Permission[]>;
  /** The object a call names (default: `args.name`). */
  target?(args: Args<I>): CallTarget;
  /**
   * For tools whose permission depends on the arguments (the generic resource tools): the permissions of
   * this call, resolved before any request that needs them.
   */
  permissionsFor?(args: Args<I>, ctx: ToolContext): Promise<Permission[]>;
  /**
   * For destructive calls: the question the user must answer yes to (undefined: no confirmation needed). Writes
   * make their server-side dry run here, so that the question can show what would change.
   */
  confirm?(args: Args<I>, ctx: ToolContext): string | undefined | Promise<string | undefined>;
  handler(args: Args<I>, ctx: ToolContext): Promise<ToolResult<O>>;
}

export type ToolResult<O extends ZodRawShape> = { text: string; structured: z.infer<z.ZodObject<O>> };

/** Declares a tool with its argument and result types checked against its schemas. */
export function defineTool<I extends ZodRawShape, O extends ZodRawShape>(tool: ToolDeclaration<I, O>): ToolDeclaration {
  return tool as unknown as ToolDeclaration;
}

/** What a tool needs from RBAC, in words: its permissions, or for a generic tool its verb on some kind. */
export function describeNeeds(tool: ToolDeclaration): string {
  if (tool.kinds) {
    const perKind = Object.entries(tool.kinds).map(([kind, ps]) => `${kind}: ${ps.map(describePermission).join(' + ')}`);
    return [...(tool.permissions.length ? [tool.permissions.map(describePermission).join(', ')] : []), ...perKind].join('; ');
  }
  return tool.advertisedFor ? `${[tool.advertisedFor.verb, ...(tool.advertisedFor.extraVerbs ?? [])].join(', ')} on ${tool.advertisedFor.anyKind ? 'any kind' : 'a kind no other tool serves'}` : tool.permissions.map(describePermission).join(', ');
}

/** Every permission a tool may need: its own and each of its kinds'. */
export function allPermissions(tool: ToolDeclaration): Permission[] {
  return [...tool.permissions, ...Object.values(tool.kinds ?? {}).flat()];
}

/** A refusal or failure the agent can act on, returned as an `isError` result. */
export class ToolError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'ToolError';
  }
}
