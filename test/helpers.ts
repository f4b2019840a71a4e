// Shared by the test files: the run's control plane, and the server spawned over real stdio as a client would.
import { after } from 'node:test';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { Client, StreamableHTTPClientTransport, type ClientOptions as SdkClientOptions, type ElicitResult, type OAuthClientProvider } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { z } from 'zod';
import { kubectl, startCluster, type ClusterInfo } from './cluster/cluster.ts';
import { waitFor } from './wait.ts';
import { runCall, type CallResult } from '../src/policy/gate.ts';
import { auditor } from '../src/policy/audit.ts';
import type { Logger } from '../src/log.ts';
import type { Tool, ToolContext } from '../src/tool.ts';
import { KubeClient, type KubeRequest, type RawResponse } from '../src/kube/client.ts';

/** Waiting on a condition (test/wait.ts), for the test files that take everything from here. */
export { waitFor };

let shared: Promise<ClusterInfo> | undefined;

/** The control plane `npm test` started, or one of this file's own when run alone. */
export function useCluster(): Promise<ClusterInfo> {
  shared ??= (async () => {
    const file = process.env['EKS_MCP_TEST_CLUSTER'];
    if (file) return JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo;
    const cluster = await startCluster();
    after(() => cluster.stop());
    return cluster;
  })();
  return shared;
}

export const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
export const cliPath = join(root, 'dist', 'cli.js');

/** Environment for the agent host: the IAM user's keys, STS, IAM and EKS at moto (which serves them all, as AWS would). */
export function hostEnv(cluster: ClusterInfo): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    AWS_ACCESS_KEY_ID: cluster.sts.hostUser.accessKeyId,
    AWS_SECRET_ACCESS_KEY: cluster.sts.hostUser.secretAccessKey,
    AWS_ENDPOINT_URL_STS: cluster.sts.url,
    AWS_ENDPOINT_URL_IAM: cluster.sts.url, // the broad-grant guard reads the role's IAM side there
    AWS_ENDPOINT_URL_EKS: cluster.sts.url,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

const platformCredentials = new Map<string, Record<string, string>>();

/**
 * The platform engineer's AWS CLI, as the eks-mcp-platform role, which may change access entries and their policies
 * (moto's EKS authorizes each call with IAM): `aws eks <args> --cluster-name <the cluster>`, its JSON answer parsed.
 */
export function platformAws(cluster: ClusterInfo, args: string[]): Record<string, unknown> {
  const base = {
    PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL_STS: cluster.sts.url, AWS_ENDPOINT_URL_EKS: cluster.sts.url, AWS_DEFAULT_REGION: cluster.region,
  };
  let credentials = platformCredentials.get(cluster.sts.url);
  if (!credentials) {
    const host = { ...base, AWS_ACCESS_KEY_ID: cluster.sts.hostUser.accessKeyId, AWS_SECRET_ACCESS_KEY: cluster.sts.hostUser.secretAccessKey };
    const { Credentials: c } = JSON.parse(execFileSync('aws', ['sts', 'assume-role', '--role-arn', cluster.sts.roles['eks-mcp-platform']!,
      '--role-session-name', 'platform', '--output', 'json'], { env: host }).toString()) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } };
    credentials = { AWS_ACCESS_KEY_ID: c.AccessKeyId, AWS_SECRET_ACCESS_KEY: c.SecretAccessKey, AWS_SESSION_TOKEN: c.SessionToken };
    platformCredentials.set(cluster.sts.url, credentials);
  }
  const out = execFileSync('aws', ['eks', ...args, '--cluster-name', cluster.clusterName, '--output', 'json'], { env: { ...base, ...credentials } }).toString();
  return out.trim() ? JSON.parse(out) as Record<string, unknown> : {};
}

