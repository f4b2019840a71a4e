// Every tool call passes this one gate: the permission check (no request when the role lacks it), the user's
// yes for destructive calls, the handler, the error mapping and one audit line. It speaks no protocol: the MCP
// adapter turns its outcome into a result, or into a question put to the user.
import type { ZodRawShape } from 'zod';
import type { Logger } from '../log.ts';
import { describePermission, type Permission } from '../rbac/permission.ts';
import { KubeApiError } from '../kube/errors.ts';
import { ToolError, type Need, type PlanWithNeeds, type Tool, type ToolCall, type ToolContext } from '../tool.ts';
import { escapeUnseen, MAX_QUESTION_BYTES, questionTooLarge } from '../question.ts';
import { rbacHint } from './offer.ts';

/** What a transport may observe of each tool call (HTTP metrics): the facts of the audit line, exact duration. */
export type ToolCallHook = (tool: string, outcome: string, status: number | undefined, durationMs: number) => void;

/** A tool's answer as the gate hands it to the adapter. */
export interface CallResult {
  text: string;
  structured?: Record<string, unknown>;
  isError?: true;
}

/**
 * What the user said about this exact call, as far as the adapter knows: a no keeps the question it answered, and a yes
 * the question it agreed to, when the client carried it back.
 */
export type Answer = { kind: 'yes'; question?: string } | { kind: 'no'; question: string } | { kind: 'unasked' };

export type CallOutcome =
  | { kind: 'result'; result: CallResult }
  /** The call needs the user's yes: the adapter asks, then calls again with the answer. */
  | { kind: 'ask'; question: string };

export interface CallHooks {
  log: Logger;
  /** Who is calling (token name, JWT subject, or "stdio"): on every audit line, so agents sharing a connection are told apart. */
  principal: string;
  /** The W3C trace id of the caller's traceparent, when it sent one. */
  traceId?: string;
  onCall?: ToolCallHook;
  /** An advertised tool got 403: the permissions may have changed. */
  onForbidden?: (reason: string) => void;
  /** The user's answer to this call's question, when the client already asked it. */
  answer(): Answer;
  /** The client can put a question to its user (elicitation). */
  canAsk: boolean;
  /** The operator's --confirm-by-argument: a client that cannot ask may confirm with `confirm: true`. */
  confirmByArgument: boolean;
}

export function errorResult(message: string): CallResult {
  return { text: message, isError: true };
}

/** Binds a user's answer to one exact call: another call (other arguments, other tool) is asked again. */
export function callFingerprint(tool: string, args: Record<string, unknown>): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.keys(value).sort().filter((k) => k !== 'confirm').map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
    }
    return value;
  };
  // node:crypto is loaded here, by the first call that asks, rather than by an import: loading it took ~7 ms of CPU
  // before the server's first answer, which needs nothing of it.
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(JSON.stringify([tool, canonical(args)])).digest('base64url');
}

/** The trace id of a W3C traceparent header value; undefined for anything malformed (or the all-zero id). */
export function traceIdOf(traceparent: unknown): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent.trim());
  return match && !/^0+$/.test(match[1]!) ? match[1] : undefined;
}

/** Finds the first permission the call lacks; undefined when everything is granted. */
async function missingPermission(needs: readonly Need[], ctx: ToolContext): Promise<Need | undefined> {
  for (const need of needs) {
    const p = need.permission;
    if (p.scope === 'namespaced' && need.namespace === undefined) throw new ToolError(`${p.resource} are namespaced: give a namespace (${ctx.permissions.namespaces.join(', ')})`);
    if (!(await ctx.permissions.allows(p, need.namespace, need.name))) return need;
  }
  return undefined;
}

/** The refusal when the user has not said yes; undefined to go ahead; 'ask' when the adapter must ask first. */
async function confirmation(tool: Tool, plan: PlanWithNeeds<ZodRawShape>, call: ToolCall, hooks: CallHooks): Promise<string | undefined | { ask: string }> {
  if (!plan.question) return undefined;
  // Answered already (the client's second round): a yes goes ahead without computing the question again.
  const answer = hooks.answer();
  if (answer.kind === 'yes') return undefined;
  if (answer.kind === 'no') return `The user did not confirm: ${answer.question} Nothing was done.`;
  // Writes make their server-side dry run here, so that the question shows what would change. Every question is
  // escaped here, once: what the user reads is what will run, whatever characters the cluster's objects hold.
  const asked = await plan.question();
  if (!asked) return undefined;
  const question = escapeUnseen(asked);
  if (questionTooLarge(question)) {
    return `The change is too large to show the user whole in one question (over ${MAX_QUESTION_BYTES / 1000} KB): make it in smaller parts (fewer objects, or a smaller patch). Nothing was done.`;
  }
  if (hooks.canAsk) return { ask: question };
  if (hooks.confirmByArgument && call.args['confirm'] === true) return undefined;
  if (!hooks.confirmByArgument) return `${question} This changes the cluster and needs the user's yes, but this client cannot ask its user. Nothing was done.`;
  return `${question} This changes the cluster: ask the user, and if they agree call ${tool.name} again with "confirm": true. Nothing was done.`;
}

