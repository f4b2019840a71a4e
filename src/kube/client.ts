// The one HTTP path to the Kubernetes API: TLS verified against the cluster's CA, credentials applied per
// request by the connection's authenticator, a timeout on every request, Kubernetes Status errors as values.
//
// Why on node:http2 and node:https, not undici (Node's own HTTP client: Agent with allowH2, ProxyAgent, the retry
// interceptor). Measured against a faithful prototype of this client on undici 8.13 (the same TLS trust, bearer per
// request, HTTP/2 windows and frame size, pool size and proxy tunnel; exec's WebSocket still on ws; the retry policy
// kept as the loop below, since the interceptor retries by method and error code, while a review's POST is safe to
// send twice and another POST only when it never left):
// - It fails on what the API server does to a connection. Node counts a refused request body against the HTTP/2
//   connection's memory for good (see spoils() below), and undici, on node:http2 too, keeps using a connection whose
//   stream was reset with ENHANCE_YOUR_CALM: after a few bodies refused unread, every answer on it is refused, and a
//   413 for a body of tens of MB arrives as a refused stream. 3 of the 10 HTTP/2 client tests fail on that, a fourth
//   because answers cut mid-body take a third connection where two do, and the burst often had 39 of its 40 reviews
//   in flight at once rather than 40.
// - It costs the start. undici's one public entry brings fetch, WebSocket and caches: the chunk the start loads grows
//   from 107 KB to 840 KB (all of dist/ from 5.47 to 6.20 MB); a start to the first tools/list runs 14% more
//   instructions (1.26 G to 1.43 G, callgrind), and a burst of 300 access reviews over HTTP/2 29% more (427 M to 552 M).
// - It gains nothing measured: pods_list p50 was the same within the noise (200 pods 8.0 and 8.1 ms, 2,000 pods 33.9
//   and 36.2 ms, interleaved), and so was RSS after the calls.
// Working around the failures would put hand-written connection management back on top of undici.
import { connect as http2Connect, constants as h2, type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { WebSocket } from 'ws';
import { ProxyError, describeProxy, proxyForUrl } from '../net/proxy.ts';
import { ConnectionError, KubeApiError, ResponseTooLargeError, type KubeStatusDetails } from './errors.ts';

export interface KubeAuthenticator {
  /** Adds credentials (bearer header, client certificate) to the request options. */
  apply(options: RequestOptions): Promise<void>;
  /** Called once on a 401: returns true when fresh credentials were obtained and the request may be retried. */
  refresh?(): Promise<boolean>;
}

export interface KubeRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  /** Arrays repeat the parameter (exec's `command`). */
  query?: Record<string, string | number | boolean | string[] | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Stop reading after this many bytes (pod logs): the answer is marked truncated. */
  maxBytes?: number;
  /**
   * Safe to send twice: GETs, and POSTs of reviews, which change nothing. Default: GET only. Other requests
   * are retried only when it is certain they never reached the server.
   */
  idempotent?: boolean;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const RETRIABLE_STATUS = new Set([429, 500, 502, 503, 504]);
/**
 * The most a JSON answer may be: a page of 500 objects, or aggregated discovery on a cluster with many CRDs, is
 * far below it; an answer above it is refused rather than held in memory (an object can be made huge).
 */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;
/**
 * HTTP/1.1 connections kept open to the API server, when it is reached through a proxy or does not speak HTTP/2.
 * For a burst of reviews, 8 sockets answered fastest on the benchmark's control plane (4 to 12 were close; one
 * socket per review was ~40% slower).
 */
const POOL_SOCKETS = 8;
/** A multiplexed connection is closed after this long without a stream, as the pool's idle sockets are. */
const IDLE_MS = 5_000;
/**
 * HTTP/2 flow control and framing: the 64 KiB windows and 16 KiB frames by default would make a large list (a pods
 * Table of 2,000 rows is 3.4 MB) wait for window updates and arrive in ~200 frames, one 'data' event each (p50 155
 * against HTTP/1.1's 102 ms here); with these windows and the largest frames allowed, 124 against 118 ms.
 */
const STREAM_WINDOW = 4 * 1024 * 1024;
const SESSION_WINDOW = 16 * 1024 * 1024;
const MAX_FRAME = 2 ** 24 - 1;
/** The most of a request body queued on an HTTP/2 stream at once (see sendBody): the API server's stream window (its SETTINGS). */
const BODY_SLICE = 256 * 1024;
/** Connect-time failures: the request never left this process. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPROXYREFUSED']);

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  random: Math.random,
  sleep: (ms, signal) => new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  }),
};

/** Full-jitter exponential backoff; Retry-After (seconds) when the server gives one, within the cap. */
export function retryDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>, retryAfter?: string): number {
  const seconds = retryAfter !== undefined ? Number(retryAfter) : Number.NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, policy.maxDelayMs);
  return Math.round(policy.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

/** Whether another attempt is safe and useful. */
export function shouldRetry(idempotent: boolean, outcome: { status: number } | ConnectionError): boolean {
  if (outcome instanceof ConnectionError) return idempotent || !outcome.sent;
  return idempotent && RETRIABLE_STATUS.has(outcome.status);
}

export interface RawResponse {
  status: number;
  body: string;
  truncated: boolean;
  retryAfter?: string;
}

export function buildPath(path: string, query: KubeRequest['query'] = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export function statusError(status: number, body: string): KubeApiError {
  try {
    const parsed = JSON.parse(body) as { kind?: string; reason?: string; message?: string; details?: KubeStatusDetails };
    if (parsed.kind === 'Status') return new KubeApiError(status, parsed.reason ?? 'Unknown', parsed.message ?? body, parsed.details);
  } catch { /* not JSON: fall through */ }
  const reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'NotFound' : 'Unknown';
  return new KubeApiError(status, reason, body.trim().slice(0, 500) || `HTTP ${status}`);
}

export class KubeClient {
  constructor(
    readonly endpoint: string,
    private readonly ca: string | Buffer | undefined,
    private readonly authenticator: KubeAuthenticator,
    private readonly defaultTimeoutMs = 30_000,
    private readonly retry: RetryPolicy = defaultRetryPolicy,
    /** The forward proxy to tunnel through: HTTPS_PROXY/NO_PROXY by default, a kubeconfig's proxy-url when it has one. */
    readonly proxy: URL | undefined = proxyForUrl(endpoint),
  ) {}

  /** Requests sent, retries included: the benchmark's economy figure. */
  requestCount = 0;

  /** One TLS context for the cluster CA and one pool of kept-alive connections (tunnels, with a proxy), made on first use. */
  private pool?: { agent: HttpsAgent; context: SecureContext };
  /**
   * The direct connection's protocol, settled by ALPN on the first connection: one multiplexed HTTP/2 connection
   * (every request of discovery's burst in flight at once, at a fraction of HTTP/1.1's cost per request on both
   * ends), or `http/1.1`, the pool, for a server that does not speak HTTP/2.
   */
  private direct?: Promise<Multiplexed | 'http/1.1'>;

  private async connectionPool(): Promise<{ agent: HttpsAgent; context: SecureContext }> {
    if (this.pool) return this.pool;
    const options = { keepAlive: true, scheduling: 'lifo' as const, timeout: 5_000, maxSockets: POOL_SOCKETS };
    // The tunnelling agent is loaded only when a proxy is in use: a direct start does not pay for it.
    const agent = this.proxy ? new (await import('../net/proxy-agents.ts')).ProxyTunnelAgent(this.proxy, options) : new PoolAgent(options);
    this.pool ??= { agent, context: createSecureContext({ ca: this.ca }) };
    return this.pool;
  }

  /** The HTTP/2 connection to use (opened on first use, again once it is closing), or `http/1.1` for the pool. */
  private async directConnection(pool: { agent: HttpsAgent; context: SecureContext }, timeoutMs: number): Promise<Multiplexed | 'http/1.1'> {
    const current = this.direct;
    if (current) {
      const known = await current; // a failed connect fails every request that waited for it; each retries as after any
      if (known === 'http/1.1' || !known.closing) return known;
      if (this.direct === current) this.direct = undefined; // idle or told to go away: it takes no new streams
    }
    if (this.direct) return this.direct;
    const opening: Promise<Multiplexed | 'http/1.1'> = this.negotiate(pool, timeoutMs).then((outcome) => {
      if (outcome !== 'http/1.1') outcome.session.once('close', () => { if (this.direct === opening) this.direct = undefined; });
      return outcome;
    }, (error: unknown) => {
      if (this.direct === opening) this.direct = undefined; // a failed connect is tried afresh by the next request
      throw error;
    });
    this.direct = opening;
    return opening;
  }

  /** One TLS connection offering h2 and http/1.1: HTTP/2 on it if the server picks h2, else it is the pool's first socket. */
  private negotiate(pool: { agent: HttpsAgent; context: SecureContext }, timeoutMs: number): Promise<Multiplexed | 'http/1.1'> {
    const url = new URL(this.endpoint);
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({
        host: url.hostname, port: Number(url.port || 443), ...(isIP(url.hostname) ? {} : { servername: url.hostname }),
        secureContext: pool.context, ALPNProtocols: ['h2', 'http/1.1'],
      });
      const fail = (error: Error) => reject(connectionError(this.endpoint, error, false));
      socket.once('error', fail);
      socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error(`connecting to the API server timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      socket.once('secureConnect', () => {
        socket.removeListener('error', fail);
        socket.setTimeout(0);
        if (socket.alpnProtocol !== 'h2') {
          if (pool.agent instanceof PoolAgent) pool.agent.adopt(socket);
          else socket.destroy();
          resolve('http/1.1');
          return;
        }
        const session = http2Connect(this.endpoint, { createConnection: () => socket, settings: { initialWindowSize: STREAM_WINDOW, maxFrameSize: MAX_FRAME } });
        session.on('error', () => undefined); // each stream reports its own failure; the session is replaced on close
        session.once('goaway', () => session.close()); // no new streams on it: the next request opens another connection
        session.once('connect', () => session.setLocalWindowSize(SESSION_WINDOW));
        const multiplexed = new Multiplexed(session);
        session.setTimeout(IDLE_MS, () => { if (multiplexed.idle) session.close(); });
        session.unref(); // idle, it does not keep the process alive; each stream holds it while in flight
        resolve(multiplexed);
      });
    });
  }

  /** Sends the request; parses JSON; throws KubeApiError on non-2xx (after one credential refresh on 401). */
  async json<T>(req: KubeRequest): Promise<T> {
    const maxBytes = req.maxBytes ?? MAX_JSON_BYTES;
    const res = await this.raw({ accept: 'application/json', ...req, maxBytes });
    if (res.truncated) throw new ResponseTooLargeError(maxBytes);
    return JSON.parse(res.body) as T;
  }

  async raw(req: KubeRequest): Promise<RawResponse> {
    let res = await this.sendWithRetries(req);
    if (res.status === 401 && this.authenticator.refresh && (await this.authenticator.refresh())) res = await this.sendWithRetries(req);
    if (res.status < 200 || res.status >= 300) throw statusError(res.status, res.body);
    return res;
  }

  /** Retries what is safe to retry (see shouldRetry), with backoff; gives up after the policy's attempts. */
  private async sendWithRetries(req: KubeRequest): Promise<RawResponse> {
    const idempotent = req.idempotent ?? (req.method ?? 'GET') === 'GET';
    for (let attempt = 0; ; attempt += 1) {
      let outcome: RawResponse | ConnectionError;
      try {
        outcome = await this.send(req);
      } catch (error) {
        if (!(error instanceof ConnectionError)) throw error;
        outcome = error;
      }
      const last = attempt + 1 >= this.retry.attempts || req.signal?.aborted;
      if (last || !shouldRetry(idempotent, outcome)) {
        if (outcome instanceof ConnectionError) throw outcome;
        return outcome;
      }
      await this.retry.sleep(retryDelay(attempt, this.retry, outcome instanceof ConnectionError ? undefined : outcome.retryAfter), req.signal);
    }
  }

  /** Opens a WebSocket (exec streams) with the same TLS trust and credentials as every other request. */
  async websocket(path: string, query: KubeRequest['query'], protocols: string[]): Promise<WebSocket> {
    const { WebSocket } = await import('ws'); // loaded on first exec only: startup does not pay for it
    const options: RequestOptions = { ca: this.ca, headers: {} };
    await this.authenticator.apply(options);
    const url = new URL(buildPath(path, query), this.endpoint.replace(/^http/, 'ws'));
    return new WebSocket(url, protocols, {
      ca: options.ca, cert: options.cert, key: options.key, ...(this.proxy ? { agent: (await this.connectionPool()).agent } : {}),
      headers: options.headers as Record<string, string>, handshakeTimeout: this.defaultTimeoutMs,
    });
  }

  private async send(req: KubeRequest): Promise<RawResponse> {
    const url = new URL(buildPath(req.path, req.query), this.endpoint);
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const timeoutMs = req.timeoutMs ?? this.defaultTimeoutMs;
    const options: RequestOptions = {
      method: req.method ?? 'GET',
      ca: this.ca,
      headers: {
        accept: req.accept ?? 'application/json',
        ...(body !== undefined ? { 'content-type': req.contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
      },
      signal: req.signal,
      timeout: timeoutMs,
    };
    await this.authenticator.apply(options);
    // Bearer credentials (EKS) leave the TLS options as they were: then every request shares one TLS context
    // (building one per socket costs ~1.5 ms of CPU) and, direct, the one HTTP/2 connection; else (HTTP/1.1 only,
    // or a proxy) a bounded pool of kept-alive connections, so that discovery's burst reuses a few sockets
    // instead of opening one each: idle sockets close after 5 s, the most recently used is reused first.
    // Through a proxy, every request takes the tunnelling pool, whatever agent the authenticator chose.
    if (options.ca === this.ca && !options.cert && !options.key && !options.pfx) {
      const pool = await this.connectionPool();
      if (!this.proxy) {
        const direct = await this.directConnection(pool, timeoutMs);
        if (direct !== 'http/1.1') {
          this.requestCount += 1;
          return this.sendMultiplexed(direct, url, options, body, timeoutMs, req.maxBytes);
        }
      }
      Object.assign(options, { agent: pool.agent, secureContext: pool.context }); // tls.connect reads secureContext
    } else if (this.proxy) {
      options.agent = (await this.connectionPool()).agent;
    }
    this.requestCount += 1;
    return new Promise<RawResponse>((resolve, reject) => {
      let connected = false;
      const outgoing = httpsRequest(url, options, (res) => {
        const retryAfter = res.headers['retry-after'];
        const received = new CappedBody(req.maxBytes);
        const answer = () => resolve({ status: res.statusCode ?? 0, body: received.text(), truncated: received.truncated, retryAfter });
        res.on('data', (chunk: Buffer) => {
          if (received.truncated || !received.add(chunk)) return;
          res.destroy();
          answer();
        });
        res.on('end', answer);
        res.on('error', (error) => reject(connectionError(this.endpoint, error, true)));
      });
      // A request on a fresh socket that failed before the TLS handshake completed was never sent.
      // A kept-alive socket never emits secureConnect again: the listener goes with the request, or it would hold
      // this request and its response body for as long as the socket lives (a leak of every call's answer).
      outgoing.on('socket', (socket) => {
        const onSecure = () => (connected = true);
        socket.once('secureConnect', onSecure);
        outgoing.once('close', () => socket.removeListener('secureConnect', onSecure));
      });
      outgoing.on('timeout', () => outgoing.destroy(requestTimedOut(timeoutMs)));
      outgoing.on('error', (error: Error & { code?: string }) => reject(connectionError(this.endpoint, error, connected || !NOT_SENT_CODES.has(error.code ?? ''), this.proxy)));
      if (body !== undefined) outgoing.write(body);
      outgoing.end();
    });
  }

  /** One request as one stream of the HTTP/2 connection: the same answers, limits and errors as over HTTP/1.1. */
  private sendMultiplexed(direct: Multiplexed, url: URL, options: RequestOptions, body: string | undefined, timeoutMs: number, maxBytes: number | undefined): Promise<RawResponse> {
    const headers: OutgoingHttpHeaders = { ':method': options.method ?? 'GET', ':path': `${url.pathname}${url.search}` };
    for (const [name, value] of Object.entries(options.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
    return new Promise<RawResponse>((resolve, reject) => {
      let stream: ClientHttp2Stream;
      try {
        stream = direct.open(headers, { endStream: body === undefined, ...(options.signal ? { signal: options.signal } : {}) });
      } catch (error) { // the connection closed since it was chosen: nothing was sent
        reject(connectionError(this.endpoint, error as Error, false));
        return;
      }
      let status = 0;
      let retryAfter: string | undefined;
      const received = new CappedBody(maxBytes);
      let settled = false;
      const settle = (outcome: RawResponse | Error) => {
        if (settled) return;
        settled = true;
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const answer = () => settle({ status, body: received.text(), truncated: received.truncated, retryAfter });
      stream.on('response', (response) => {
        status = Number(response[':status'] ?? 0);
        const after = response['retry-after'];
        retryAfter = Array.isArray(after) ? after[0] : after;
      });
      stream.on('data', (chunk: Buffer) => {
        if (settled || !received.add(chunk)) return;
        answer();
        stream.close(h2.NGHTTP2_CANCEL);
      });
      // A stream cut under its answer (its connection reset or closed) ends too: only an answer that arrived whole is one.
      stream.on('end', () => {
        if (status !== 0 && stream.rstCode === h2.NGHTTP2_NO_ERROR) answer();
      });
      stream.setTimeout(timeoutMs, () => {
        settle(connectionError(this.endpoint, requestTimedOut(timeoutMs), true));
        stream.close(h2.NGHTTP2_CANCEL);
      });
      // A stream the server refused, or that a GOAWAY left unprocessed, never reached it.
      const unprocessed = () => stream.rstCode === h2.NGHTTP2_REFUSED_STREAM;
      stream.on('error', (error: Error & { code?: string }) => settle(connectionError(this.endpoint, error, !unprocessed() && error.code !== 'ERR_HTTP2_GOAWAY_SESSION')));
      // Every stream closes, nearly all after their answer: the error (two Errors, their stacks captured) is built only
      // for a stream that closed without one.
      stream.on('close', () => {
        if (settled) return;
        settle(connectionError(this.endpoint,
          Object.assign(new Error(`the API server closed the stream (HTTP/2 code ${stream.rstCode})`), { code: 'ERR_HTTP2_STREAM_ERROR' }), !unprocessed()));
      });
      if (body !== undefined) sendBody(stream, body);
    });
  }
}

/** A response body kept up to `maxBytes` (when given): what comes beyond it is not wanted. */
class CappedBody {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly maxBytes: number | undefined) {}

  /** Keeps the chunk, or as much of it as fits; true when that reached the cap (the answer is complete, truncated). */
  add(chunk: Buffer): boolean {
    if (this.maxBytes !== undefined && this.size + chunk.length > this.maxBytes) {
      this.chunks.push(chunk.subarray(0, this.maxBytes - this.size));
      this.size = this.maxBytes;
      this.truncated = true;
      return true;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return false;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function requestTimedOut(ms: number): Error {
  return Object.assign(new Error(`request to the API server timed out after ${ms} ms`), { code: 'ETIMEDOUT' });
}

/** An HTTP/2 connection: referenced (keeping the process alive) only while a stream is in flight. */
class Multiplexed {
  private streams = 0;

  constructor(readonly session: ClientHttp2Session) {}

  get idle(): boolean {
    return this.streams === 0;
  }

  /** Closed, or closing (no new streams): the next request opens another connection. */
  get closing(): boolean {
    return this.session.closed || this.session.destroyed;
  }

  open(headers: OutgoingHttpHeaders, options: { endStream: boolean; signal?: AbortSignal }): ClientHttp2Stream {
    const stream = this.session.request(headers, options);
    if (this.streams++ === 0) this.session.ref();
    stream.once('close', () => {
      if (--this.streams === 0) this.session.unref();
      if (spoils(stream, !options.endStream)) this.session.close();
    });
    return stream;
  }
}

/**
 * Whether a closed stream leaves its connection unfit for new streams. Node counts a request body queued for sending
 * against the connection's memory budget (maxSessionMemory, 10 MB) and never gives back what a stream still held when
 * it closed: after a few bodies that the API server refused without reading them (a 403, a 413), the connection
 * refuses every answer with ENHANCE_YOUR_CALM, for good. So a stream refused so, or closed before its body was sent,
 * retires its connection: the streams in flight on it end as they would, the next request opens another.
 */
function spoils(stream: ClientHttp2Stream, hadBody: boolean): boolean {
  return stream.rstCode === h2.NGHTTP2_ENHANCE_YOUR_CALM || (hadBody && !stream.writableFinished);
}

/**
 * A request body, queued on its stream a slice at a time, each once the one before has left: what is queued counts
 * against the connection's memory budget (see spoils), and a body of hundreds of MB queued whole made the connection
 * refuse every answer while it lasted, the API server's own refusal of it (413) included.
 */
function sendBody(stream: ClientHttp2Stream, body: string): void {
  if (Buffer.byteLength(body) <= BODY_SLICE) stream.end(body);
  else sendSlices(stream, Buffer.from(body), 0);
}

function sendSlices(stream: ClientHttp2Stream, bytes: Buffer, from: number): void {
  const to = from + BODY_SLICE;
  if (to >= bytes.length) {
    stream.end(bytes.subarray(from));
    return;
  }
  stream.write(bytes.subarray(from, to), (error) => {
    if (!error) sendSlices(stream, bytes, to);
  });
}

/** The pool's agent: its first connection may be the one that ALPN settled on http/1.1, handed over rather than closed. */
class PoolAgent extends HttpsAgent {
  private adopted?: TLSSocket;

  adopt(socket: TLSSocket): void {
    this.adopted = socket;
  }

  override createConnection(...args: Parameters<HttpsAgent['createConnection']>): Socket {
    const socket = this.adopted;
    this.adopted = undefined;
    if (socket && !socket.destroyed) return socket;
    return super.createConnection(...args) as Socket;
  }
}

function connectionError(endpoint: string, error: Error & { code?: string }, sent: boolean, proxy?: URL): Error {
  if (error.name === 'AbortError') return error;
  const hint = error instanceof ProxyError ? ' (check HTTPS_PROXY and NO_PROXY, or the kubeconfig\'s proxy-url)'
    : error.code === 'ECONNREFUSED' ? ' (is the API server running and the endpoint right?)'
    : /certificate|self[- ]signed|CERT/i.test(`${error.code} ${error.message}`) ? ' (the cluster CA does not verify the server: check the CA setting)'
      : '';
  const via = proxy && !(error instanceof ProxyError) ? ` through the proxy ${describeProxy(proxy)}` : '';
  return new ConnectionError(`cannot reach the Kubernetes API at ${endpoint}${via}: ${error.message}${hint}`, error.code, sent);
}
