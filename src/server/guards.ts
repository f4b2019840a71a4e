// What an HTTP request to /mcp must pass before MCP serves it, as an ordered list of small guards (the order is
// composed in http.ts): each looks at the request, and either lets it on or returns the answer that ends it. Also
// the pure pieces they use: the Origin allow-list (the SDK checks Host but not Origin), CORS, the per-principal
// rate limit, the JSON depth limit.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  bearerAuthChallengeResponse, localhostAllowedOrigins, validateHostHeader, verifyBearerToken, type AuthInfo,
} from '@modelcontextprotocol/server';
import { answerOf, rpcAnswer, type Answer } from './answer.ts';
import { principalOf, type Auth } from './auth.ts';

/** `scheme://host[:port]`, lowercase, default port dropped; undefined when it is not an origin (e.g. "null"). */
export function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    if (url.origin === 'null') return undefined;
    return url.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * A browser always sends Origin on a cross-site request, so a page on another site (or a DNS-rebound name)
 * is refused here even when the user's browser could reach the server. Clients that are not browsers send
 * no Origin and are not affected; MCP requires 403 for an Origin that is present and not allowed.
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  const normalized = normalizeOrigin(origin);
  return normalized !== undefined && allowed.some((a) => normalizeOrigin(a) === normalized);
}

/**
 * A server bound to loopback is reachable from this machine only, under the loopback names its Host check accepts
 * (the SDK's list): its own origin is each of them at its port, over plain http. A page of another local service
 * (another port) or a DNS-rebound name is still another origin.
 */
export function loopbackOrigins(port: number): string[] {
  return localhostAllowedOrigins().map((host) => `http://${host}:${port}`);
}

/** CORS response headers for an allowed browser origin: what an MCP client must send and read. */
export function corsHeaders(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID, traceparent, tracestate',
    'Access-Control-Expose-Headers': 'Mcp-Session-Id, WWW-Authenticate',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };
}

export interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * Token bucket: `perMinute` requests a minute on average, bursts up to `perMinute`. `cost` is how many requests
 * this is (a JSON-RPC batch is as many as it holds), never more than the bucket can ever hold. Returns the bucket
 * after this request and, when refused, how many seconds until it would be allowed. Pure.
 */
export function take(bucket: Bucket | undefined, nowMs: number, perMinute: number, cost = 1): { bucket: Bucket; allowed: boolean; retryAfterSeconds: number } {
  const ratePerMs = perMinute / 60_000;
  const need = Math.min(cost, perMinute);
  const start = bucket ?? { tokens: perMinute, updatedMs: nowMs };
  const tokens = Math.min(perMinute, start.tokens + Math.max(0, nowMs - start.updatedMs) * ratePerMs);
  if (tokens >= need) return { bucket: { tokens: tokens - need, updatedMs: nowMs }, allowed: true, retryAfterSeconds: 0 };
  return { bucket: { tokens, updatedMs: nowMs }, allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((need - tokens) / ratePerMs / 1000)) };
}

