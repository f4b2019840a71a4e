// The MCP face of the runtime. It renders what the offer decided (tools/list, refusals) and what the call pipeline
// answered (results, questions for the user) in the protocol's terms, for either era; it decides nothing itself.
import {
  acceptedContent, CLIENT_CAPABILITIES_META_KEY, inputRequired, McpServer, ProtocolError, ProtocolErrorCode, TRACEPARENT_META_KEY,
  type CallToolResult, type ClientCapabilities, type Prompt, type ServerContext, type Tool,
} from '@modelcontextprotocol/server';
import type { PromptDeclaration } from '../prompt.ts';
import { objectName } from '../kube/names.ts';
import { matching } from '../policy/completions.ts';
import { z } from 'zod';
import { advertisedHints, type Advertisement, type Caller, type Offer } from '../policy/offer.ts';
import type { CallResult } from '../policy/gate.ts';
import type { Opened, Reply } from '../policy/answer.ts';
import { traceIdOf } from '../policy/audit.ts';
import type { Runtime } from './runtime.ts';
import { SERVER_VERSION } from '../version.ts';

export const SERVER_NAME = 'eks-rbac-mcp';
const INSTRUCTIONS = 'Kubernetes tools limited to this connection\'s RBAC role: only permitted tools are listed. Use can_i to check a permission.';

export interface ServerOptions {
  /** Who the requests of this server come from, for the audit line. */
  principal(ctx: ServerContext): string;
  /**
   * Long-lived instances (stdio, a 2025 HTTP session) announce permission changes themselves; per-request
   * instances are announced by their transport, through subscriptions/listen.
   */
  followChanges: boolean;
}

/** The key of the confirmation question in a multi-round-trip call, and the answer's shape. */
const CONFIRM = 'confirm';
const confirmAnswer = z.object({ confirm: z.boolean() });

/** The user's reply to the confirmation question, as the client carried it back with the question's state. */
function replyOf(ctx: ServerContext): Reply | undefined {
  const responses = ctx.mcpReq.inputResponses;
  if (!responses || !(CONFIRM in responses)) return undefined;
  // The state as the requestState.verify hook opened it (answers.open): sealed by this server, or not.
  const state = ctx.mcpReq.requestState<Opened>();
  return { accepted: acceptedContent(responses, CONFIRM, confirmAnswer)?.confirm === true, ...(state ? { state } : {}) };
}

function clientCapabilities(server: McpServer, ctx: ServerContext): ClientCapabilities | undefined {
  // 2026-07-28 carries them on every request; a 2025 client declared them once, at initialize.
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  return (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? server.server.getClientCapabilities();
}

/** A client can be asked when it takes form elicitation (a bare `elicitation: {}` means form, as before modes). */
export function callerOf(capabilities: ClientCapabilities | undefined): Caller {
  const elicitation = capabilities?.elicitation as { form?: unknown; url?: unknown } | undefined;
  return { canAsk: elicitation !== undefined && (elicitation.form !== undefined || elicitation.url === undefined) };
}

const rendered = new WeakMap<Offer, Map<boolean, Tool[]>>();

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Tool['inputSchema'] {
  // 2020-12 is MCP's default dialect: naming it on every tool costs every agent bytes for nothing.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest as Tool['inputSchema'];
}

function renderTool(offer: Offer, ad: Advertisement, caller: Caller): Tool {
  const { tool } = ad;
  const output = offer.outputSchema(ad);
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchema(offer.inputSchema(ad, caller), 'input'),
    ...(output ? { outputSchema: jsonSchema(output, 'output') } : {}),
    annotations: advertisedHints(tool.annotations),
  };
}

/** tools/list for this caller, rendered once per offer: the offer is immutable. */
export function listTools(offer: Offer, caller: Caller): Tool[] {
  let byCaller = rendered.get(offer);
  if (!byCaller) rendered.set(offer, (byCaller = new Map()));
  let tools = byCaller.get(caller.canAsk);
  if (!tools) byCaller.set(caller.canAsk, (tools = offer.tools(caller).map((ad) => renderTool(offer, ad, caller))));
  return tools;
}

/** A result as the protocol carries it: the text, and the structured content when the pipeline kept it. */
function toCallToolResult(result: CallResult): CallToolResult {
  return {
    content: [{ type: 'text', text: result.text }],
    ...(result.structured ? { structuredContent: result.structured } : {}),
    ...(result.isError ? { isError: true } : {}),
  };
}

/**
 * One MCP server over the shared runtime: stdio has one per connection, HTTP one per request (2026-07-28) or
 * per 2025 session. Tools are listed and called through two low-level handlers, so that the offer (and not a
 * registry that could drift from it) answers both.
 */
