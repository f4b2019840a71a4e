// The one HTTP path to the Kubernetes API: TLS verified against the cluster's CA, credentials applied per
// request by the connection's authenticator, a timeout on every request, Kubernetes Status errors as values.
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { WebSocket } from 'ws';

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
}

export interface KubeStatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: Array<{ field?: string; message?: string; reason?: string }>;
}

/** A non-2xx answer, carrying the API server's own Status message. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: KubeStatusDetails,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface RawResponse {
  status: number;
  body: string;
  truncated: boolean;
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
  ) {}

  /** Sends the request; parses JSON; throws KubeApiError on non-2xx (after one credential refresh on 401). */
  async json<T>(req: KubeRequest): Promise<T> {
    const res = await this.raw({ accept: 'application/json', ...req });
    return JSON.parse(res.body) as T;
  }

  async raw(req: KubeRequest): Promise<RawResponse> {
    let res = await this.send(req);
    if (res.status === 401 && this.authenticator.refresh && (await this.authenticator.refresh())) res = await this.send(req);
    if (res.status < 200 || res.status >= 300) throw statusError(res.status, res.body);
    return res;
  }

  /** Opens a WebSocket (exec streams) with the same TLS trust and credentials as every other request. */
  async websocket(path: string, query: KubeRequest['query'], protocols: string[]): Promise<WebSocket> {
    const { WebSocket } = await import('ws'); // loaded on first exec only: startup does not pay for it
    const options: RequestOptions = { ca: this.ca, headers: {} };
    await this.authenticator.apply(options);
    const url = new URL(buildPath(path, query), this.endpoint.replace(/^http/, 'ws'));
    return new WebSocket(url, protocols, {
      ca: options.ca, cert: options.cert, key: options.key,
      headers: options.headers as Record<string, string>, handshakeTimeout: this.defaultTimeoutMs,
    });
  }

  private async send(req: KubeRequest): Promise<RawResponse> {
    const url = new URL(buildPath(req.path, req.query), this.endpoint);
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const options: RequestOptions = {
      method: req.method ?? 'GET',
      ca: this.ca,
      headers: {
        accept: req.accept ?? 'application/json',
        ...(body !== undefined ? { 'content-type': req.contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
      },
      signal: req.signal,
      timeout: req.timeoutMs ?? this.defaultTimeoutMs,
    };
    await this.authenticator.apply(options);
    return new Promise<RawResponse>((resolve, reject) => {
      const outgoing = httpsRequest(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (truncated) return;
          if (req.maxBytes !== undefined && size + chunk.length > req.maxBytes) {
            chunks.push(chunk.subarray(0, req.maxBytes - size));
            size = req.maxBytes;
            truncated = true;
            res.destroy();
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), truncated });
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), truncated }));
        res.on('error', reject);
      });
      outgoing.on('timeout', () => outgoing.destroy(new Error(`request to the API server timed out after ${options.timeout} ms`)));
      outgoing.on('error', (error) => reject(connectionError(this.endpoint, error)));
      if (body !== undefined) outgoing.write(body);
      outgoing.end();
    });
  }
}

function connectionError(endpoint: string, error: Error & { code?: string }): Error {
  if (error.name === 'AbortError') return error;
  const hint = error.code === 'ECONNREFUSED' ? ' (is the API server running and the endpoint right?)'
    : /certificate|self[- ]signed|CERT/i.test(`${error.code} ${error.message}`) ? ' (the cluster CA does not verify the server: check the CA setting)'
      : '';
  return new Error(`cannot reach the Kubernetes API at ${endpoint}: ${error.message}${hint}`);
}