/** One bucket per principal; buckets that have refilled completely are forgotten, so memory stays bounded. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly perMinute: number, private readonly now: () => number = Date.now) {}

  /** 0 when allowed; otherwise the seconds to wait. A limit of 0 turns limiting off. */
  check(principal: string, cost = 1): number {
    if (this.perMinute <= 0) return 0;
    const result = take(this.buckets.get(principal), this.now(), this.perMinute, cost);
    this.buckets.set(principal, result.bucket);
    if (this.buckets.size > 10_000) this.prune();
    return result.allowed ? 0 : result.retryAfterSeconds;
  }

  prune(): void {
    const now = this.now();
    for (const [key, bucket] of this.buckets) {
      if (take(bucket, now, this.perMinute).bucket.tokens >= this.perMinute - 1) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** Deeper JSON than any MCP message needs: refused before the SDK validates it (a recursive walk could overflow). */
export const MAX_JSON_DEPTH = 64;

/** Whether a parsed JSON value nests deeper than `max` arrays and objects. Iterative: it cannot overflow itself. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/** How many JSON-RPC requests a body carries: a batch is as many requests as it holds, for the rate limit. */
export function requestCount(body: unknown): number {
  const isRequest = (m: unknown) => typeof m === 'object' && m !== null && 'method' in m && 'id' in m;
  if (Array.isArray(body)) return Math.max(1, body.filter(isRequest).length);
  return 1;
}

// --- the guards --------------------------------------------------------------------------------------------

/** A request on its way through the guards; they fill in what they learn (who is calling, the body). */
export interface Inbound {
  readonly req: IncomingMessage & { auth?: AuthInfo };
  readonly res: ServerResponse;
  /** A POST's body as read, within the size limit. */
  raw?: string;
  /** Its parsed JSON. */
  body?: unknown;
}

/** The guard wrote the answer itself (the failed-authentication throttle, an Express-style middleware). */
export const ANSWERED = 'answered';

/** Nothing: the request goes on to the next guard. An answer, or ANSWERED: the request ends here. */
export type Verdict = Answer | typeof ANSWERED | undefined;

export type Guard = (inbound: Inbound) => Verdict | Promise<Verdict>;

/** Runs the guards in order, up to the first that ends the request; its verdict, or undefined when all let it on. */
export async function runGuards(guards: readonly Guard[], inbound: Inbound): Promise<Verdict> {
  for (const guard of guards) {
    const verdict = await guard(inbound);
    if (verdict) return verdict;
  }
  return undefined;
}

/** DNS rebinding: only these names may appear in Host (the SDK's check). */
export function hostGuard(allowedHosts: string[]): Guard {
  return ({ req }) => {
    const host = validateHostHeader(req.headers.host, allowedHosts);
    return host.ok ? undefined : rpcAnswer(403, -32000, `Forbidden: ${host.message}`);
  };
}

/** A browser's cross-site request is refused unless its Origin is allowed (the list is asked for once it is known). */
export function originGuard(allowed: () => readonly string[]): Guard {
  return ({ req }) => (originAllowed(req.headers.origin, allowed())
    ? undefined
    : rpcAnswer(403, -32000, 'Forbidden: this Origin is not allowed (see --allowed-origins)', {}, 'forbidden-origin'));
}

/**
 * An allowed Origin gets the CORS headers on whatever answers the request; a preflight is answered here, before
 * authentication, since it carries no credentials.
 */
export const corsGuard: Guard = ({ req, res }) => {
  const origin = req.headers.origin;
  if (origin) for (const [name, value] of Object.entries(corsHeaders(origin))) res.setHeader(name, value);
  return req.method === 'OPTIONS' ? { status: 204 } : undefined;
};

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** Repeated 401s from one address back off (auth.ts, failedAuthGuard): it answers 429 itself, or lets the request on. */
export function throttleGuard(throttle: Middleware): Guard {
  return ({ req, res }) => new Promise<Verdict>((resolve, reject) => {
    res.once('finish', () => resolve(ANSWERED));
    throttle(req, res, (error) => (error ? reject(error) : resolve(undefined)));
  });
}

/** The bearer token verified: the request acts as its principal from here on; otherwise the SDK's challenge. */
export function bearerGuard(auth: Auth): Guard {
  const options = { requiredScopes: auth.requiredScopes, resourceMetadataUrl: auth.resourceMetadata?.url };
  return async ({ req }) => {
    try {
      req.auth = await verifyBearerToken(req.headers.authorization, { verifier: auth, ...options });
      return undefined;
    } catch (error) {
      return answerOf(bearerAuthChallengeResponse(error, options));
    }
  };
}

/** MCP is served once discovery is done, and no longer once the server is shutting down. */
export function readinessGuard(state: { readonly serving?: unknown; readonly shuttingDown: boolean }): Guard {
  return () => {
    if (state.serving && !state.shuttingDown) return undefined;
    const message = state.shuttingDown ? 'The server is shutting down: reconnect' : 'The server is starting: retry shortly';
    return rpcAnswer(503, -32000, message, { 'Retry-After': '2' }, 'not-ready');
  };
}

/**
 * How much of a refused body is still read and dropped: the 413 reaches a client that is still sending only if its
 * upload is not cut under it (closing at once made the client's write fail with EPIPE before it read the answer, for
 * about one large body in five). Dropping keeps nothing, and runs after authentication where it is required; past this
 * (the largest --max-body-bytes allowed), the connection is dropped.
 */
const DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * The request body, read up to the limit; undefined when it is larger. A larger body is not kept: the rest is read
 * and dropped (up to DRAIN_BYTES) so that the client gets the 413, and the connection stays usable.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    let over = Number.isFinite(declared) && declared > limit;
    if (over) resolve(undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (!over && size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
      }
      if (!over) chunks.push(chunk);
      else if (size > DRAIN_BYTES) req.socket.destroy();
    });
    req.once('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/** A POST's body is read here, up to --max-body-bytes; a larger one is refused, and its rest dropped unread. */
export function bodyGuard(limit: number): Guard {
  return async (inbound) => {
    if (inbound.req.method !== 'POST') return undefined;
    const raw = await readBody(inbound.req, limit);
    if (raw === undefined) return rpcAnswer(413, -32000, `Request body larger than ${limit} bytes (--max-body-bytes)`);
    inbound.raw = raw;
    return undefined;
  };
}

/** The body must be JSON, nested no deeper than MAX_JSON_DEPTH, before the SDK validates it. */
export const jsonGuard: Guard = (inbound) => {
  if (inbound.raw === undefined) return undefined;
  try {
    inbound.body = JSON.parse(inbound.raw);
  } catch {
    return rpcAnswer(400, -32700, 'Parse error: the body is not JSON');
  }
  inbound.raw = undefined; // the text is not held while the request is served (a call may take minutes)
  return nestsDeeperThan(inbound.body, MAX_JSON_DEPTH) ? rpcAnswer(400, -32600, `Invalid Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`) : undefined;
};

/** Each principal's requests are limited (a batch counts as the requests it holds). */
export function rateLimitGuard(limiter: RateLimiter): Guard {
  return ({ req, body }) => {
    const wait = limiter.check(principalOf(req.auth), requestCount(body));
    return wait > 0 ? rpcAnswer(429, -32000, `Too many requests: retry in ${wait} s`, { 'Retry-After': String(wait) }, 'rate-limited') : undefined;
  };
}
