// `serve --http`: MCP over streamable HTTP at /mcp, on plain node:http. A 2026-07-28 request is served alone, by a
// fresh server from the SDK's per-request entry: any replica answers it, with no session. A 2025 client gets a
// session (its GET stream carries list changes and questions for the user), or, with --stateless, the SDK's
// per-request 2025 serving, for replicas behind a load balancer without affinity.
// Every /mcp request passes, in order: Host check, Origin allow-list, bearer authentication, readiness, the
// per-principal rate limit (counted per JSON-RPC request), then the era's own handling. /healthz, /readyz and
// /metrics sit outside the bearer check and say nothing about the cluster. Resolves once a signal has stopped it: the
// CLI exits then.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  bearerAuthChallengeResponse, classifyInboundRequest, createMcpHandler, validateHostHeader, verifyBearerToken,
  type AuthInfo, type McpHttpHandler, type McpServer,
} from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport, toWebRequest } from '@modelcontextprotocol/node';
import { isLoopbackHost, type Config, type HttpConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { catalogue } from '../../tools/index.ts';
import { createAuth, FailedAuthThrottle, failedAuthGuard, principalOf, type Auth } from './auth.ts';
import { corsHeaders, loopbackOrigins, MAX_JSON_DEPTH, nestsDeeperThan, originAllowed, RateLimiter } from './guards.ts';
import { createMcpServer } from './mcp.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { resumableStreams, type ReplayBuffer } from './replay.ts';
import { startRuntime, type Runtime } from './runtime.ts';
import { SHUTDOWN_GRACE_MS, stopRequested } from './stopping.ts';

/** One principal may not hold more sessions than this: each holds a server. */
export const MAX_SESSIONS_PER_PRINCIPAL = 256;

interface OwnedSession {
  id: string;
  principal: string;
  lastSeenMs: number;
  /** Requests (including an open SSE stream) being served: a session in use is never idle. */
  inFlight: number;
}

/** Sessions by id, each owned by the principal that opened it. */
export class SessionTable<S extends OwnedSession> {
  private readonly byId = new Map<string, S>();
  /** Sessions being opened, counted before their first await so that concurrent opens cannot overshoot the cap. */
  private readonly opening = new Map<string, number>();

  /** Takes a slot for a session this principal is opening, or says no when it holds the cap already. */
  reserve(principal: string, cap: number): (() => void) | undefined {
    const pending = this.opening.get(principal) ?? 0;
    if (this.countFor(principal) + pending >= cap) return undefined;
    this.opening.set(principal, pending + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.opening.get(principal) ?? 1) - 1;
      if (left > 0) this.opening.set(principal, left);
      else this.opening.delete(principal);
    };
  }

  add(session: S): void {
    this.byId.set(session.id, session);
  }

  remove(id: string): boolean {
    return this.byId.delete(id);
  }

  /** The session, if it exists and belongs to this principal: another principal's id is as good as unknown. */
  lookup(id: string, principal: string): { kind: 'ok'; session: S } | { kind: 'not-found' } | { kind: 'other-principal' } {
    const session = this.byId.get(id);
    if (!session) return { kind: 'not-found' };
    return session.principal === principal ? { kind: 'ok', session } : { kind: 'other-principal' };
  }

  countFor(principal: string): number {
    let n = 0;
    for (const s of this.byId.values()) if (s.principal === principal) n += 1;
    return n;
  }

  idle(nowMs: number, idleMs: number): S[] {
    return [...this.byId.values()].filter((s) => s.inFlight <= 0 && nowMs - s.lastSeenMs >= idleMs);
  }

  all(): S[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }
}

interface Session extends OwnedSession {
  transport: NodeStreamableHTTPServerTransport;
  server: McpServer;
  /** The events its streams sent, for a client that resumes one (none with --replay-buffer-bytes 0). */
  events?: ReplayBuffer;
}

export function routeOf(path: string): string {
  if (path === '/mcp' || path === '/mcp/') return 'mcp';
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return path.slice(1);
  if (path.startsWith('/.well-known/')) return 'well-known';
  return 'other';
}

/** A JSON-RPC error body, as the SDK's transport answers: clients parse these whatever the status. */
function rpcError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

