// The parties: our server (dist/cli.js, in the 2026-07-28 or the 2025 era) and the peer (kubernetes-mcp-server),
// spawned over stdio with the test suite's helpers, and the identities they act as.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, type CallToolResult } from '@modelcontextprotocol/client';
import { cliPath, connectCommand, eksArgs, hostEnv, type Era } from '../../test/helpers.ts';
import { NS, PEER_BIN, type Bench } from './context.ts';

export type Kind = 'ours' | 'ours-2025' | 'ours-edit' | 'peer' | 'peer-exec' | 'peer-edit';
export const LABEL: Record<Kind, string> = {
  ours: 'eks-rbac-mcp (2026-07-28)',
  'ours-2025': 'eks-rbac-mcp (2025-11-25)',
  'ours-edit': 'eks-rbac-mcp, `edit` role',
  peer: 'kubernetes-mcp-server (static token)',
  'peer-exec': 'kubernetes-mcp-server (exec credential: aws eks get-token)',
  'peer-edit': 'kubernetes-mcp-server without --read-only',
};
const isOurs = (kind: Kind) => kind.startsWith('ours');

/**
 * The peer's client-go rate limiter (QPS 5, burst 10 unless configured) would make it wait 200 ms per request
 * once its burst is spent: these variables, which the peer reads, lift it everywhere except in the one
 * throughput run labelled "as shipped", so that its figures measure the server, not its throttle.
 */
export const PEER_UNTHROTTLED = { KUBE_CLIENT_QPS: '10000', KUBE_CLIENT_BURST: '10000' };
const plainEnv = () => ({ PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp' });

/** Our server's flags for a binding role in the bench namespace, as the eks-mcp-agent IAM role. */
export const oursArgs = (bench: Bench, binding = 'bench-reader', namespaces = NS) => eksArgs(bench.cluster, 'eks-mcp-agent', binding, namespaces);
/** The agent host's environment, with STS behind a counting relay. */
export const oursEnv = (bench: Bench, stsUrl = bench.oursSts.url) => ({ ...hostEnv(bench.cluster), AWS_ENDPOINT_URL_STS: stsUrl });

const minted = new Map<string, { token: string; at: number }>();

/** An EKS token for a binding role, minted by our own `token` command (AssumeRole at moto, not counted). */
export function token(bench: Bench, binding: string): string {
  const cached = minted.get(binding);
  if (cached && Date.now() - cached.at < 8 * 60_000) return cached.token;
  const out = execFileSync(process.execPath, [cliPath, 'token', ...oursArgs(bench, binding)], { env: hostEnv(bench.cluster) }).toString();
  const value = (JSON.parse(out) as { status: { token: string } }).status.token;
  minted.set(binding, { token: value, at: Date.now() });
  return value;
}

/** The peer's kubeconfig with a static token, minted once by our own `token` command: a reference, not judged. */
export function peerKubeconfig(bench: Bench, binding = 'bench-peer'): string {
  const file = join(bench.workDir, `peer-static-${binding}.kubeconfig`);
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'local-eks', cluster: { server: bench.cluster.endpoint, 'certificate-authority': bench.cluster.caFile } }],
    users: [{ name: binding, user: { token: token(bench, binding) } }],
    contexts: [{ name: 'local-eks', context: { cluster: 'local-eks', user: binding, namespace: NS } }],
    'current-context': 'local-eks',
  }, null, 2));
  return file;
}

/**
 * The peer as EKS users set it up, the setup its start is judged against: an AWS profile that assumes the agent's IAM
 * role under the binding's session name (so that the access entry maps it to its own Kubernetes user), and the
 * kubeconfig that `aws eks update-kubeconfig --profile` writes for it (DescribeCluster at moto), whose user runs
 * `aws eks get-token` with AWS_PROFILE. The profile's source credentials are the agent host's keys, in the shared
 * credentials file. The AWS CLI keeps the assumed role's credentials in its cache (HOME/.aws/cli/cache) as it does
 * on a laptop, so a start after the first runs the CLI and no AssumeRole. The environment the peer runs in takes
 * the CLI's STS calls to the counting relay (its HTTPS proxy face; the Go client never proxies loopback addresses).
 */
