// Every tool call passes this one pipeline, whatever its transport: the lookup in the offer, the arguments, a call
// slot, the plan, the permission check (no request when the role lacks it), the user's yes for a call that asks
// (bound to the exact call), the call itself, the error mapping, and one audit line whatever the outcome. It speaks
// no protocol: the MCP adapter turns its outcome into a result, a question put to the user, or, for a name that no
// catalogue has, a protocol error.
import type { z, ZodRawShape } from 'zod';
import type { Logger } from '../log.ts';
import { describePermission } from '../rbac/permission.ts';
import { KubeApiError } from '../kube/errors.ts';
import { ToolError, type Need, type PlanWithNeeds, type Tool, type ToolCall, type ToolContext } from '../tool.ts';
import { escapeUnseen, MAX_QUESTION_BYTES, questionTooLarge } from '../question.ts';
import { rbacHint, type Caller, type Offer } from './offer.ts';
import type { InFlightLimiter } from './limits.ts';
import { auditor, type Audit, type AuditSink, type Outcome, type ToolCallHook } from './audit.ts';
import { answerTo, callFingerprint, type Answer, type AnswerSeal, type Reply } from './answer.ts';
import { apiErrorMessage } from './api-errors.ts';

/** A tool's answer as the pipeline hands it to the adapter. */
export interface CallResult {
  text: string;
  structured?: Record<string, unknown>;
  isError?: true;
}

/** One tools/call as the adapter hands it over, in no protocol's terms. */
export interface CallRequest {
  name: string;
  arguments: unknown;
  caller: Caller;
  /** Who is calling (token name, JWT subject, or "stdio"). */
  principal: string;
  /** The 2025 HTTP session the call came in, if any: its calls in flight are bounded too. */
  sessionId?: string;
  /** The W3C trace id of the caller's traceparent, when it sent one. */
  traceId?: string;
  /** The user's reply to this call's question, when the client already asked it. */
  reply?: Reply;
  signal: AbortSignal;
}

export type CallOutcome =
  | { kind: 'result'; result: CallResult }
  /** The call needs the user's yes: the adapter asks, and the client calls again with the answer and this state. */
  | { kind: 'ask'; question: string; state: string }
  /** No catalogue has a tool of that name: a protocol error rather than a tool's answer. */
  | { kind: 'unknown-tool'; message: string };

/** What the pipeline runs a call against: the runtime's offer of the moment, its limits, and what it is told. */
export interface CallEnvironment {
  offer: Offer;
  slots: InFlightLimiter;
  log: Logger;
  /** The operator's --confirm-by-argument: a client that cannot ask may confirm with `confirm: true`. */
  confirmByArgument: boolean;
  /** Seals each question's requestState, so that only a question this server asked can be answered. */
  answers: AnswerSeal;
  onCall?: ToolCallHook;
  /** An advertised tool got 403: the permissions may have changed. */
  onForbidden(reason: string): void;
  context(signal: AbortSignal): ToolContext;
  /** Runs the call so that shutdown waits for it, and cancels it past the grace period. */
  track<T>(run: (signal: AbortSignal) => Promise<T>, outer: AbortSignal): Promise<T>;
}

/** What running one call needs besides the call: its audit line, the user's answer, and who can be asked. */
export interface CallHooks {
  log: Logger;
  audit: Audit;
  onForbidden?: (reason: string) => void;
  /** The user's answer to this call's question, when the client already asked it. */
  answer(): Answer;
  /** The client can put a question to its user (elicitation). */
  canAsk: boolean;
  confirmByArgument: boolean;
}

type Ran = { kind: 'result'; result: CallResult } | { kind: 'ask'; question: string };

export function errorResult(message: string): CallResult {
  return { text: message, isError: true };
}

const result = (r: CallResult): { kind: 'result'; result: CallResult } => ({ kind: 'result', result: r });

/** The namespace a call asked for, before its arguments are checked: for the audit line of a refusal. */
function requestedNamespace(args: unknown): string | undefined {
  const namespace = args && typeof args === 'object' ? (args as Record<string, unknown>)['namespace'] : undefined;
  return typeof namespace === 'string' ? namespace : undefined;
}

function invalidArguments(tool: string, error: z.ZodError): string {
  const issues = error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
  return `Invalid arguments for ${tool}: ${issues}. Nothing was sent; fix them and call again.`;
}