/**
 * Writes a web-standard Response (the SDK's answers and auth challenges) to a Node response: a JSON body in one
 * write, an event stream as it comes (with backpressure; the client going away cancels it).
 */
async function sendResponse(res: ServerResponse, response: Response, extraHeaders: Record<string, string> = {}): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) headers[name] = value;
  Object.assign(headers, extraHeaders);
  if (response.body && response.headers.get('content-type')?.startsWith('text/event-stream')) {
    res.writeHead(response.status, headers);
    await pipeline(Readable.fromWeb(response.body as WebReadableStream), res).catch(() => undefined); // the client left
    return;
  }
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

const short = (sessionId: string) => sessionId.slice(0, 8);

/**
 * A GET resuming after an event this session no longer holds (evicted by newer ones, or never sent): the SDK would
 * answer that the id is malformed. Undefined when the request is not such a resumption.
 */
export function unresumable(req: Pick<IncomingMessage, 'method' | 'headers'>, events: ReplayBuffer | undefined): string | undefined {
  const after = req.headers['last-event-id'];
  if (req.method !== 'GET' || typeof after !== 'string' || !events || events.holds(after)) return undefined;
  return `Bad Request: the events after this Last-Event-ID are no longer held (a session keeps its last ${events.maxBytes} bytes of events, `
    + 'see --replay-buffer-bytes); the outcome of the request that stream answered is unknown: check its effect before sending it again';
}

class BodyTooLarge extends Error {}

/** The request body, read up to the limit: a larger one is refused before it is buffered. */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/**
 * Whether a parsed POST is 2025 traffic, by the SDK's own classification (the step behind isLegacyRequest and
 * createMcpHandler's routing, given the same headers and body), read from the Node request: a session's every call
 * passes here, and building a web Request only to classify it cost a Headers, a second JSON.stringify of the body
 * and a Request per call.
 */
export function isLegacy(req: IncomingMessage, body: unknown): boolean {
  return classifyInboundRequest({
    httpMethod: 'POST', body,
    protocolVersionHeader: header(req, 'mcp-protocol-version'), mcpMethodHeader: header(req, 'mcp-method'), mcpNameHeader: header(req, 'mcp-name'),
  }).kind === 'legacy';
}

/** How many JSON-RPC requests a body carries: a batch is as many requests as it holds, for the rate limit. */
export function requestCount(body: unknown): number {
  const isRequest = (m: unknown) => typeof m === 'object' && m !== null && 'method' in m && 'id' in m;
  if (Array.isArray(body)) return Math.max(1, body.filter(isRequest).length);
  return 1;
}

interface State {
  runtime?: Runtime;
  shuttingDown: boolean;
}

/** 2026-07-28, and with --stateless the 2025 revisions too: one fresh server per request. */
type PerRequest = McpHttpHandler;

interface AppDeps {
  http: HttpConfig;
  auth: Auth | undefined;
  metrics: Metrics;
  log: Logger;
  state: State;
  sessions: SessionTable<Session>;
  readiness: () => Promise<string | undefined>;
  perRequest: () => PerRequest;
  /** The port the server listens on (known once it listens; requests come after that). */
  port: () => number;
}

/**
 * Browser origins allowed: --allowed-origins, and on loopback the server's own origin, so that a page it could
 * serve, or a client that names it, is not refused. Any other binding allows only what it was told.
 */
export function allowedOriginsFor(http: Pick<HttpConfig, 'host' | 'allowedOrigins'>, port: number): string[] {
  return [...(http.allowedOrigins ?? []), ...(isLoopbackHost(http.host) ? loopbackOrigins(port) : [])];
}

