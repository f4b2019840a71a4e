// `serve --http`: MCP over streamable HTTP at /mcp, on plain node:http. A 2026-07-28 request is served alone, by a
// fresh server from the SDK's per-request entry, written through the SDK's Node adapter (toNodeHandler): any replica
// answers it, with no session. A 2025 client gets a session (sessions.ts: its GET stream carries list changes and
// questions for the user), or, with --stateless, the SDK's per-request 2025 serving, for replicas behind a load
// balancer without affinity.
// Every /mcp request passes the guards of guards.ts in the order `mcpGuards` gives, then goes to its era's serving.
// /healthz, /readyz and /metrics sit outside the bearer check and say nothing about the cluster. Resolves once a
// signal has stopped it: the CLI exits then.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyInboundRequest, createMcpHandler, localhostAllowedHostnames } from '@modelcontextprotocol/server';
import { toNodeHandler, type NodeMcpRequestHandler } from '@modelcontextprotocol/node';
import { isLoopbackHost, type Config, type HttpConfig } from '../config.ts';
import type { Connection } from '../connection.ts';
import type { Logger } from '../log.ts';
import { rpcAnswer, writeAnswer, type Answer } from './answer.ts';
import { createAuth, FailedAuthThrottle, failedAuthGuard, principalOf, type Auth } from './auth.ts';
import {
  ANSWERED, bearerGuard, bodyGuard, corsGuard, hostGuard, jsonGuard, loopbackOrigins, originGuard, rateLimitGuard, RateLimiter,
  readinessGuard, runGuards, throttleGuard, type Guard, type Inbound,
} from './guards.ts';
import { createMcpServer } from './mcp.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { catalogue, startRuntime, type Runtime } from './runtime.ts';
import { Sessions } from './sessions.ts';
import { SHUTDOWN_GRACE_MS, stopRequested } from './stopping.ts';

export function routeOf(path: string): string {
  if (path === '/mcp' || path === '/mcp/') return 'mcp';
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return path.slice(1);
  if (path.startsWith('/.well-known/')) return 'well-known';
  return 'other';
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

/**
 * Era routing: a request that passed the guards is served in a 2025 session, or alone by a fresh server. Sessions are
 * for 2025 clients only, routed by the SDK's own classification so that the two never disagree; a GET or DELETE
 * belongs to a session when it names one. With --stateless, every request is served alone.
 */
export function servingOf(req: IncomingMessage, body: unknown, stateless: boolean): 'session' | 'per-request' {
  if (stateless) return 'per-request';
  const sessionId = req.headers['mcp-session-id'];
  const legacy = req.method === 'POST' ? isLegacy(req, body) : typeof sessionId === 'string' && sessionId !== '';
  return legacy ? 'session' : 'per-request';
}

/**
 * Browser origins allowed: --allowed-origins, and on loopback the server's own origin, so that a page it could
 * serve, or a client that names it, is not refused. Any other binding allows only what it was told.
 */
export function allowedOriginsFor(http: Pick<HttpConfig, 'host' | 'allowedOrigins'>, port: number): string[] {
  return [...(http.allowedOrigins ?? []), ...(isLoopbackHost(http.host) ? loopbackOrigins(port) : [])];
}

/** What serves MCP once the runtime has started: absent while it starts. */
interface Serving {
  runtime: Runtime;
  /** 2026-07-28, and with --stateless the 2025 revisions too: one fresh server per request. */
  perRequest: NodeMcpRequestHandler;
  sessions: Sessions;
  /** Waits (a bounded grace) for the calls in flight, then ends every session and stream. */
  close(): Promise<void>;
}

interface State {
  serving?: Serving;
  shuttingDown: boolean;
}

interface AppDeps {
  http: HttpConfig;
  auth: Auth | undefined;
  metrics: Metrics;
  log: Logger;
  state: State;
  readiness: () => Promise<string | undefined>;
  /** The port the server listens on (known once it listens; requests come after that). */
  port: () => number;
}

/** The guards of an /mcp request, in the order they run. */
function mcpGuards({ http, auth, log, state, port }: AppDeps): Guard[] {
  // DNS rebinding: on loopback, only loopback names may appear in Host. Elsewhere the Service's names are not known
  // in advance, and authentication is required there anyway.
  const allowedHosts = http.allowedHosts ?? (isLoopbackHost(http.host) ? localhostAllowedHostnames() : undefined);
  let origins: string[] | undefined;
  return [
    ...(allowedHosts ? [hostGuard(allowedHosts)] : []),
    originGuard(() => (origins ??= allowedOriginsFor(http, port()))),
    corsGuard,
    ...(auth ? [throttleGuard(failedAuthGuard(auth, new FailedAuthThrottle(), log)), bearerGuard(auth)] : []),
    readinessGuard(state),
    bodyGuard(http.maxBodyBytes),
    jsonGuard,
    rateLimitGuard(new RateLimiter(http.rateLimit)),
  ];
}

const plain = (status: number, body: string): Answer => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body });