/** Flags for an EKS connection to the local cluster as one IAM role and binding role. */
export function eksArgs(cluster: ClusterInfo, role: string, bindingRole: string, namespaces = 'team-a,team-b'): string[] {
  return ['--cluster-name', cluster.clusterName, '--region', cluster.region, '--role-arn', cluster.sts.roles[role]!,
    '--binding-role', bindingRole, '--endpoint', cluster.endpoint, '--ca-file', cluster.caFile, '--namespaces', namespaces];
}

export interface Session {
  client: Client;
  stderr: () => string;
  /** The server process, for signals. */
  pid: number;
  close(): Promise<void>;
}

/** The protocol revisions this server serves: 2026-07-28 (stateless) and the 2025 era (initialize, sessions). */
export const ERAS = ['2026-07-28', '2025-11-25'] as const;
export type Era = (typeof ERAS)[number];

export interface ClientOptions {
  /** Makes the client elicitation-capable, answering each question with this. */
  elicit?: (message: string) => ElicitResult;
  /** The revision the client speaks; 2026-07-28 unless told otherwise. */
  era?: Era;
}

/** An SDK v2 client that speaks exactly one revision, so that a test names the era it exercises. */
export function newClient(options: ClientOptions = {}): Client {
  const era = options.era ?? '2026-07-28';
  const sdkOptions: SdkClientOptions = {
    capabilities: options.elicit ? { elicitation: { form: {} } } : {},
    ...(era === '2026-07-28' ? { versionNegotiation: { mode: { pin: era } } } : { supportedProtocolVersions: [era] }),
  };
  const client = new Client({ name: 'eks-rbac-mcp-tests', version: '0.0.0' }, sdkOptions);
  const { elicit } = options;
  if (elicit) client.setRequestHandler('elicitation/create', async (request) => elicit(request.params.message));
  return client;
}

/**
 * Calls back on every tools/list_changed: unsolicited on a 2025 connection, on a subscriptions/listen stream
 * (opened here) on 2026-07-28.
 */
export async function onToolsChanged(client: Client, callback: () => void): Promise<void> {
  client.setNotificationHandler('notifications/tools/list_changed', async () => callback());
  if (client.getProtocolEra() === 'modern') await client.listen({ toolsListChanged: true });
}

/** tools/list_changed notifications as they arrive. */
export interface ToolListChanges {
  /** How many have arrived. */
  count(): number;
  /**
   * Resolves once one has arrived that no earlier `next` took (so one that came before the call counts), with the
   * seconds waited; fails past the deadline, the bound within which the change must be seen.
   */
  next(what: string, deadlineMs?: number): Promise<number>;
}

/** Follows a client's tools/list_changed (see onToolsChanged). */
export async function toolListChanges(client: Client): Promise<ToolListChanges> {
  let arrived = 0;
  let taken = 0;
  await onToolsChanged(client, () => { arrived += 1; });
  return {
    count: () => arrived,
    async next(what, deadlineMs = 15_000) {
      const started = Date.now();
      await waitFor(`tools/list_changed after ${what} (within ${deadlineMs / 1000} s)`, () => (arrived > taken ? true : undefined), deadlineMs);
      taken = arrived;
      return (Date.now() - started) / 1000;
    },
  };
}

/**
 * The SDK's stdio transport, probing in place: the SDK probes the era of its own base transport on a second,
 * throw-away server process (whose stderr it discards), which would start every server under test twice. A
 * subclass is probed on its one process, as any host's own transport is.
 */
class OneProcessStdioTransport extends StdioClientTransport {}

/** Spawns the built server (dist/cli.js) over stdio and connects the SDK's client to it. */
export function connectServer(args: string[], env: Record<string, string>, options: ClientOptions = {}): Promise<Session> {
  return connectCommand(process.execPath, [cliPath, ...args], env, options);
}

