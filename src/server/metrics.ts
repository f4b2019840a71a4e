// Prometheus metrics for `serve --http`, on a registry of our own. Labels are bounded and never name the cluster,
// a namespace, an object, a user or a token: /metrics is served without authentication.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Connection } from '../connection.ts';
import { OUTCOMES, type ToolCallHook } from '../policy/audit.ts';
import { DISCOVERY_CHANNEL, type DiscoveryRound } from './discovery.ts';

const PREFIX = 'eks_rbac_mcp_';
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

export type Rejection =
  | 'unauthenticated' | 'insufficient-scope' | 'forbidden-origin' | 'rate-limited' | 'not-ready'
  | 'session-not-found' | 'session-of-another-principal' | 'too-many-sessions';

export function methodLabel(method: string | undefined): string {
  const m = (method ?? '').toUpperCase();
  return METHODS.has(m) ? m : 'other';
}

/** A tool name from the catalogue, or "unknown": a client may call any name, and labels must stay bounded. */
export function toolLabel(name: string, known: ReadonlySet<string>): string {
  return known.has(name) ? name : 'unknown';
}

interface KubeResponse { method: string; code: string; seconds: number }

/**
 * Responses to this process's outgoing HTTP requests, kept only for the Kubernetes API's host. Discovery runs
 * before the endpoint is known to us (it may come from EKS DescribeCluster), so responses wait, by host, until
 * `adopt` names it; STS and EKS answers are then dropped.
 */
export class KubeResponseTally {
  private readonly pending = new Map<string, KubeResponse[]>();
  private pendingCount = 0;
  private host?: string;

  constructor(private readonly record: (response: KubeResponse) => void) {}

  observe(host: string, response: KubeResponse): void {
    if (this.host !== undefined) {
      if (host === this.host) this.record(response);
      return;
    }
    if (this.pendingCount >= 10_000) return; // bounded even if adopt never comes
    this.pending.set(host, [...(this.pending.get(host) ?? []), response]);
    this.pendingCount += 1;
  }

  adopt(host: string): void {
    this.host = host;
    for (const response of this.pending.get(host) ?? []) this.record(response);
    this.pending.clear();
    this.pendingCount = 0;
  }
}

export interface Metrics {
  contentType: string;
  toolCall: ToolCallHook;
  httpRequest(route: string, method: string | undefined, code: number, seconds: number): void;
  rejected(reason: Rejection): void;
  /** From now on, count the connection's API responses, token mints and credential refreshes. */
  watch(connection: Connection): void;
  render(): Promise<string>;
  close(): void;
}

type Registers = Registry[];
type Listener = (message: unknown) => void;

/** Tool calls by outcome, and their latency. */
function toolMetrics(registers: Registers, known: ReadonlySet<string>): ToolCallHook {
  const toolCalls = new Counter({ name: `${PREFIX}tool_calls_total`, help: `Tool calls by tool and outcome (${OUTCOMES.join(', ')}).`, labelNames: ['tool', 'outcome'], registers });
  const toolSeconds = new Histogram({ name: `${PREFIX}tool_call_duration_seconds`, help: 'Tool call latency, from the call to its result.', labelNames: ['tool'], buckets: LATENCY_BUCKETS, registers });
  return (tool, outcome, _status, durationMs) => {
    const label = toolLabel(tool, known);
    toolCalls.inc({ tool: label, outcome });
    if (outcome !== 'not-offered') toolSeconds.observe({ tool: label }, durationMs / 1000); // refused before any work
  };
}

/** Counts read from the connection and the sessions when scraped: tokens minted, credentials obtained, open sessions. */
function scrapedMetrics(registers: Registers, connection: () => Connection | undefined, activeSessions: () => number): void {
  new Counter({
    name: `${PREFIX}eks_token_mints_total`, help: 'EKS bearer tokens minted from the connection\'s credentials: the first, then each refresh.', registers,
    collect() {
      const n = connection()?.eks?.authenticator.mintCount;
      if (n !== undefined) { this.reset(); this.inc(n); }
    },
  });
  new Counter({
    name: `${PREFIX}aws_credential_refreshes_total`, help: 'AWS credentials obtained (AssumeRole or the default chain): the first, then each refresh.', registers,
    collect() {
      const n = connection()?.eks?.credentials.refreshCount;
      if (n !== undefined) { this.reset(); this.inc(n); }
    },
  });
  new Gauge({ name: `${PREFIX}active_sessions`, help: 'MCP sessions open over HTTP (0 in stateless mode).', registers, collect() { this.set(activeSessions()); } });
}

/** This server's own HTTP requests, and those refused before MCP. */
function httpMetrics(registers: Registers): Pick<Metrics, 'httpRequest' | 'rejected'> {
  const httpRequests = new Counter({ name: `${PREFIX}http_requests_total`, help: 'HTTP requests by route, method and status code.', labelNames: ['route', 'method', 'code'], registers });
  const httpSeconds = new Histogram({ name: `${PREFIX}http_request_duration_seconds`, help: 'HTTP request latency by route and method (an SSE stream counts until it ends).', labelNames: ['route', 'method'], buckets: LATENCY_BUCKETS, registers });
  const rejections = new Counter({ name: `${PREFIX}http_rejections_total`, help: 'HTTP requests refused before MCP, by reason.', labelNames: ['reason'], registers });
  return {
    httpRequest(route, method, code, seconds) {
      httpRequests.inc({ route, method: methodLabel(method), code: String(code) });
      httpSeconds.observe({ route, method: methodLabel(method) }, seconds);
    },
    rejected(reason) {
      rejections.inc({ reason });
    },
  };
}

