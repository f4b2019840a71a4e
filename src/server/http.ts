// `serve --http`: MCP over streamable HTTP at /mcp with the SDK's transport, one McpServer per session over the
// shared runtime. Every /mcp request passes, in order: Host check, Origin allow-list, bearer authentication,
// readiness, the per-principal rate limit, then the session's owner check. /healthz, /readyz and /metrics sit
// outside the bearer check and say nothing about the cluster.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { isLoopbackHost, type Config, type HttpConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { catalogue } from '../../tools/index.ts';
import { createAuth, FailedAuthThrottle, failedAuthGuard, principalOf, type Auth } from './auth.ts';
import { corsHeaders, originAllowed, RateLimiter } from './guards.ts';
import { createMcpServer } from './mcp.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { startRuntime, type Runtime } from './runtime.ts';
import { SHUTDOWN_GRACE_MS } from './stdio.ts';

/** One principal may not hold more sessions than this: each holds a server and its tool registrations. */
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
  transport: StreamableHTTPServerTransport;
  server: McpServer;
}

export function routeOf(path: string): string {
  if (path === '/mcp' || path === '/mcp/') return 'mcp';
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return path.slice(1);
  if (path.startsWith('/.well-known/')) return 'well-known';
  return 'other';
}

/** A JSON-RPC error body, as the SDK's transport answers: clients parse these whatever the status. */
function rpcError(res: Response, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  res.status(status).set(headers).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

const short = (sessionId: string) => sessionId.slice(0, 8);

interface State {
  runtime?: Runtime;
  shuttingDown: boolean;
}

interface AppDeps {
  http: HttpConfig;
  auth: Auth | undefined;
  metrics: Metrics;
  log: Logger;
  state: State;
  sessions: SessionTable<Session>;
  readiness: () => Promise<string | undefined>;
}

function createApp({ http, auth, metrics, log, state, sessions, readiness }: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    const started = performance.now();
    res.on('close', () => {
      const route = routeOf(req.path);
      metrics.httpRequest(route, req.method, res.statusCode, (performance.now() - started) / 1000);
      if (route === 'mcp' && res.statusCode === 401) metrics.rejected('unauthenticated');
      if (route === 'mcp' && res.statusCode === 403 && res.getHeader('www-authenticate')) metrics.rejected('insufficient-scope');
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', async (_req, res) => {
    const reason = await readiness();
    res.status(reason ? 503 : 200).type('text/plain').send(reason ? `not ready: ${reason}\n` : 'ok\n');
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.contentType).send(await metrics.render());
  });
  if (auth?.resourceMetadata) app.use(auth.resourceMetadata.path, metadataHandler(auth.resourceMetadata.document));

  const guards: RequestHandler[] = [];
  // DNS rebinding: on loopback, only loopback names may appear in Host (the SDK's own check). Elsewhere the
  // Service's names are not known in advance, and authentication is required there anyway.
  const allowedHosts = http.allowedHosts ?? (isLoopbackHost(http.host) ? ['localhost', '127.0.0.1', '[::1]'] : undefined);
  if (allowedHosts) guards.push(hostHeaderValidation(allowedHosts));
  const allowedOrigins = http.allowedOrigins ?? [];
  guards.push((req, res, next) => {
    const origin = req.headers.origin;
    if (!originAllowed(origin, allowedOrigins)) {
      metrics.rejected('forbidden-origin');
      rpcError(res, 403, -32000, 'Forbidden: this Origin is not allowed (see --allowed-origins)');
      return;
    }
    if (origin) res.set(corsHeaders(origin));
    if (req.method === 'OPTIONS') { // a CORS preflight carries no credentials: answer it before authentication
      res.status(204).end();
      return;
    }
    next();
  });
  if (auth) guards.push(failedAuthGuard(auth, new FailedAuthThrottle(), log)); // repeated 401s from one address back off
  if (auth) guards.push(requireBearerAuth({ verifier: auth, requiredScopes: auth.requiredScopes, resourceMetadataUrl: auth.resourceMetadata?.url }));
  guards.push((_req, res, next) => {
    if (state.runtime && !state.shuttingDown) return next();
    metrics.rejected('not-ready');
    rpcError(res, 503, -32000, state.shuttingDown ? 'The server is shutting down: reconnect' : 'The server is starting: retry shortly', { 'Retry-After': '2' });
  });
  const limiter = new RateLimiter(http.rateLimit);
  guards.push((req, res, next) => {
    const wait = limiter.check(principalOf(req.auth));
    if (wait === 0) return next();
    metrics.rejected('rate-limited');
    rpcError(res, 429, -32000, `Too many requests: retry in ${wait} s`, { 'Retry-After': String(wait) });
  });

  const handle = http.stateless ? statelessHandler(http) : statefulHandler(http, sessions, metrics, log);
  app.all('/mcp', ...guards, (req, res) => handle(req, res, state.runtime!));

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found\n');
  });
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    log.error({ err: { message: error.message, stack: error.stack } }, 'HTTP request failed');
    if (res.headersSent) res.destroy();
    else rpcError(res, 500, -32603, 'Internal error');
  });
  return app;
}

