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

/** Where the API server's audit log ends now: later requests are read from here on. */
export function auditMark(info: ClusterInfo): number {
  return statSync(info.auditLog).size;
}

export interface ApiRequest { verb: string; resource?: string; subresource?: string; namespace?: string; name?: string; dryRun: boolean }

/** What the API server really received from a user since a mark, from its own audit log (dry runs marked). */
export function apiRequests(info: ClusterInfo, username: string, since = 0): ApiRequest[] {
  return readFileSync(info.auditLog).subarray(since).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.user?.username === username)
    .map((e) => ({
      verb: e.verb, resource: e.objectRef?.resource, subresource: e.objectRef?.subresource, namespace: e.objectRef?.namespace,
      name: e.objectRef?.name, dryRun: /[?&]dryRun=All/.test(e.requestURI ?? ''),
    }));
}

/** Waits until the audit log holds a request matching `done` (its event may land just after the response). */
export async function untilAudited(info: ClusterInfo, username: string, since: number, done: (r: ApiRequest) => boolean): Promise<ApiRequest[]> {
  for (let i = 0; i < 50; i += 1) {
    const sent = apiRequests(info, username, since);
    if (sent.some(done)) return sent;
    await new Promise((r) => setTimeout(r, 100));
  }
  return apiRequests(info, username, since);
}
