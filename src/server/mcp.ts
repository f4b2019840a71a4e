// The MCP face of the connection: registers exactly the catalogue tools the discovered permissions allow,
// and runs each call through one gate (permission, request, error mapping, audit line).
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z, type ZodRawShape } from 'zod';
import type { Logger } from '../log.ts';
import type { PermissionSet } from '../rbac/discovery.ts';
import { describePermission, READ_VERBS, type Permission } from '../rbac/permission.ts';
import { KubeApiError } from '../kube/client.ts';
import { ApiResources } from '../kube/api-resources.ts';
import { allPermissions, describeNeeds, errorResult, ToolError, type ToolContext, type ToolDeclaration } from '../tool.ts';

import type { Runtime, ToolCallHook } from './runtime.ts';

export const SERVER_NAME = 'eks-rbac-mcp';
export const SERVER_VERSION = '0.1.0';

/** How a tool appears to the agent given the permissions: its namespace choices, or not at all. */
export interface Advertisement {
  tool: ToolDeclaration;
  /** The `namespace` argument's choices; undefined when the tool takes none. */
  namespaces?: string[];
  namespaceOptional?: boolean;
  /** The `kind` argument's choices, for tools that serve several kinds. */
  kinds?: string[];
}

export function isReadOnlyTool(tool: ToolDeclaration): boolean {
  return tool.annotations.readOnlyHint && tool.permissions.every((p) => READ_VERBS.has(p.verb) || p.resource.startsWith('self'));
}

/** Every permission discovery must decide for the catalogue: what tools need, and the generic tools' probes. */
export function cataloguePermissions(catalogue: readonly ToolDeclaration[]): Permission[] {
  return catalogue.flatMap((t) => [...allPermissions(t), ...(t.advertisedFor?.probes ?? [])]);
}

/** group|resource pairs that a specific tool serves with this verb: the generic tools are for the rest. */
function coveredKinds(catalogue: readonly ToolDeclaration[], verb: string): Set<string> {
  return new Set(catalogue.flatMap((t) => t.permissions).filter((p) => p.verb === verb && !p.subresource).map((p) => `${p.group}|${p.resource}`));
}

/** Which tools the permissions allow, and with which namespaces. Pure: the golden files pin its answer. */
export function advertise(catalogue: readonly ToolDeclaration[], permissions: PermissionSet, readOnly = false): Advertisement[] {
  const out: Advertisement[] = [];
  for (const tool of catalogue) {
    if (readOnly && !isReadOnlyTool(tool)) continue;
    if (tool.advertisedFor) {
      const { verb, probes, anyKind } = tool.advertisedFor;
      const namespaces = permissions.namespacesGrantingVerbBeyond(verb, anyKind ? new Set() : coveredKinds(catalogue, verb), probes);
      if (namespaces.length) out.push({ tool, namespaces, namespaceOptional: true });
      continue;
    }
    if (tool.kinds) {
      const granted = Object.entries(tool.kinds).map(([kind, ps]) => ({ kind, namespaces: permissions.namespacesAllowing([...tool.permissions, ...ps]) }))
        .filter((g) => g.namespaces.length);
      const namespaces = permissions.namespaces.filter((ns) => granted.some((g) => g.namespaces.includes(ns)));
      if (granted.length) out.push({ tool, namespaces, kinds: granted.map((g) => g.kind) });
      continue;
    }
    const namespaces = permissions.namespacesAllowing(tool.permissions);
    if (namespaces.length === 0) continue;
    if (tool.permissions.some((p) => p.scope === 'namespaced')) out.push({ tool, namespaces });
    else if (tool.namespaceArgument) out.push({ tool, namespaces, namespaceOptional: true });
    else out.push({ tool });
  }
  return out;
}

const confirmArgument = z.boolean().optional().describe('true once the user agreed (for clients without elicitation)');

/** Destructive tools take `confirm`, for clients that cannot be asked through elicitation. */
function withConfirm(tool: ToolDeclaration): ZodRawShape {
  return tool.confirm ? { ...tool.input, confirm: confirmArgument } : tool.input;
}

function inputShape(ad: Advertisement): ZodRawShape {
  if (!ad.namespaces) return withConfirm(ad.tool);
  const choices = ad.namespaces as [string, ...string[]];
  const kinds: ZodRawShape = ad.kinds ? { kind: z.enum(ad.kinds as [string, ...string[]]) } : {};
  const scope = ad.namespaceOptional ? 'this connection\'s scope' : `the namespaces where the role allows ${ad.tool.name}`;
  const namespace = z.enum(choices, { error: () => `namespace must be one of ${scope}: ${choices.join(', ')}` });
  return {
    ...withConfirm(ad.tool),
    ...kinds,
    namespace: ad.namespaceOptional ? namespace.optional() : namespace.default(choices[0]),
  };
}

export function rbacHint(tool: string, namespace?: string): string {
  return `eks-rbac-mcp rbac --tools ${tool}${namespace ? ` --namespace ${namespace}` : ''}`;
}