export function peerExec(bench: Bench, binding = 'bench-peer'): { kubeconfig: string; env: Record<string, string> } {
  const { cluster, workDir } = bench;
  const home = join(workDir, 'peer-home');
  mkdirSync(join(home, '.aws'), { recursive: true });
  const aws = { config: join(home, '.aws', 'config'), credentials: join(home, '.aws', 'credentials') };
  writeFileSync(aws.config, `[profile ${binding}]\nrole_arn = ${cluster.sts.roles['eks-mcp-agent']}\nrole_session_name = ${binding}\nsource_profile = agent-host\n`);
  writeFileSync(aws.credentials, `[agent-host]\naws_access_key_id = ${cluster.sts.hostUser.accessKeyId}\naws_secret_access_key = ${cluster.sts.hostUser.secretAccessKey}\n`, { mode: 0o600 });
  const env = { PATH: process.env['PATH'] ?? '', HOME: home, AWS_CONFIG_FILE: aws.config, AWS_SHARED_CREDENTIALS_FILE: aws.credentials, AWS_EC2_METADATA_DISABLED: 'true' };
  const kubeconfig = join(workDir, `peer-exec-${binding}.kubeconfig`);
  rmSync(kubeconfig, { force: true });
  execFileSync('aws', ['eks', 'update-kubeconfig', '--name', cluster.clusterName, '--region', cluster.region, '--profile', binding, '--kubeconfig', kubeconfig],
    { env: { ...env, AWS_ENDPOINT_URL_EKS: cluster.sts.url, AWS_ENDPOINT_URL_STS: cluster.sts.url }, stdio: ['ignore', 'ignore', 'pipe'] });
  return { kubeconfig, env: { ...env, HTTPS_PROXY: bench.peerExecSts.url, NO_PROXY: '127.0.0.1,localhost', AWS_CA_BUNDLE: cluster.caFile } };
}

/** The peer speaks the 2025 revisions only: a client that accepts whichever of them it answers with. */
export function peerClient(): Client {
  return new Client({ name: 'eks-rbac-mcp-bench', version: '0.0.0' }, { supportedProtocolVersions: ['2025-11-25', '2025-06-18', '2025-03-26'] });
}

export interface Session {
  kind: Kind;
  client: Client;
  pid: number;
  /** Spawn to the first answer of any kind: server/discover (2026-07-28) or initialize (2025). */
  firstAnswerMs: number;
  /** Spawn to the first tools/list answered. */
  toolsListMs: number;
  toolsListBytes: number;
  tools: string[];
  stderr(): string;
  close(): Promise<void>;
}

/** How a party is started over stdio: command, arguments, environment. */
export function command(bench: Bench, kind: Kind): { command: string; args: string[]; env: Record<string, string> } {
  if (isOurs(kind)) {
    return { command: process.execPath, args: [cliPath, ...oursArgs(bench, kind === 'ours-edit' ? 'bench-editor' : 'bench-reader')], env: oursEnv(bench) };
  }
  const readOnly = kind === 'peer-edit' ? [] : ['--read-only'];
  if (kind === 'peer-exec') {
    const exec = (peerExecSetup ??= peerExec(bench));
    return { command: PEER_BIN, args: ['--kubeconfig', exec.kubeconfig, ...readOnly], env: { ...exec.env, ...PEER_UNTHROTTLED } };
  }
  return { command: PEER_BIN, args: ['--kubeconfig', peerKubeconfig(bench), ...readOnly], env: { ...plainEnv(), ...PEER_UNTHROTTLED } };
}

/** The exec setup is written once a run: its CLI cache then behaves as on a user's machine. */
let peerExecSetup: ReturnType<typeof peerExec> | undefined;

/** Spawns a server over stdio and times spawn → its first answer → the first tools/list answered. */
export async function open(bench: Bench, kind: Kind): Promise<Session> {
  const started = performance.now();
  const era: Era = kind === 'ours-2025' ? '2025-11-25' : '2026-07-28';
  const spawned = command(bench, kind);
  const session = await connectCommand(spawned.command, spawned.args, spawned.env, isOurs(kind)
    // The edit role's client can ask its user, so that it is offered the tools that change things, as a host would be.
    ? { era, ...(kind === 'ours-edit' ? { elicit: () => ({ action: 'decline' as const }) } : {}) }
    : { client: peerClient() });
  const answered = performance.now();
  const listed = await session.client.listTools();
  const done = performance.now();
  return {
    kind, client: session.client, pid: session.pid, firstAnswerMs: answered - started, toolsListMs: done - started,
    toolsListBytes: Buffer.byteLength(JSON.stringify(listed)), tools: listed.tools.map((t) => t.name),
    stderr: session.stderr, close: session.close,
  };
}

/** A tool call timed as the server's cost: client.request, not callTool, skips the client's output-schema validation. */
export async function callTool(client: Client, name: string, args: Record<string, unknown>, expectError = false): Promise<CallToolResult> {
  const result = await client.request({ method: 'tools/call', params: { name, arguments: args } }, { timeout: 120_000 }) as CallToolResult;
  if (Boolean(result.isError) !== expectError) throw new Error(`${name} ${JSON.stringify(args)}: ${JSON.stringify(result.content).slice(0, 500)}`);
  return result;
}