/** Discovery rounds, as discovery publishes them on its channel. */
function discoveryListener(registers: Registers): Listener {
  const discoveryRequests = new Counter({
    name: `${PREFIX}discovery_requests_total`, labelNames: ['kind', 'trigger'], registers,
    help: 'Requests that permission discovery sent, by kind (selfsubjectrulesreviews, selfsubjectaccessreviews, apigroups, selfsubjectreviews, '
      + 'eks:ListAssociatedAccessPolicies) and by what started it (start, interval, forbidden).',
  });
  const refreshes = new Counter({
    name: `${PREFIX}permission_refreshes_total`, labelNames: ['trigger', 'tier', 'changed'], registers,
    help: 'Discovery rounds: tier "signals" read the rules reviews and the access-policy list only; "full" decided every permission again.',
  });
  const refreshSeconds = new Histogram({ name: `${PREFIX}permission_refresh_duration_seconds`, help: 'How long a discovery round took, by tier.', labelNames: ['tier'], buckets: LATENCY_BUCKETS, registers });
  return (message) => {
    const round = message as DiscoveryRound;
    for (const [kind, n] of Object.entries(round.requests)) discoveryRequests.inc({ kind, trigger: round.trigger }, n);
    refreshes.inc({ trigger: round.trigger, tier: round.tier, changed: String(round.changed) });
    refreshSeconds.observe({ tier: round.tier }, round.seconds);
  };
}

/**
 * The Kubernetes API's responses to this process, observed through Node's HTTP client diagnostics channels rather
 * than a hook in the Kubernetes client: every request is seen, discovery and the retry after a 401 included,
 * without the transport reaching into it. The API server's HTTP/2 connection (src/kube/client.ts) reports its
 * streams on the http2 channels. The channels to subscribe, and the tally that keeps the API server's host only.
 */
function kubeApiMetrics(registers: Registers): { tally: KubeResponseTally; channels: Array<[string, Listener]> } {
  const kubeResponses = new Counter({ name: `${PREFIX}kubernetes_api_responses_total`, help: 'Responses of the Kubernetes API server to this server, by HTTP method and status code.', labelNames: ['method', 'code'], registers });
  const kubeSeconds = new Histogram({ name: `${PREFIX}kubernetes_api_request_duration_seconds`, help: 'Kubernetes API request latency, until the response headers.', labelNames: ['method'], buckets: LATENCY_BUCKETS, registers });
  const tally = new KubeResponseTally((r) => {
    kubeResponses.inc({ method: r.method, code: r.code });
    kubeSeconds.observe({ method: r.method }, r.seconds);
  });
  const started = new WeakMap<object, number>();
  const record = (request: object, host: string, method: string | undefined, code: string) => {
    const since = started.get(request);
    tally.observe(host, { method: methodLabel(method), code, seconds: since === undefined ? 0 : (performance.now() - since) / 1000 });
  };
  const recordRequest = (request: ClientRequest, code: string) => record(request, String(request.getHeader('host') ?? ''), request.method, code);
  const recordStream = (stream: ClientHttp2Stream, code: string) => {
    const sent = stream.sentHeaders as IncomingHttpHeaders;
    record(stream, String(sent[':authority'] ?? ''), sent[':method'] as string | undefined, code);
  };
  const onStart: Listener = (message) => started.set((message as { request?: ClientRequest; stream?: ClientHttp2Stream }).request
    ?? (message as { stream: ClientHttp2Stream }).stream, performance.now());
  const onResponse: Listener = (message) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    recordRequest(request, String(response.statusCode ?? 0));
  };
  const onStreamResponse: Listener = (message) => {
    const { stream, headers } = message as { stream: ClientHttp2Stream; headers: IncomingHttpHeaders };
    recordStream(stream, String(headers[':status'] ?? 0));
  };
  return {
    tally,
    channels: [
      ['http.client.request.start', onStart], ['http.client.response.finish', onResponse],
      ['http.client.request.error', (message) => recordRequest((message as { request: ClientRequest }).request, 'error')],
      ['http2.client.stream.start', onStart], ['http2.client.stream.finish', onStreamResponse],
      ['http2.client.stream.error', (message) => recordStream((message as { stream: ClientHttp2Stream }).stream, 'error')],
    ],
  };
}

export function createMetrics(options: { toolNames: readonly string[]; activeSessions: () => number }): Metrics {
  const registry = new Registry();
  const registers = [registry];
  let connection: Connection | undefined;
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
  const toolCall = toolMetrics(registers, new Set(options.toolNames));
  const kube = kubeApiMetrics(registers);
  scrapedMetrics(registers, () => connection, options.activeSessions);
  const http = httpMetrics(registers);
  const channels: Array<[string, Listener]> = [...kube.channels, [DISCOVERY_CHANNEL, discoveryListener(registers)]];
  for (const [name, listener] of channels) subscribe(name, listener);
  return {
    contentType: registry.contentType,
    toolCall,
    ...http,
    watch(watched) {
      connection = watched;
      kube.tally.adopt(new URL(watched.kube.endpoint).host);
    },
    render: () => registry.metrics(),
    close() {
      for (const [name, listener] of channels) unsubscribe(name, listener);
      registry.clear();
    },
  };
}