function createApp(deps: AppDeps) {
  const { http, auth, metrics, log, state, readiness } = deps;
  const guards = mcpGuards(deps);
  const answer = (res: ServerResponse, reply: Answer) => {
    if (reply.rejection) metrics.rejected(reply.rejection);
    writeAnswer(res, reply);
  };

  async function serveMcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const inbound: Inbound = { req, res };
    const verdict = await runGuards(guards, inbound);
    if (verdict === ANSWERED) return;
    if (verdict) return answer(res, verdict);
    const serving = state.serving!; // the readiness guard let the request on
    if (servingOf(req, inbound.body, http.stateless) === 'per-request') return serving.perRequest(inbound.req, res, inbound.body);
    const refusal = await serving.sessions.serve(req, res, inbound.body, principalOf(inbound.req.auth));
    if (refusal) answer(res, refusal);
  }

  async function serveRoute(route: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const get = req.method === 'GET';
    if (route === 'mcp') return serveMcp(req, res);
    if (route === 'healthz' && get) return answer(res, plain(200, 'ok\n'));
    if (route === 'readyz' && get) {
      const reason = await readiness();
      return answer(res, reason ? plain(503, `not ready: ${reason}\n`) : plain(200, 'ok\n'));
    }
    if (route === 'metrics' && get) return answer(res, { status: 200, headers: { 'content-type': metrics.contentType }, body: await metrics.render() });
    if (route === 'well-known' && auth?.resourceMetadata && path === auth.resourceMetadata.path) {
      const document = JSON.stringify(auth.resourceMetadata.document);
      return answer(res, { status: 200, headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*' }, body: document });
    }
    return answer(res, plain(404, 'not found\n'));
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
      await serveRoute(route, url.pathname, req, res);
    } catch (error) {
      log.error({ err: error }, 'HTTP request failed');
      if (res.headersSent) res.destroy();
      else writeAnswer(res, rpcAnswer(500, -32603, 'Internal error'));
    }
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Why the connection cannot prove its identity now: on EKS, no token that the API server would still accept. */
async function tokenProblem(connection: Connection): Promise<{ reason: string; error?: unknown } | undefined> {
  if (!connection.eks) return undefined;
  try {
    const minted = await withTimeout(connection.eks.authenticator.token(), 3000);
    return minted.expiresAt.getTime() <= Date.now() ? { reason: 'no valid token' } : undefined;
  } catch (error) {
    return { reason: 'no valid token', error };
  }
}

/** /readyz: undefined when ready (discovery done and a valid token), else why not; a change is logged once. */
function readinessCheck(state: State, log: Logger): () => Promise<string | undefined> {
  let lastReason: string | undefined = 'starting';
  return async () => {
    const runtime = state.serving?.runtime;
    let reason = state.shuttingDown ? 'shutting down' : runtime ? undefined : 'starting';
    if (!reason && runtime) {
      const problem = await tokenProblem(runtime.connection);
      reason = problem?.reason;
      if (problem?.error && lastReason !== reason) log.warn({ err: problem.error }, 'not ready: cannot mint a token');
    }
    if (reason !== lastReason && runtime) log.info({ ready: !reason, reason }, 'readiness changed');
    lastReason = reason;
    return reason;
  };
}

/** MCP over the started runtime: the per-request handler, the sessions and their idle expiry, the metrics' hooks. */
function startServing(runtime: Runtime, http: HttpConfig, log: Logger, metrics: Metrics): Serving {
  // Stateless 2025 serving stays on (the SDK's default): with --stateless it serves the 2025 clients, and without it
  // server/discover still names the 2025 revisions that the sessions serve.
  const handler = createMcpHandler(() => createMcpServer(runtime, { principal: (ctx) => principalOf(ctx.http?.authInfo), followChanges: false }), {
    onerror: (error) => log.debug({ err: error }, 'MCP request refused'), maxRequestBodySize: http.maxBodyBytes,
  });
  // This replica's own re-discovery tells its own subscribers: no shared bus is needed, each replica re-discovers.
  runtime.on('permissions', () => {
    void handler.notify.toolsChanged();
    void handler.notify.promptsChanged(); // prompts follow the tools they use
  });
  runtime.onToolCall = metrics.toolCall;
  metrics.watch(runtime.connection);
  const sessions = new Sessions({
    newServer: (principal) => createMcpServer(runtime, { principal: () => principal, followChanges: true }), replayBufferBytes: http.replayBufferBytes, log,
  });
  const idleMs = http.sessionIdleTimeout * 1000;
  const sweep = setInterval(() => sessions.expireIdle(Date.now(), idleMs), Math.min(60_000, idleMs / 4));
  sweep.unref();
  return {
    runtime,
    sessions,
    perRequest: toNodeHandler(handler, { onerror: (error) => log.error({ err: error }, 'HTTP request failed'), maxRequestBodySize: http.maxBodyBytes }),
    async close() {
      clearInterval(sweep);
      await runtime.shutdown(SHUTDOWN_GRACE_MS).catch(() => undefined);
      await Promise.allSettled([sessions.closeAll(), handler.close()]);
    },
  };
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The HTTP server, listening; its timeouts bound what a slow client can hold. */
async function listen(http: HttpConfig, app: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<Server> {
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
  return server;
}

export async function serveHttp(config: Config, http: HttpConfig, log: Logger): Promise<void> {
  const auth = await createAuth(http, log);
  const state: State = { shuttingDown: false };
  const metrics = createMetrics({ toolNames: catalogue.map((t) => t.name), activeSessions: () => state.serving?.sessions.size ?? 0 });
  const port = () => (server.address() as AddressInfo).port;
  const server = await listen(http, createApp({ http, auth, metrics, log, state, readiness: readinessCheck(state, log), port }));
  const url = `http://${urlHost(http.host)}:${port()}/mcp`;
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
  const serving = state.serving = startServing(runtime, http, log, metrics);
  log.info({ url, stateless: http.stateless }, 'serving MCP over HTTP');

  const reason = await stopRequested();
  state.shuttingDown = true; // /readyz fails and new MCP requests get 503 from here on
  log.info({ reason }, 'shutting down');
  server.close();
  await serving.close();
  server.closeAllConnections();
  metrics.close();
}
