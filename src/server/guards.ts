// What an HTTP request must pass before it reaches MCP, apart from authentication: the Origin allow-list
// (the SDK checks Host but not Origin) and a per-principal rate limit. Pure functions and one small class.
import { localhostAllowedOrigins } from '@modelcontextprotocol/server';

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