/**
 * The SDK announces every registration change on its own; a permission change touches many tools at once,
 * so announcements are held while the change is applied and sent once after it.
 */
class SessionServer extends McpServer {
  private holding = false;
  private held = false;
  /** Unsubscribes from the runtime: on close(), or when the transport closes under us. */
  detach = () => {};

  override async close(): Promise<void> {
    this.detach();
    await super.close();
  }

  override sendToolListChanged(): void {
    if (this.holding) this.held = true;
    else super.sendToolListChanged();
  }

  applyAtOnce(change: () => void): void {
    this.holding = true;
    try {
      change();
    } finally {
      this.holding = false;
    }
    if (this.held) {
      this.held = false;
      super.sendToolListChanged();
    }
  }
}

/**
 * One MCP session's server over the shared runtime: stdio has one, HTTP one per session. Every catalogue
 * tool is registered once and enabled where the current permissions allow it; when the runtime's
 * permissions change, the session follows with one tools/list_changed.
 */
export function createMcpServer(runtime: Runtime): McpServer {
  const { catalogue, connection, log } = runtime;
  const server = new SessionServer({ name: SERVER_NAME, version: SERVER_VERSION }, {
    capabilities: { tools: { listChanged: true }, logging: {} },
    instructions: 'Kubernetes tools limited to this connection\'s RBAC role: only permitted tools are listed. Use can_i to check a permission.',
  });
  const apiResources = new ApiResources(connection.kube);
  const registered = new Map<string, RegisteredTool>();
  let offered = new Set<string>();
  const apply = () => {
    const advertised = new Map(advertise(catalogue, runtime.permissions, runtime.config.readOnly).map((ad) => [ad.tool.name, ad]));
    for (const tool of catalogue) {
      const ad = advertised.get(tool.name);
      const existing = registered.get(tool.name);
      if (!existing) {
        registered.set(tool.name, server.registerTool(tool.name, {
          title: tool.title,
          description: tool.description,
          inputSchema: ad ? inputShape(ad) : withConfirm(tool),
          outputSchema: tool.output,
          annotations: tool.annotations,
        }, (args: Record<string, unknown>, extra: { signal: AbortSignal }) => runtime.track((signal) => runTool(tool, args, {
          kube: connection.kube,
          permissions: runtime.permissions,
          apiResources,
          signal,
          now: runtime.now,
        }, {
          log,
          onCall: (...call) => runtime.onToolCall?.(...call),
          onForbidden: (reason) => void runtime.requestRefresh(reason),
          elicit: server.server.getClientCapabilities()?.elicitation ? (question) => askUser(server, question, signal) : undefined,
        }), extra.signal)));
        if (!ad) registered.get(tool.name)!.disable();
      } else if (ad) {
        existing.update({ paramsSchema: inputShape(ad), enabled: true });
      } else if (existing.enabled) {
        existing.disable();
      }
    }
    offered = new Set(advertised.keys());
  };
  apply();
  const onChange = () => server.applyAtOnce(apply);
  runtime.on('permissions', onChange);
  server.detach = () => void runtime.off('permissions', onChange);
  const previous = server.server.onclose;
  server.server.onclose = () => {
    previous?.();
    server.detach();
  };
  explainUnofferedTools(server, runtime, () => offered);
  return server;
}

/** One yes/no question through MCP elicitation; anything but an accepted yes is a no. */
async function askUser(server: McpServer, question: string, signal: AbortSignal): Promise<boolean> {
  const answer = await server.server.elicitInput({
    mode: 'form',
    message: question,
    requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean', title: 'Go ahead?' } }, required: ['confirm'] },
  }, { signal });
  return answer.action === 'accept' && answer.content?.['confirm'] === true;
}

type RequestHandler = (request: unknown, extra: unknown) => Promise<unknown>;

/**
 * A call to a catalogue tool that this connection does not offer gets an answer that says why (the RBAC
 * permission it lacks) instead of the SDK's bare "not found"; no request reaches the cluster either way.
 * The SDK has no hook for this, so its tools/call handler is wrapped (the SDK version is pinned).
 */
function explainUnofferedTools(server: McpServer, runtime: Runtime, offered: () => Set<string>): void {
  const handlers = (server.server as unknown as { _requestHandlers: Map<string, RequestHandler> })._requestHandlers;
  const inner = handlers.get('tools/call');
  server.server.removeRequestHandler('tools/call');
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name;
    if (inner && offered().has(name)) return inner(request, extra) as Promise<CallToolResult>;
    const tool = runtime.catalogue.find((t) => t.name === name);
    runtime.log.info({ audit: true, tool: name, outcome: 'not-offered', status: 403 }, 'tool call');
    runtime.onToolCall?.(name, 'not-offered', 403, 0);
    if (!tool) return errorResult(`Unknown tool "${name}". Call tools/list for the tools this connection offers.`);
    if (runtime.config.readOnly && !isReadOnlyTool(tool)) return errorResult(`${name} is not offered: this server runs with --read-only. No request was sent.`);
    return errorResult(`${name} is not offered on this connection: its RBAC role does not grant ${describeNeeds(tool)} in its scope `
      + `(${runtime.permissions.namespaces.join(', ')}). No request was sent. A cluster admin can print the Role that would: ${rbacHint(name)}`);
  });
}

