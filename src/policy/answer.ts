// The binding of the user's answer to the exact call it was asked about.
//
// A question goes to the client with a requestState that carries the call's fingerprint (tool, arguments and caller)
// and the question's words, sealed with the SDK's HMAC codec: the client can read it, not forge it. A reply counts
// only when its state is one this server sealed, in the last ANSWER_TTL_SECONDS, for this very call by this caller;
// another call, or another caller, is asked again. What the seal cannot tell is whether the client put the question to
// its user: a client that answers yes itself, after a genuine first round, is not stopped here. It is seen, though:
// the first round's audit line (asking-user) comes before every destructive call that runs.
import { createRequestStateCodec, type RequestStateCodec, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** How long a question stays answerable: a later answer is not taken, and the user is asked again. */
export const ANSWER_TTL_SECONDS = 600;

/** What a question's requestState carries back: the call it was about, and its words. */
export interface Asked {
  fingerprint: string;
  question: string;
}

/** A requestState as the protocol seam opened it: what this server sealed, or why the seal does not hold. */
export type Opened = { sealed: Asked } | { unsealed: 'expired' | 'invalid' };

/** The user's reply to a question, as the client carried it back: accepted (with confirm true) or not, and the state. */
export interface Reply {
  accepted: boolean;
  /** Undefined when the client carried no state back. */
  state?: Opened;
}

/** What the user said about this exact call: a yes or a no keeps the question it answered. */
export type Answer =
  | { kind: 'yes'; question: string }
  | { kind: 'no'; question: string }
  | { kind: 'unasked' }
  /** A reply whose state this server did not seal (altered, or sealed with another key). */
  | { kind: 'unsealed' };

const askedSchema = z.object({ fingerprint: z.string(), question: z.string().max(16_384) });

/** Binds a user's answer to one exact call: another call (other arguments, other tool, another caller) is asked again. */
export function callFingerprint(principal: string, tool: string, args: Readonly<Record<string, unknown>>): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.keys(value).sort().filter((k) => k !== 'confirm').map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
    }
    return value;
  };
  // node:crypto is loaded here, by the first call that asks, rather than by an import: loading it took ~7 ms of CPU
  // before the server's first answer, which needs nothing of it.
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(JSON.stringify([principal, tool, canonical(args)])).digest('base64url');
}

export interface AnswerSeal {
  /** Whose key seals: the operator's, shared by the replicas, or one this process drew for itself. */
  readonly key: 'shared' | 'per-process';
  /** The requestState of a question: what it was about, sealed. */
  seal(asked: Asked): Promise<string>;
  /** Opens a requestState the client carried back (the SDK's requestState.verify hook); never throws. */
  open(state: string, ctx: ServerContext): Promise<Opened>;
}

/**
 * The seal of this process: the SDK's codec, keyed with the operator's key, or else with 32 random bytes drawn at the
 * first question (then a yes that reaches another replica than its question is refused: replicas share a key).
 */
export function answerSeal(sharedKey: string | undefined): AnswerSeal {
  let codec: RequestStateCodec | undefined;
  const sealer = () => (codec ??= createRequestStateCodec({
    key: sharedKey ?? process.getBuiltinModule('node:crypto').randomBytes(32), ttlSeconds: ANSWER_TTL_SECONDS,
  }));
  return {
    key: sharedKey === undefined ? 'per-process' : 'shared',
    seal: (asked) => sealer().mint(asked),
    async open(state, ctx) {
      try {
        const parsed = askedSchema.safeParse(await sealer().verify(state, ctx));
        return parsed.success ? { sealed: parsed.data } : { unsealed: 'invalid' };
      } catch (error) {
        // The codec's reasons: malformed, mac, expired, bind.
        return { unsealed: (error as Error).message === 'expired' ? 'expired' : 'invalid' };
      }
    },
  };
}

/** The user's answer to this call: a reply counts only when this server sealed its state, for this very call. */
export function answerTo(reply: Reply | undefined, fingerprint: () => string): Answer {
  if (!reply?.state) return { kind: 'unasked' };
  const { state } = reply;
  // Past its time the question is put again: the cluster may have changed since the user read it.
  if ('unsealed' in state) return state.unsealed === 'expired' ? { kind: 'unasked' } : { kind: 'unsealed' };
  if (state.sealed.fingerprint !== fingerprint()) return { kind: 'unasked' };
  return { kind: reply.accepted ? 'yes' : 'no', question: state.sealed.question };
}
