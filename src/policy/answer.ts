// The binding of the user's answer to the exact call it was asked about. The question goes to the client with a
// requestState that carries the call's fingerprint and the question's words; a reply counts only for a call with the
// same fingerprint: a retry with other arguments, or another tool, is asked again.
import { z } from 'zod';

/** What a question's requestState carries back: the call it was about, and its words. */
export interface Asked {
  fingerprint: string;
  question: string;
}

/** The user's reply to a question, as the client carried it back: accepted (with confirm true) or not, and the state. */
export interface Reply {
  accepted: boolean;
  state: unknown;
}

/** What the user said about this exact call: a yes or a no keeps the question it answered. */
export type Answer = { kind: 'yes'; question: string } | { kind: 'no'; question: string } | { kind: 'unasked' };

const askedSchema = z.object({ fingerprint: z.string(), question: z.string().max(16_384) });

/** Binds a user's answer to one exact call: another call (other arguments, other tool) is asked again. */
export function callFingerprint(tool: string, args: Readonly<Record<string, unknown>>): string {
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

/** The requestState of a question: what it was about. */
export function sealAsked(asked: Asked): string {
  return Buffer.from(JSON.stringify(asked)).toString('base64url');
}

function openAsked(state: unknown): Asked | undefined {
  if (typeof state !== 'string' || state.length > 32_768) return undefined;
  try {
    const parsed = askedSchema.safeParse(JSON.parse(Buffer.from(state, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The user's answer to this call: a reply counts only when its state names this very call. */
export function answerTo(reply: Reply | undefined, fingerprint: () => string): Answer {
  if (!reply) return { kind: 'unasked' };
  const asked = openAsked(reply.state);
  if (asked?.fingerprint !== fingerprint()) return { kind: 'unasked' };
  return { kind: reply.accepted ? 'yes' : 'no', question: asked.question };
}