export function createMcpServer(starting: Runtime | Promise<Runtime>, options: ServerOptions): McpServer {
  // Over stdio the server answers the handshake (server/discover, initialize) while discovery runs; only the
  // handlers that need the permissions wait for them.
  const ready = Promise.resolve(starting);
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION }, {
    capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, completions: {} },
    instructions: INSTRUCTIONS,
    // What server/discover says (capabilities, instructions) is fixed for the life of the process, and the same for
    // every caller.
    cacheHints: { 'server/discover': { ttlMs: 3_600_000, cacheScope: 'public' } },
    // A question's requestState comes back from the client: opened here, before the handler, with this process's seal
    // (src/policy/answer.ts). It never throws: a state this server did not seal is the call pipeline's to refuse.
    requestState: { verify: async (state, ctx) => (await ready).answers.open(state, ctx) },
  });

  server.server.setRequestHandler('tools/list', async (_request, ctx) => {
    const runtime = await ready;
    const offer = runtime.offer;
    const caller = callerOf(clientCapabilities(server, ctx));
    return {
      tools: listTools(offer, caller),
      // 2026-07-28 cache hints (sent on every revision; a 2025 client ignores them): the list changes only at a
      // re-discovery, and it depends on the connection's role, not on who asks, unless destructive tools hang on
      // whether the client can ask.
      ttlMs: runtime.config.refreshInterval * 1000,
      cacheScope: offer.dependsOnCaller ? 'private' : 'public',
    } as { tools: Tool[] };
  });

  server.server.setRequestHandler('tools/call', async (request, ctx) => {
    const runtime = await ready;
    const outcome = await runtime.call({
      name: request.params.name,
      arguments: request.params.arguments ?? {},
      caller: callerOf(clientCapabilities(server, ctx)),
      principal: options.principal(ctx),
      sessionId: ctx.sessionId,
      traceId: traceIdOf(ctx.mcpReq._meta?.[TRACEPARENT_META_KEY] ?? ctx.http?.req?.headers.get('traceparent')),
      reply: replyOf(ctx),
      signal: ctx.mcpReq.signal,
    });
    // The spec lists an unknown tool among the protocol errors; a known one this connection does not offer is the
    // tool's own answer, with what to do about it.
    if (outcome.kind === 'unknown-tool') throw new ProtocolError(ProtocolErrorCode.InvalidParams, outcome.message);
    if (outcome.kind === 'result') return toCallToolResult(outcome.result);
    return inputRequired({
      inputRequests: {
        [CONFIRM]: inputRequired.elicit({
          mode: 'form',
          message: outcome.question,
          requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean', title: 'Go ahead?' } }, required: ['confirm'] },
        }),
      },
      requestState: outcome.state,
    });
  });

  registerPrompts(server, ready);

  if (options.followChanges) {
    const onChange = () => {
      void server.sendToolListChanged();
      void server.sendPromptListChanged();
    };
    let closed = false;
    void ready.then((runtime) => { if (!closed) runtime.on('permissions', onChange); }, () => undefined);
    const previous = server.server.onclose;
    server.server.onclose = () => {
      previous?.();
      closed = true;
      void ready.then((runtime) => runtime.off('permissions', onChange), () => undefined);
    };
  }
  return server;
}

function renderPrompt(prompt: PromptDeclaration): Prompt {
  return {
    name: prompt.name,
    title: prompt.title,
    description: `${prompt.description} Uses ${prompt.tools.join(', ')}.`,
    arguments: prompt.arguments.map((a) => ({ name: a.name, description: a.description, required: true })),
  };
}

/** prompts/list, prompts/get and completion/complete, answered from the offer like the tools. */
function registerPrompts(server: McpServer, ready: Promise<Runtime>): void {
  const offered = async (ctx: ServerContext) => {
    const runtime = await ready;
    const caller = callerOf(clientCapabilities(server, ctx));
    return { runtime, caller, prompts: runtime.offer.prompts(runtime.prompts, caller) };
  };
  const invalid = (message: string) => new ProtocolError(ProtocolErrorCode.InvalidParams, message);

  server.server.setRequestHandler('prompts/list', async (_request, ctx) => ({ prompts: (await offered(ctx)).prompts.map(renderPrompt) }));

  server.server.setRequestHandler('prompts/get', async (request, ctx) => {
    const { runtime, caller, prompts } = await offered(ctx);
    const prompt = prompts.find((p) => p.name === request.params.name);
    if (!prompt) {
      const known = runtime.prompts.find((p) => p.name === request.params.name);
      throw invalid(known
        ? `Prompt ${known.name} is not offered: it uses ${known.tools.join(', ')}, and this connection does not offer all of them.`
        : `Unknown prompt "${request.params.name}". Call prompts/list for the prompts this connection offers.`);
    }
    const args = request.params.arguments ?? {};
    const namespaces = runtime.offer.promptNamespaces(prompt, caller);
    if (!namespaces.includes(args['namespace'] ?? '')) throw invalid(`namespace must be one of ${namespaces.join(', ')}`);
    if (!objectName.safeParse(args['name']).success) throw invalid('name must be a lowercase DNS-1123 name (a-z, 0-9, "-", ".")');
    return {
      description: prompt.title,
      messages: [{ role: 'user' as const, content: { type: 'text' as const, text: prompt.render({ namespace: args['namespace']!, name: args['name']! }) } }],
    };
  });

  server.server.setRequestHandler('completion/complete', async (request, ctx) => {
    const none = { completion: { values: [] as string[], total: 0, hasMore: false } };
    const { ref, argument } = request.params;
    if (ref.type !== 'ref/prompt') return none;
    const { runtime, caller, prompts } = await offered(ctx);
    const prompt = prompts.find((p) => p.name === ref.name);
    const source = prompt?.arguments.find((a) => a.name === argument.name)?.source;
    if (!prompt || !source) return none;
    const namespaces = runtime.offer.promptNamespaces(prompt, caller);
    if (source.from === 'namespaces') return { completion: matching(namespaces, argument.value) };
    const namespace = request.params.context?.arguments?.['namespace'];
    if (!namespace || !namespaces.includes(namespace)) return none; // no namespace yet, or one outside the scope: nothing to ask
    return { completion: matching(await runtime.names.names(runtime.offer.permissions, source.kind, namespace), argument.value) };
  });
}
