// Shared by the test files: the run's control plane, and the server spawned over real stdio as a client would.
import { after } from 'node:test';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { startCluster, type ClusterInfo } from './cluster/cluster.ts';

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

/** Environment for the agent host: the IAM user's keys, STS at moto. */
export function hostEnv(cluster: ClusterInfo): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    AWS_ACCESS_KEY_ID: cluster.sts.hostUser.accessKeyId,
    AWS_SECRET_ACCESS_KEY: cluster.sts.hostUser.secretAccessKey,
    AWS_ENDPOINT_URL_STS: cluster.sts.url,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
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

export interface ClientOptions {
  /** Makes the client elicitation-capable, answering each question with this. */
  elicit?: (message: string) => ElicitResult;
}

/** Spawns the built server (dist/cli.js) over stdio and connects the SDK's client to it. */
export async function connectServer(args: string[], env: Record<string, string>, options: ClientOptions = {}): Promise<Session> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [cliPath, ...args], env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'eks-rbac-mcp-tests', version: '0.0.0' }, { capabilities: options.elicit ? { elicitation: { form: {} } } : {} });
  const { elicit } = options;
  if (elicit) client.setRequestHandler(ElicitRequestSchema, async (request) => elicit(request.params.message));
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`server failed to start: ${(error as Error).message}\n${stderr}`);
  }
  return { client, stderr: () => stderr, pid: transport.pid!, close: () => client.close() };
}

/** Parsed audit lines the server wrote to stderr. */
export function auditLines(stderr: string): Array<Record<string, unknown>> {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['audit']);
}

export interface HttpServer {
  url: string;
  stderr(): string;
  stop(): Promise<number | null>;
}

/** Spawns `serve --http` from dist/ on a kernel-chosen loopback port; resolves once it serves MCP (discovery done). */
export async function startHttpServer(args: string[], env: Record<string, string>): Promise<HttpServer> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [cliPath, 'serve', '--http', '--port', '0', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      for (const line of stderr.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'serving MCP over HTTP' && entry.url) resolve(entry.url);
      }
    });
    void exited.then((code) => reject(new Error(`the server exited (${code}) before serving:\n${stderr}`)));
  });
  return {
    url,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes: waiting on an event, not a sleep. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, deadlineMs = 10_000, everyMs = 50): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Where the API server's audit log ends now: later requests are read from here on. */
export function auditMark(info: ClusterInfo): number {
  return statSync(info.auditLog).size;
}

export interface AuditedRequest { verb: string; resource?: string; subresource?: string; namespace?: string; name?: string }

/** What reached the API server for one user since the mark, from its audit log (independent of our own logs). */
export function apiRequests(info: ClusterInfo, username: string, since = 0): AuditedRequest[] {
  return readFileSync(info.auditLog).subarray(since).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.user?.username === username)
    .map((e) => ({ verb: e.verb, resource: e.objectRef?.resource, subresource: e.objectRef?.subresource, namespace: e.objectRef?.namespace, name: e.objectRef?.name }));
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