type Handler = (req: Request, res: Response, runtime: Runtime) => Promise<void>;

/**
 * Stateful: a session per initialize, kept until DELETE, idle expiry or shutdown, so that notifications such
 * as tools/list_changed reach the client on its GET stream. Requests without a session id go to a fresh
 * transport: the SDK itself answers everything that is not a valid initialize (400, 406, 415, 413).
 */
function statefulHandler(http: HttpConfig, sessions: SessionTable<Session>, metrics: Metrics, log: Logger): Handler {
  return async (req, res, runtime) => {
    const principal = principalOf(req.auth);
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string' && id !== '') {
      const found = sessions.lookup(id, principal);
      if (found.kind !== 'ok') {
        if (found.kind === 'other-principal') log.warn({ principal, session: short(id) }, 'a session id was presented by another principal: refused');
        metrics.rejected(found.kind === 'other-principal' ? 'session-of-another-principal' : 'session-not-found');
        rpcError(res, 404, -32001, 'Session not found');
        return;
      }
      const session = found.session;
      session.inFlight += 1;
      res.on('close', () => {
        session.inFlight -= 1;
        session.lastSeenMs = Date.now();
      });
      await session.transport.handleRequest(req, res);
      return;
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      rpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      return;
    }
    if (req.method !== 'POST') {
      rpcError(res, 405, -32000, 'Method not allowed.', { Allow: 'GET, POST, DELETE' });
      return;
    }
    if (sessions.countFor(principal) >= MAX_SESSIONS_PER_PRINCIPAL) {
      metrics.rejected('too-many-sessions');
      rpcError(res, 429, -32000, `Too many open sessions (${MAX_SESSIONS_PER_PRINCIPAL}) for this principal: end some with DELETE or let idle ones expire`);
      return;
    }
    const server = createMcpServer(runtime);
    let session: Session | undefined;
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: http.maxBodyBytes,
      onsessioninitialized: (sessionId) => {
        session = { id: sessionId, principal, transport, server, lastSeenMs: Date.now(), inFlight: 1 };
        sessions.add(session);
        log.info({ session: short(sessionId), principal }, 'session opened');
      },
    });
    transport.onclose = () => {
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
    await transport.handleRequest(req, res);
    if (!session) await transport.close(); // not an initialize: there is nothing to keep
  };
}

/**
 * Stateless (--stateless, for replicas behind a load balancer without affinity): a fresh server and transport
 * per POST, nothing kept between requests. GET (the server-to-client stream) and DELETE have nothing to serve.
 */
function statelessHandler(http: HttpConfig): Handler {
  return async (req, res, runtime) => {
    if (req.method !== 'POST') {
      rpcError(res, 405, -32000, 'Method not allowed: this server is stateless (no sessions, no server-sent stream)', { Allow: 'POST' });
      return;
    }
    const server = createMcpServer(runtime);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, maxRequestBodySize: http.maxBodyBytes });
    res.on('close', () => {
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
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

  const app = createApp({ http, auth, metrics, log, state, sessions, readiness });
  const server = createServer({
    requestTimeout: http.requestTimeout * 1000, // the whole request must arrive within this (slow clients, slowloris)
    headersTimeout: Math.min(http.requestTimeout, 10) * 1000,
    connectionsCheckingInterval: Math.min(5_000, http.requestTimeout * 500), // Node checks both only this often
    keepAliveTimeout: 65_000, // longer than a cloud load balancer's idle timeout (60 s), so it never reuses a closed socket
  }, app);
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

  const shutdown = async (reason: string) => {
    if (state.shuttingDown) return;
    state.shuttingDown = true; // /readyz fails and new MCP requests get 503 from here on
    log.info({ reason }, 'shutting down');
    clearInterval(sweep);
    server.close();
    await runtime.shutdown(SHUTDOWN_GRACE_MS).catch(() => undefined);
    await Promise.allSettled(sessions.all().map((s) => s.transport.close()));
    server.closeAllConnections();
    metrics.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