/** Finds the first permission the call lacks; undefined when everything is granted. */
async function missingPermission(tool: ToolDeclaration, args: Record<string, unknown>, ctx: ToolContext): Promise<Permission | undefined> {
  const needed = tool.permissionsFor ? await tool.permissionsFor(args as never, ctx) : tool.permissions;
  const target = tool.target ? tool.target(args as never) : { name: args['name'] as string | undefined };
  for (const p of needed) {
    const namespace = p.scope === 'namespaced' ? (args['namespace'] as string | undefined) : undefined;
    if (p.scope === 'namespaced' && namespace === undefined) throw new ToolError(`${p.resource} are namespaced: give a namespace (${ctx.permissions.namespaces.join(', ')})`);
    if (!(await ctx.permissions.allows(p, namespace, target.name))) return p;
  }
  return undefined;
}

export interface CallHooks {
  log: Logger;
  onCall?: ToolCallHook;
  /** An advertised tool got 403: the permissions may have changed. */
  onForbidden?: (reason: string) => void;
  /** Asks the user through MCP elicitation; undefined when the client cannot be asked. */
  elicit?: (question: string) => Promise<boolean>;
}

/**
 * Destructive calls need the user's yes: asked through elicitation when the client supports it, else
 * carried by the call as `confirm: true`. Returns the refusal, or undefined to go ahead.
 */
async function confirmation(tool: ToolDeclaration, args: Record<string, unknown>, ctx: ToolContext, hooks: CallHooks): Promise<string | undefined> {
  const question = await tool.confirm?.(args as never, ctx);
  if (!question) return undefined;
  if (hooks.elicit) return (await hooks.elicit(question)) ? undefined : `The user did not confirm: ${question} Nothing was done.`;
  if (args['confirm'] === true) return undefined;
  return `${question} This changes the cluster: ask the user, and if they agree call ${tool.name} again with "confirm": true. Nothing was done.`;
}

export async function runTool(tool: ToolDeclaration, args: Record<string, unknown>, ctx: ToolContext, hooks: CallHooks): Promise<CallToolResult> {
  const { log, onCall, onForbidden } = hooks;
  const started = performance.now();
  const namespace = args['namespace'] as string | undefined;
  const audit = (outcome: string, status?: number) => {
    const durationMs = performance.now() - started;
    log.info({ audit: true, tool: tool.name, namespace, outcome, status, durationMs: Math.round(durationMs) }, 'tool call');
    onCall?.(tool.name, outcome, status, durationMs);
  };
  try {
    const missing = await missingPermission(tool, args, ctx);
    if (missing) {
      audit('denied-locally', 403);
      const where = missing.scope === 'namespaced' ? ` in namespace ${namespace}` : ' cluster-wide';
      const which = args['name'] ? ` (${args['name']})` : '';
      return errorResult(`Forbidden: this connection's RBAC role does not allow "${describePermission(missing)}"${where}${which}; no request was sent. `
        + `A cluster admin can grant it; print the Role with: ${rbacHint(tool.name, namespace)}`);
    }
    const refusal = await confirmation(tool, args, ctx, hooks);
    if (refusal) {
      audit('not-confirmed');
      return errorResult(refusal);
    }
    const result = await tool.handler(args as never, ctx);
    audit('ok', 200);
    return { content: [{ type: 'text', text: result.text }], structuredContent: result.structured as Record<string, unknown> };
  } catch (error) {
    if (error instanceof KubeApiError) {
      audit('api-error', error.status);
      // The role changed under us (or the rules review was wrong): find out now, not at the next interval.
      if (error.status === 403) onForbidden?.(`403 from ${tool.name}`);
      return errorResult(apiErrorMessage(tool.name, namespace, error));
    }
    if (error instanceof ToolError) {
      audit('refused', error.status);
      return errorResult(error.message);
    }
    audit('failed');
    log.warn({ tool: tool.name, err: { message: (error as Error).message } }, 'tool call failed');
    return errorResult(`${tool.name} failed: ${(error as Error).message}`);
  }
}

/** The API server's own message, with what to do next. */
export function apiErrorMessage(tool: string, namespace: string | undefined, error: KubeApiError): string {
  const next: Record<number, string> = {
    401: 'The cluster did not accept this connection\'s credentials: run `eks-rbac-mcp doctor`.',
    403: `The role lacks this permission; print a Role that grants it with: ${rbacHint(tool, namespace)}`,
    404: 'Check the name and namespace (a list tool shows what exists).',
    409: 'The object changed or already exists: read it again and retry.',
    422: 'The request was invalid: fix the arguments named above.',
    429: 'The API server is throttling: retry shortly.',
  };
  const hint = next[error.status] ?? (error.status >= 500 ? 'The API server failed: retry shortly.' : '');
  return `${error.reason} (HTTP ${error.status}): ${error.message}${hint ? `\n${hint}` : ''}`;
}
