// An HTTP answer that ends a request before MCP serves it: a refusal of a guard or of the session table, or a
// CORS preflight. Built as a value (so that each guard is a pure decision, tested without a socket) and written once.
import type { ServerResponse } from 'node:http';
import type { Rejection } from './metrics.ts';

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** What the metrics count this refusal as, when it is one they count. */
  rejection?: Rejection;
}

/** A JSON-RPC error body, as the SDK's transport answers: clients parse these whatever the status. */
export function rpcAnswer(status: number, code: number, message: string, headers: Record<string, string> = {}, rejection?: Rejection): Answer {
  return {
    status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }),
    ...(rejection ? { rejection } : {}),
  };
}

/** A small web Response (the SDK's authentication challenge) as an answer: its body is read whole. */
export async function answerOf(response: Response): Promise<Answer> {
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}

export function writeAnswer(res: ServerResponse, { status, headers, body }: Answer): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, headers);
  res.end(body);
}