/** Spawns any MCP server over stdio (the benchmark's peer too) and connects a client to it: newClient's, or the one given. */
export async function connectCommand(command: string, args: string[], env: Record<string, string>, options: ClientOptions & { client?: Client } = {}): Promise<Session> {
  const transport = new OneProcessStdioTransport({ command, args, env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = options.client ?? newClient(options);
  const stderrEnded = new Promise<void>((resolve) => transport.stderr?.once('end', resolve));
  try {
    await client.connect(transport);
  } catch (error) {
    // The process has gone: what it said on the way out is the reason, so read it to the end (bounded).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stderrEnded, new Promise((resolve) => { timer = setTimeout(resolve, 5000); })]).finally(() => clearTimeout(timer));
    throw new Error(`server failed to start: ${(error as Error).message}\n${stderr}`);
  }
  return { client, stderr: () => stderr, pid: transport.pid!, close: () => client.close() };
}

// --- the HTTP server ---------------------------------------------------------------------------------


export interface HttpServer {
  url: string;
  origin: string;
  /** The server process, for signals and /proc. */
  pid: number;
  stderr(): string;
  stop(): Promise<number | null>;
}

/** Spawns `serve --http` from dist/ and resolves once it serves MCP (discovery done). */
export async function startHttp(args: string[], options: {
  env: Record<string, string>;
  port?: number;
  /** How the command is launched (the benchmark starts it inside a memory cgroup). */
  wrap?: (command: string, args: string[]) => { command: string; args: string[] };
}): Promise<HttpServer> {
  const launch = (options.wrap ?? ((command, args) => ({ command, args })))(process.execPath, [cliPath, 'serve', '--http', '--port', String(options.port ?? 0), ...args]);
  const child: ChildProcess = spawn(launch.command, launch.args, {
    env: options.env, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    // Only lines not read yet are parsed, and none once the server serves: the benchmark's load generator runs in
    // this process, and re-parsing the whole log (an audit line per call) at every chunk made it the bottleneck.
    let unread = '';
    let serving = false;
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr += text;
      if (serving) return;
      const lines = (unread + text).split('\n');
      unread = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'serving MCP over HTTP' && entry.url) {
          serving = true;
          resolve(entry.url);
        }
      }
    });
    void exited.then((code) => reject(new Error(`the server exited (${code}) before serving:\n${stderr}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    pid: child.pid!,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface HttpSession {
  client: Client;
  transport: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

/** The SDK's client over streamable HTTP, with a bearer token or other headers. */
export async function connectHttp(url: string, options: ClientOptions & { token?: string; headers?: Record<string, string>; sessionId?: string; authProvider?: OAuthClientProvider; client?: Client } = {}): Promise<HttpSession> {
  const headers = { ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}), ...options.headers };
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers }, sessionId: options.sessionId, authProvider: options.authProvider });
  const client = options.client ?? newClient(options);
  await client.connect(transport);
  return {
    client, transport,
    async close() {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

export interface CliRun { status: number | null; stdout: string; stderr: string }

/** The built CLI to completion, with stdin closed at once: a `serve` that starts sees the end and exits 0. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.stdin!.end();
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Parsed audit lines the server wrote to stderr. */
export function auditLines(stderr: string): Array<Record<string, unknown>> {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['audit']);
}


/** Where the API server's audit log ends now: later requests are read from here on. */
export function auditMark(info: ClusterInfo): number {
  return statSync(info.auditLog).size;
}

export interface AuditedRequest {
  verb: string; resource?: string; subresource?: string; namespace?: string; name?: string; dryRun: boolean;
  /** The request's path as the API server received it (without the query), and its API group. */
  path?: string; group?: string;
}

/** What reached the API server for one user since the mark, from its audit log (independent of our own logs), dry runs marked. */
export function apiRequests(info: ClusterInfo, username: string, since = 0): AuditedRequest[] {
  return readFileSync(info.auditLog).subarray(since).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.user?.username === username)
    .map((e) => ({
      verb: e.verb, resource: e.objectRef?.resource, subresource: e.objectRef?.subresource, namespace: e.objectRef?.namespace,
      name: e.objectRef?.name, dryRun: /[?&]dryRun=All/.test(e.requestURI ?? ''),
      path: (e.requestURI ?? '').split('?')[0], group: e.objectRef?.apiGroup,
    }));
}

/**
 * The user's requests since the mark, read only once a later marker request (a SelfSubjectReview, sent by
 * `marker`, e.g. a whoami call) is in the audit log: a check that something was NOT sent cannot pass just
 * because the audit event had not been written yet.
 */
export async function requestsUpToMarker(info: ClusterInfo, username: string, since: number, marker: () => Promise<unknown>): Promise<AuditedRequest[]> {
  await marker();
  return waitFor('the marker request in the audit log', () => {
    const sent = apiRequests(info, username, since);
    return sent.some((r) => r.resource === 'selfsubjectreviews') ? sent : undefined;
  });
}

/** The user's requests since the mark, once one matching `done` is in the audit log (its event may land just after the response). */
export function untilAudited(info: ClusterInfo, username: string, since: number, done: (r: AuditedRequest) => boolean): Promise<AuditedRequest[]> {
  return waitFor('the request in the audit log', () => {
    const sent = apiRequests(info, username, since);
    return sent.some(done) ? sent : undefined;
  });
}

/**
 * A call through the gate alone (no transport), as a client that cannot ask its user under --confirm-by-argument:
 * the call's own `confirm` argument decides, so that every tool can be reached.
 */
export async function gateCall(tool: Tool, args: Record<string, unknown>, ctx: ToolContext, log: Logger): Promise<CallResult> {
  const parsed = tool.arguments({ namespace: z.string().optional(), confirm: z.boolean().optional() }).parse(args);
  if (!parsed.success) throw parsed.error;
  const audit = auditor({ log, principal: 'test' }, tool.name, parsed.call.namespace);
  const outcome = await runCall(tool, parsed.call, ctx, { log, audit, answer: () => ({ kind: 'unasked' }), canAsk: false, confirmByArgument: true });
  if (outcome.kind !== 'result') throw new Error(`${tool.name} asked the user, though this caller cannot be asked`);
  return outcome.result;
}

export interface RoleRule { apiGroups: string[]; resources: string[]; verbs: string[] }

/** A Role with these rules and a RoleBinding of it to one user, applied (or updated) as the cluster's admin. */
export function applyRole(info: ClusterInfo, role: { name: string; namespace: string; user: string; rules: RoleRule[] }): void {
  const { name, namespace, user, rules } = role;
  kubectl(info, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] },
  ] }) });
}

/** A tool's text: its text content blocks, joined. */
export function resultText(result: { content: Array<{ type: string; text?: string }> }): string {
  return result.content.map((c) => (c.type === 'text' ? c.text ?? '' : '')).join('\n');
}

/**
 * A list tool's text table read back as a program would: each column by its header name (the columns stated once,
 * "STATUS: Running (all rows)", filled in on every row), the rows in order, and the page's continue token.
 */
export function readTable(text: string): { columns: string[]; rows: Array<Record<string, string>>; continue?: string } {
  const lines = text.split('\n');
  const more = /^\(more: pass continue=(\S+)\)$/.exec(lines.at(-1) ?? '');
  if (more) lines.pop();
  const stated: Record<string, string> = {};
  for (let m; (m = /^([^\t]+): (.*) \(all rows\)$/.exec(lines[0] ?? '')); lines.shift()) stated[m[1]!] = m[2]!;
  const header = lines.shift()!.split('\t');
  const rows = lines.map((line) => ({ ...Object.fromEntries(line.split('\t').map((cell, i) => [header[i]!, cell])), ...stated }));
  return { columns: [...header, ...Object.keys(stated)], rows, ...(more ? { continue: more[1]! } : {}) };
}

/** The real client, keeping every response body it read: what entered this process. */
export class RecordingClient extends KubeClient {
  readonly bodies: string[] = [];
  override async raw(req: KubeRequest): Promise<RawResponse> {
    const res = await super.raw(req);
    this.bodies.push(res.body);
    return res;
  }
}