export async function runTool(tool: Tool, call: ToolCall, ctx: ToolContext, hooks: CallHooks): Promise<CallOutcome> {
  const { log, onCall, onForbidden } = hooks;
  const started = performance.now();
  const { namespace } = call;
  const audit = (outcome: string, status?: number) => {
    const durationMs = performance.now() - started;
    log.info({
      audit: true, tool: tool.name, principal: hooks.principal, namespace, outcome, status, durationMs: Math.round(durationMs),
      ...(hooks.traceId ? { trace_id: hooks.traceId } : {}),
    }, 'tool call');
    onCall?.(tool.name, outcome, status, durationMs);
  };
  const result = (r: CallResult): CallOutcome => ({ kind: 'result', result: r });
  try {
    const plan = await call.plan(ctx);
    const missing = await missingPermission(plan.needs, ctx);
    if (missing) {
      audit('denied-locally', 403);
      const where = missing.permission.scope === 'namespaced' ? ` in namespace ${namespace}` : ' cluster-wide';
      const which = missing.name ? ` (${missing.name})` : '';
      return result(errorResult(`Forbidden: this connection's RBAC role does not allow "${describePermission(missing.permission)}"${where}${which}; no request was sent. `
        + `A cluster admin can grant it; print the Role with: ${rbacHint(tool.name, namespace)}`));
    }
    const refusal = await confirmation(tool, plan, call, hooks);
    if (typeof refusal === 'object') {
      audit('asking-user');
      return { kind: 'ask', question: refusal.ask };
    }
    if (refusal) {
      audit('not-confirmed');
      return result(errorResult(refusal));
    }
    // A yes carries the question it answered: a tool whose plan holds a choice (a generated name) keeps that one.
    const answered = hooks.answer();
    const answer = await plan.run(answered.kind === 'yes' ? answered.question : undefined);
    audit('ok', 200);
    return result({ text: answer.text, structured: answer.structured as Record<string, unknown> });
  } catch (error) {
    if (error instanceof KubeApiError) {
      audit('api-error', error.status);
      // The role changed under us (or the rules review was wrong): find out now, not at the next interval.
      if (error.status === 403) onForbidden?.(`403 from ${tool.name}`);
      return result(errorResult(apiErrorMessage(tool.name, namespace, error)));
    }
    if (error instanceof ToolError) {
      audit('refused', error.status);
      return result(errorResult(error.message));
    }
    audit('failed');
    log.warn({ tool: tool.name, err: { message: (error as Error).message } }, 'tool call failed');
    return result(errorResult(`${tool.name} failed: ${(error as Error).message}`));
  }
}

/** What a 409 means for the call that got it, and what to do: none is cured by sending the same call again. */
function conflictHint(tool: string, error: KubeApiError): string {
  if (error.reason === 'AlreadyExists') {
    const what = error.details?.name ? `${error.details.kind ?? 'object'} ${error.details.name}` : 'An object of this name';
    return `${what} already exists (AlreadyExists), so the same call cannot succeed: give another name${tool === 'cronjobs_trigger' ? ', or leave jobName out for a unique one' : ''}. To change the existing object, use resources_apply or resources_patch.`;
  }
  if (error.details?.causes?.some((c) => c.reason === 'FieldManagerConflict')) {
    return 'Other field managers own these fields with other values (a field-manager conflict), so the same call cannot succeed: '
      + 'resources_apply with "force": true takes them over after the user\'s yes, or resources_patch changes a single field.';
  }
  if (/has been modified|resourceVersion/i.test(error.message)) {
    return 'The object changed after it was read (a stale resourceVersion); nothing was written. Read it again, then make the call again: the tool reads the object anew and asks again.';
  }
  return 'The write conflicts with the object\'s current state (see the message above); read the object to see why. The same call will not succeed unchanged.';
}

/** The API server's own message, with what to do next. */
export function apiErrorMessage(tool: string, namespace: string | undefined, error: KubeApiError): string {
  const next: Record<number, string> = {
    401: 'The cluster did not accept this connection\'s credentials: run `eks-rbac-mcp doctor`.',
    403: `The role lacks this permission; print a Role that grants it with: ${rbacHint(tool, namespace)}`,
    404: 'Check the name and namespace (a list tool shows what exists).',
    422: 'The request was invalid: fix the arguments named above.',
    429: 'The API server is throttling: retry shortly.',
  };
  const hint = error.status === 409 ? conflictHint(tool, error) : next[error.status] ?? (error.status >= 500 ? 'The API server failed: retry shortly.' : '');
  return `${error.reason} (HTTP ${error.status}): ${error.message}${hint ? `\n${hint}` : ''}`;
}
