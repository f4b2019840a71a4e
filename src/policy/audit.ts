// The one audit line of a tool call. Every call the pipeline sees ends in exactly one outcome, refusals included, and
// the HTTP metrics count the same outcomes: this list is the one place they are named.
import type { Logger } from '../log.ts';

export const OUTCOMES = [
  'ok', 'asking-user', 'not-confirmed', 'unverified-answer', 'denied-locally', 'not-offered', 'unknown-tool', 'invalid-arguments', 'too-many-in-flight',
  'refused', 'api-error', 'failed',
] as const;

export type Outcome = (typeof OUTCOMES)[number];

/** What a transport may observe of each tool call (HTTP metrics): the facts of the audit line, exact duration. */
export type ToolCallHook = (tool: string, outcome: Outcome, status: number | undefined, durationMs: number) => void;

/** Writes the call's audit line, once it knows how the call ended. */
export type Audit = (outcome: Outcome, status?: number) => void;

export interface AuditSink {
  log: Logger;
  /** Who is calling (token name, JWT subject, or "stdio"): on every line, so agents sharing a connection are told apart. */
  principal: string;
  /** The W3C trace id of the caller's traceparent, when it sent one. */
  traceId?: string;
  onCall?: ToolCallHook;
}

/** A client may send any tool name or namespace: the line keeps a bounded prefix of what it sent. */
const bounded = (value: string) => value.slice(0, 253);

/** The audit line of one call, timed from `started`. */
export function auditor(sink: AuditSink, tool: string, namespace: string | undefined, started = performance.now()): Audit {
  return (outcome, status) => {
    const durationMs = performance.now() - started;
    sink.log.info({
      audit: true, tool: bounded(tool), principal: sink.principal, namespace: namespace === undefined ? undefined : bounded(namespace), outcome, status,
      durationMs: Math.round(durationMs), ...(sink.traceId ? { trace_id: sink.traceId } : {}),
    }, 'tool call');
    sink.onCall?.(tool, outcome, status, durationMs);
  };
}

/** The trace id of a W3C traceparent header value; undefined for anything malformed (or the all-zero id). */
export function traceIdOf(traceparent: unknown): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent.trim());
  return match && !/^0+$/.test(match[1]!) ? match[1] : undefined;
}