function createApp({ http, auth, metrics, log, state, sessions, readiness, perRequest, port }: AppDeps) {
  // DNS rebinding: on loopback, only loopback names may appear in Host. Elsewhere the Service's names are not known
  // in advance, and authentication is required there anyway.
  const allowedHosts = http.allowedHosts ?? (isLoopbackHost(http.host) ? ['localhost', '127.0.0.1', '[::1]'] : undefined);
  let origins: string[] | undefined;
  const allowedOrigins = () => (origins ??= allowedOriginsFor(http, port()));
  const limiter = new RateLimiter(http.rateLimit);
  const throttle = auth ? failedAuthGuard(auth, new FailedAuthThrottle(), log) : undefined;

  async function serveMcp(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse): Promise<void> {
    if (allowedHosts) {
      const host = validateHostHeader(req.headers.host, allowedHosts);
      if (!host.ok) return rpcError(res, 403, -32000, `Forbidden: ${host.message}`);
    }
    const origin = req.headers.origin;
    if (!originAllowed(origin, allowedOrigins())) {
      metrics.rejected('forbidden-origin');
      return rpcError(res, 403, -32000, 'Forbidden: this Origin is not allowed (see --allowed-origins)');
    }
    const cors = origin ? corsHeaders(origin) : {};
    for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
    if (req.method === 'OPTIONS') { // a CORS preflight carries no credentials: answer it before authentication
      res.writeHead(204).end();
      return;
    }
    if (throttle) { // repeated 401s from one address back off; a valid token always passes
      const go = await new Promise<boolean>((resolve, reject) => {
        res.once('finish', () => resolve(false)); // the throttle answered 429 itself
        throttle(req, res, (error) => (error ? reject(error) : resolve(true)));
      });
      if (!go) return;
    }
    if (auth) {
      const options = { requiredScopes: auth.requiredScopes, resourceMetadataUrl: auth.resourceMetadata?.url };
      try {
        req.auth = await verifyBearerToken(req.headers.authorization, { verifier: auth, ...options });
      } catch (error) {
        return sendResponse(res, bearerAuthChallengeResponse(error, options), cors);
      }
    }
    const runtime = state.runtime;
    if (!runtime || state.shuttingDown) {
      metrics.rejected('not-ready');
      return rpcError(res, 503, -32000, state.shuttingDown ? 'The server is shutting down: reconnect' : 'The server is starting: retry shortly', { 'Retry-After': '2' });
    }
    let body: unknown;
    if (req.method === 'POST') {
      let raw: string;
      try {
        raw = await readBody(req, http.maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLarge) return rpcError(res, 413, -32000, `Request body larger than ${http.maxBodyBytes} bytes (--max-body-bytes)`, { connection: 'close' });
        throw error;
      }
      try {
        body = JSON.parse(raw);
      } catch {
        return rpcError(res, 400, -32700, 'Parse error: the body is not JSON');
      }
      if (nestsDeeperThan(body, MAX_JSON_DEPTH)) return rpcError(res, 400, -32600, `Invalid Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    const principal = principalOf(req.auth);
    const wait = limiter.check(principal, requestCount(body));
    if (wait > 0) {
      metrics.rejected('rate-limited');
      return rpcError(res, 429, -32000, `Too many requests: retry in ${wait} s`, { 'Retry-After': String(wait) });
    }
    if (http.stateless) return servePerRequest(req, res, body);
    // Sessions are for 2025 clients only: route them by the SDK's own classification, so that the two never disagree.
    const sessionId = req.headers['mcp-session-id'];
    const legacy = req.method === 'POST' ? isLegacy(req, body) : typeof sessionId === 'string' && sessionId !== '';
    return legacy ? serveSession(req, res, body, runtime, principal) : servePerRequest(req, res, body);
  }

  /** The web Request the SDK's handler takes, aborted when the client goes away before the answer is written. */
  function webRequest(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<Request> {
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    return toWebRequest(req, body, { signal: gone.signal, maxRequestBodySize: http.maxBodyBytes });
  }

  /**
   * A request served alone by a fresh server from the SDK's per-request handler, called through its web-standard
   * face: the request is converted once (the body is already parsed) and a JSON answer written in one piece.
   */
  async function servePerRequest(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, body: unknown): Promise<void> {
    const response = await perRequest().fetch(await webRequest(req, res, body), { ...(req.auth ? { authInfo: req.auth } : {}), ...(body !== undefined ? { parsedBody: body } : {}) });
    return sendResponse(res, response);
  }

  /**
   * A 2025 session: one per initialize, kept until DELETE, idle expiry or shutdown, so that notifications such as
   * tools/list_changed, and questions for the user, reach the client on its GET stream.
   */
  async function serveSession(req: IncomingMessage, res: ServerResponse, body: unknown, runtime: Runtime, principal: string): Promise<void> {
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string' && id !== '') {
      const found = sessions.lookup(id, principal);
      if (found.kind !== 'ok') {
        if (found.kind === 'other-principal') log.warn({ principal, session: short(id) }, 'a session id was presented by another principal: refused');
        metrics.rejected(found.kind === 'other-principal' ? 'session-of-another-principal' : 'session-not-found');
        return rpcError(res, 404, -32001, 'Session not found');
      }
      const session = found.session;
      const stale = unresumable(req, session.events);
      if (stale) return rpcError(res, 400, -32000, stale);
      session.inFlight += 1;
      res.on('close', () => {
        session.inFlight -= 1;
        session.lastSeenMs = Date.now();
      });
      return session.transport.handleRequest(req, res, body);
    }
    if (req.method === 'GET' || req.method === 'DELETE') return rpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    if (req.method !== 'POST') return rpcError(res, 405, -32000, 'Method not allowed.', { Allow: 'GET, POST, DELETE' });
    const release = sessions.reserve(principal, MAX_SESSIONS_PER_PRINCIPAL);
    if (!release) {
      metrics.rejected('too-many-sessions');
      return rpcError(res, 429, -32000, `Too many open sessions (${MAX_SESSIONS_PER_PRINCIPAL}) for this principal: end some with DELETE or let idle ones expire`);
    }
    try {
      const server = createMcpServer(runtime, { principal: () => principal, followChanges: true });
      const resumable = resumableStreams(http.replayBufferBytes);
      let session: Session | undefined;
      const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
        ...resumable,
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => {
          session = { id: sessionId, principal, transport, server, lastSeenMs: Date.now(), inFlight: 1, events: resumable.eventStore };
          sessions.add(session);
          release();
          log.info({ session: short(sessionId), principal }, 'session opened');
        },
      });
      transport.onclose = () => {
        resumable.eventStore?.clear(); // the events go with the session
        if (session && sessions.remove(session.id)) log.info({ session: short(session.id), principal }, 'session closed');
        void server.close().catch(() => undefined);
      };
      transport.onerror = (error) => log.debug({ err: { message: error.message } }, 'MCP transport');
      res.on('close', () => {
        if (!session) return;
        session.inFlight -= 1;
        session.lastSeenMs = Date.now();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
      if (!session) await transport.close(); // not an initialize: there is nothing to keep
    } finally {
      release();
    }
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routeOf(url.pathname);
    res.on('close', () => {
      metrics.httpRequest(route, req.method, res.statusCode, (performance.now() - started) / 1000);
      if (route === 'mcp' && res.statusCode === 401) metrics.rejected('unauthenticated');
      if (route === 'mcp' && res.statusCode === 403 && res.getHeader('www-authenticate')) metrics.rejected('insufficient-scope');
    });
    try {
      if (route === 'healthz' && req.method === 'GET') return text(res, 200, 'ok\n');
      if (route === 'readyz' && req.method === 'GET') {
        const reason = await readiness();
        return text(res, reason ? 503 : 200, reason ? `not ready: ${reason}\n` : 'ok\n');
      }
      if (route === 'metrics' && req.method === 'GET') {
        const body = await metrics.render();
        res.writeHead(200, { 'content-type': metrics.contentType });
        return void res.end(body);
      }
      if (route === 'well-known' && auth?.resourceMetadata && url.pathname === auth.resourceMetadata.path) {
        res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
        return void res.end(JSON.stringify(auth.resourceMetadata.document));
      }
      if (route === 'mcp') return await serveMcp(req, res);
      return text(res, 404, 'not found\n');
    } catch (error) {
      log.error({ err: { message: (error as Error).message, stack: (error as Error).stack } }, 'HTTP request failed');
      if (res.headersSent) res.destroy();
      else rpcError(res, 500, -32603, 'Internal error');
    }
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function serveHttp(config: Config, http: HttpConfig, log: Logger): Promise<void> {
  const auth = await createAuth(http, log);
  const sessions = new SessionTable<Session>();
  const state: State = { shuttingDown: false };
  const metrics = createMetrics({ toolNames: catalogue.map((t) => t.name), activeSessions: () => sessions.size });

  let lastReason: string | undefined = 'starting';
  /** Undefined when ready: discovery done and, on EKS, a token that the API server would still accept. */
  const readiness = async (): Promise<string | undefined> => {
    let reason: string | undefined;
    if (state.shuttingDown) reason = 'shutting down';
    else if (!state.runtime) reason = 'starting';
    else if (state.runtime.connection.eks) {
      try {
        const minted = await withTimeout(state.runtime.connection.eks.authenticator.token(), 3000);
        if (minted.expiresAt.getTime() <= Date.now()) reason = 'no valid token';
      } catch (error) {
        reason = 'no valid token';
        if (lastReason !== reason) log.warn({ err: { message: (error as Error).message } }, 'not ready: cannot mint a token');
      }
    }
    if (reason !== lastReason && state.runtime) log.info({ ready: !reason, reason }, 'readiness changed');
    lastReason = reason;
    return reason;
  };

  let perRequest: PerRequest | undefined;
  const onerror = (error: Error) => log.debug({ err: { message: error.message } }, 'MCP request refused');
  const app = createApp({
    http, auth, metrics, log, state, sessions, readiness, perRequest: () => perRequest!, port: () => (server.address() as { port: number }).port,
  });
  const server = createServer({
    requestTimeout: http.requestTimeout * 1000, // the whole request must arrive within this (slow clients, slowloris)
    headersTimeout: Math.min(http.requestTimeout, 10) * 1000,
    connectionsCheckingInterval: Math.min(5_000, http.requestTimeout * 500), // Node checks both only this often
    keepAliveTimeout: 65_000, // longer than a cloud load balancer's idle timeout (60 s), so it never reuses a closed socket
  }, (req, res) => void app(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(http.port, http.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  const url = `http://${urlHost(http.host)}:${port}/mcp`;
  log.info({ url, ...(auth?.summary ?? { auth: 'none' }), stateless: http.stateless }, 'listening');
  if (!auth) log.warn({ host: http.host }, 'no authentication: anyone who can reach this address can use the tools');

  let runtime: Runtime;
  try {
    runtime = await startRuntime(config, log);
  } catch (error) {
    server.closeAllConnections();
    server.close();
    metrics.close();
    throw error;
  }
  // Stateless 2025 serving stays on (the SDK's default): with --stateless it serves the 2025 clients, and without it
  // server/discover still names the 2025 revisions that the sessions serve.
  const modern = createMcpHandler(() => createMcpServer(runtime, { principal: (ctx) => principalOf(ctx.http?.authInfo), followChanges: false }), {
    onerror, maxRequestBodySize: http.maxBodyBytes,
  });
  perRequest = modern;
  // This replica's own re-discovery tells its own subscribers: no shared bus is needed, each replica re-discovers.
  runtime.on('permissions', () => {
    void modern.notify.toolsChanged();
    void modern.notify.promptsChanged(); // prompts follow the tools they use
  });
  runtime.onToolCall = metrics.toolCall;
  metrics.watch(runtime.connection);
  state.runtime = runtime;
  log.info({ url, stateless: http.stateless }, 'serving MCP over HTTP');

  const sweep = setInterval(() => {
    for (const session of sessions.idle(Date.now(), http.sessionIdleTimeout * 1000)) {
      log.info({ session: short(session.id), principal: session.principal }, 'session expired (idle)');
      void session.transport.close().catch(() => undefined);
    }
  }, Math.min(60_000, http.sessionIdleTimeout * 250));
  sweep.unref();

  const reason = await stopRequested();
  state.shuttingDown = true; // /readyz fails and new MCP requests get 503 from here on
  log.info({ reason }, 'shutting down');
  clearInterval(sweep);
  server.close();
  await runtime.shutdown(SHUTDOWN_GRACE_MS).catch(() => undefined);
  await Promise.allSettled([...sessions.all().map((s) => s.transport.close()), modern.close()]);
  server.closeAllConnections();
  metrics.close();
}