/** A tools/call from lookup to answer, audited once whatever the outcome. */
export async function callTool(env: CallEnvironment, request: CallRequest): Promise<CallOutcome> {
  const { offer } = env;
  const started = performance.now();
  const sink: AuditSink = { log: env.log, principal: request.principal, traceId: request.traceId, onCall: env.onCall };
  const audit = auditor(sink, request.name, requestedNamespace(request.arguments), started);
  const ad = offer.find(request.name, request.caller);
  if (!ad) {
    const message = offer.refusal(request.name, request.caller);
    if (!offer.catalogue.some((t) => t.name === request.name)) {
      audit('unknown-tool', 404);
      return { kind: 'unknown-tool', message };
    }
    audit('not-offered', 403);
    return result(errorResult(message));
  }
  const parsed = offer.arguments(ad, request.caller).parse(request.arguments);
  if (!parsed.success) {
    audit('invalid-arguments', 400);
    return result(errorResult(invalidArguments(request.name, parsed.error)));
  }
  // Past the principal's (or session's) calls in flight, a call waits its turn; past the queue, it is refused.
  const slot = await env.slots.acquire(request.principal, request.sessionId);
  if ('refused' in slot) {
    audit('too-many-in-flight', 429);
    return result(errorResult(`Too many calls waiting for this principal (more than ${slot.refused}): nothing was sent. Wait for some to finish, then call again.`));
  }
  const { call } = parsed;
  // Hashed only for a call that asks: most calls are reads.
  let fingerprint: string | undefined;
  const fingerprintOf = () => (fingerprint ??= callFingerprint(request.principal, request.name, call.args));
  const hooks: CallHooks = {
    log: env.log, audit: auditor(sink, request.name, call.namespace, started), onForbidden: env.onForbidden,
    answer: () => answerTo(request.reply, fingerprintOf), canAsk: request.caller.canAsk, confirmByArgument: env.confirmByArgument,
  };
  try {
    const ran = await env.track((signal) => runCall(ad.tool, call, env.context(signal), hooks), request.signal);
    if (ran.kind === 'ask') return { ...ran, state: await env.answers.seal({ fingerprint: fingerprintOf(), question: ran.question }) };
    // Structured content goes out only with --structured-output: the text holds the same rows.
    const { structured: _structured, ...text } = ran.result;
    return result(offer.structuredOutput ? ran.result : text);
  } finally {
    slot.release();
  }
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

function forbidden(tool: string, namespace: string | undefined, missing: Need): string {
  const where = missing.permission.scope === 'namespaced' ? ` in namespace ${namespace}` : ' cluster-wide';
  const which = missing.name ? ` (${missing.name})` : '';
  return `Forbidden: this connection's RBAC role does not allow "${describePermission(missing.permission)}"${where}${which}; no request was sent. `
    + `A cluster admin can grant it; print the Role with: ${rbacHint(tool, namespace)}`;
}

/** Whether a call goes ahead, must ask the user first, or is refused (and with which outcome). */
type Confirmation = { go: true } | { ask: string } | { refuse: string; outcome: Outcome };

const refuse = (message: string, outcome: Outcome = 'not-confirmed'): Confirmation => ({ refuse: message, outcome });

/** The user's yes for a call that asks: given already, to be asked, or missing. */
async function confirmation(tool: Tool, plan: PlanWithNeeds<ZodRawShape>, call: ToolCall, answer: Answer, hooks: CallHooks): Promise<Confirmation> {
  if (!plan.question) return { go: true };
  // Answered already (the client's second round): a yes goes ahead without computing the question again.
  if (answer.kind === 'yes') return { go: true };
  if (answer.kind === 'no') return refuse(`The user did not confirm: ${answer.question} Nothing was done.`);
  if (answer.kind === 'unsealed') {
    return refuse(`The answer came with a question state this server did not seal (altered, or sealed by a replica with another key: replicas share EKS_MCP_REQUEST_STATE_KEY). Nothing was done; call ${tool.name} again to be asked anew.`, 'unverified-answer');
  }
  // Writes make their server-side dry run here, so that the question shows what would change. Every question is
  // escaped here, once: what the user reads is what will run, whatever characters the cluster's objects hold.
  const asked = await plan.question();
  if (!asked) return { go: true };
  const question = escapeUnseen(asked);
  if (questionTooLarge(question)) {
    return refuse(`The change is too large to show the user whole in one question (over ${MAX_QUESTION_BYTES / 1000} KB): make it in smaller parts (fewer objects, or a smaller patch). Nothing was done.`);
  }
  if (hooks.canAsk) return { ask: question };
  if (hooks.confirmByArgument && call.args['confirm'] === true) return { go: true };
  if (!hooks.confirmByArgument) return refuse(`${question} This changes the cluster and needs the user's yes, but this client cannot ask its user. Nothing was done.`);
  return refuse(`${question} This changes the cluster: ask the user, and if they agree call ${tool.name} again with "confirm": true. Nothing was done.`);
}

/** A call whose arguments are checked: its plan, the permission check, the user's yes, the call, the error mapping. */
export async function runCall(tool: Tool, call: ToolCall, ctx: ToolContext, hooks: CallHooks): Promise<Ran> {
  const { audit } = hooks;
  try {
    const plan = await call.plan(ctx);
    const missing = await missingPermission(plan.needs, ctx);
    if (missing) {
      audit('denied-locally', 403);
      return result(errorResult(forbidden(tool.name, call.namespace, missing)));
    }
    const answer: Answer = plan.question ? hooks.answer() : { kind: 'unasked' };
    const confirmed = await confirmation(tool, plan, call, answer, hooks);
    if ('ask' in confirmed) {
      audit('asking-user');
      return { kind: 'ask', question: confirmed.ask };
    }
    if ('refuse' in confirmed) {
      audit(confirmed.outcome, confirmed.outcome === 'unverified-answer' ? 403 : undefined);
      return result(errorResult(confirmed.refuse));
    }
    // A yes carries the question it answered: a tool whose plan holds a choice (a generated name) keeps that one.
    const done = await plan.run(answer.kind === 'yes' ? answer.question : undefined);
    audit('ok', 200);
    return result({ text: done.text, structured: done.structured });
  } catch (error) {
    return failed(tool.name, call.namespace, error, hooks);
  }
}

/** The error mapping: the API server's refusal with what to do, a tool's own refusal, or a failure. */
function failed(tool: string, namespace: string | undefined, error: unknown, hooks: CallHooks): { kind: 'result'; result: CallResult } {
  if (error instanceof KubeApiError) {
    hooks.audit('api-error', error.status);
    // The role changed under us (or the rules review was wrong): find out now, not at the next interval.
    if (error.status === 403) hooks.onForbidden?.(`403 from ${tool}`);
    return result(errorResult(apiErrorMessage(tool, namespace, error)));
  }
  if (error instanceof ToolError) {
    hooks.audit('refused', error.status);
    return result(errorResult(error.message));
  }
  hooks.audit('failed');
  hooks.log.warn({ tool, err: error }, 'tool call failed');
  return result(errorResult(`${tool} failed: ${(error as Error).message}`));
}
