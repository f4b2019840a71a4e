// `npm run bench`: this server against containers/kubernetes-mcp-server (the Go peer, from the npm package
// kubernetes-mcp-server-linux-amd64) on one local EKS-shaped control plane, in one run. Writes
// bench/results.json and bench/results.md. Not part of `npm test`: nothing here is asserted, it is measured.
//
//   npm run bench                      a fresh control plane, the full plan (about 5–8 minutes on 2 cores)
//   npm run bench -- --quick           fewer repetitions and 2,000 instead of 10,000 calls for memory
//   npm run bench -- --cluster FILE    reuse a running control plane (the ClusterInfo JSON of cluster:up)
//   npm run bench -- --only cold,latency,memory,http   a subset of the phases
//
// Both servers hold the same Role (get/list pods, get pods/log in namespace `bench`) through the same IAM
// role (eks-mcp-agent), each under its own STS session name so that the API server's audit log tells their
// requests apart: ours is eks-agent:bench-reader, the peer eks-agent:bench-peer, the raw requests (the
// floor) eks-agent:bench-floor.
import './node24.ts';
import { parseArgs } from 'node:util';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport, type CallToolResult } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { freePort, kubectl, startCluster, type Cluster, type ClusterInfo } from '../test/cluster/cluster.ts';

const root = join(import.meta.dirname, '..');
const cliPath = join(root, 'dist', 'cli.js');
const PEER_BIN = join(root, 'node_modules', 'kubernetes-mcp-server-linux-amd64', 'bin', 'kubernetes-mcp-server-linux-amd64');
const NS = 'bench';
const SETS = { p10: 10, p200: 200, p2000: 2000 } as const;
type SetName = keyof typeof SETS;
const USERS = { ours: 'eks-agent:bench-reader', peer: 'eks-agent:bench-peer', floor: 'eks-agent:bench-floor' } as const;

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cluster: { type: 'string' },
    out: { type: 'string', default: join(root, 'bench') },
    only: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
  },
});
const PLAN = opts.quick
  ? { cold: 3, warm: 2, reps: 10, bigWarm: 1, bigReps: 4, memCalls: 4_000, memEvery: 500, memConcurrency: 4, httpSeconds: 2, httpRounds: 2, concurrency: [1, 10, 50] }
  : { cold: 9, warm: 5, reps: 40, bigWarm: 2, bigReps: 12, memCalls: 10_000, memEvery: 1_000, memConcurrency: 4, httpSeconds: 4, httpRounds: 2, concurrency: [1, 10, 50] };
const phases = new Set((opts.only ?? 'cold,latency,memory,http').split(',').map((s) => s.trim()));

const say = (text: string) => process.stderr.write(`bench: ${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------- statistics

interface Stats { n: number; median: number; p95: number; min: number; max: number; mean: number }

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { n, median: NaN, p95: NaN, min: NaN, max: NaN, mean: NaN };
  const median = n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  const p95 = s[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]!; // nearest rank
  const round = (x: number) => Math.round(x * 100) / 100;
  return { n, median: round(median), p95: round(p95), min: round(s[0]!), max: round(s[n - 1]!), mean: round(s.reduce((a, b) => a + b, 0) / n) };
}

// ------------------------------------------------------------------------------------------------- tokens

/** o200k_base (GPT-4o's encoding) from gpt-tokenizer when installed; otherwise bytes/4. */
let countTokens: ((text: string) => number) | undefined;
let tokenizer = 'bytes/4';
try {
  const mod = await import('gpt-tokenizer/encoding/o200k_base');
  countTokens = (text) => mod.countTokens(text);
  tokenizer = 'o200k_base (gpt-tokenizer)';
} catch { /* the approximation below */ }
const tokens = (text: string) => (countTokens ? countTokens(text) : Math.ceil(Buffer.byteLength(text) / 4));

// -------------------------------------------------------------------------------------------- audit log

interface AuditEvent { id: string; user: string; verb: string; resource?: string; subresource?: string; uri: string }

/** The API server's audit log, read incrementally: the independent witness of every request. */
class AuditLog {
  private offset: number;
  private rest = '';
  readonly events: AuditEvent[] = [];
  /** Long-running requests (pods/log) are logged twice, at ResponseStarted and ResponseComplete: one request. */
  private readonly seen = new Set<string>();

  constructor(private readonly file: string) {
    this.offset = existsSync(file) ? statSync(file).size : 0;
  }

  /** Waits for the blocking audit backend to flush, then reads what was appended. Returns a position. */
  async mark(settleMs = 300): Promise<number> {
    await sleep(settleMs);
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const lines = (this.rest + buf.toString('utf8')).split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('eks-agent:bench-')) continue;
        const e = JSON.parse(line) as { auditID: string; user?: { username?: string }; verb: string; requestURI: string; objectRef?: { resource?: string; subresource?: string } };
        if (this.seen.has(e.auditID)) continue;
        this.seen.add(e.auditID);
        this.events.push({ id: e.auditID, user: e.user?.username ?? '', verb: e.verb, resource: e.objectRef?.resource, subresource: e.objectRef?.subresource, uri: e.requestURI });
      }
    } finally {
      closeSync(fd);
    }
    return this.events.length;
  }

  between(from: number, to: number, user: string): AuditEvent[] {
    return this.events.slice(from, to).filter((e) => e.user === user);
  }
}

const isReview = (e: AuditEvent) => (e.resource ?? '').startsWith('selfsubject');

function describeRequests(events: AuditEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) {
    const key = `${e.verb} ${e.resource ?? e.uri.split('?')[0]}${e.subresource ? `/${e.subresource}` : ''}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

// ------------------------------------------------------------------------------------------ STS witness

/**
 * A counting relay in front of moto: a server's AWS_ENDPOINT_URL_STS points here, so every STS call it
 * makes (AssumeRole at start, any refresh later) is counted by action before it is passed on unchanged.
 */
class StsRelay {
  readonly counts: Record<string, number> = {};
  private server?: Server;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'))?.[1]
          ?? /Action=([A-Za-z]+)/.exec(req.url ?? '')?.[1]
          ?? String(req.headers['x-amz-target'] ?? 'unknown').split('.').pop()!;
        this.counts[action] = (this.counts[action] ?? 0) + 1;
        const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        out.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
        out.end(body);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  get assumeRole(): number {
    return this.counts['AssumeRole'] ?? 0;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

// ------------------------------------------------------------------------------------------- the cluster

let cluster: ClusterInfo;
let ownCluster: Cluster | undefined;
let ca: Buffer;

function adminRequest(method: string, path: string, body?: unknown, agent?: HttpsAgent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(new URL(path, cluster.endpoint), {
      method, ca, agent,
      headers: { authorization: `Bearer ${cluster.adminToken}`, accept: 'application/json', ...(data ? { 'content-type': 'application/json' } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

const RBAC = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: bench-reader, namespace: ${NS}}
rules:
- apiGroups: [""]
  resources: ["pods", "pods/log"]
  verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bench-reader, namespace: ${NS}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: bench-reader}
subjects:
${Object.values(USERS).map((u) => `- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "${u}"}`).join('\n')}
`;

/** Namespace, Role, bindings, and the pods of each list size on the kwok nodes (kept when they exist). */
async function seed(): Promise<void> {
  kubectl(cluster, ['apply', '--server-side', '-f', '-'], { input: RBAC });
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 16 });
  const pods = Object.entries(SETS).flatMap(([set, n]) => Array.from({ length: n }, (_, i) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `${set}-${i}`, namespace: NS, labels: { 'bench-set': set, app: 'bench' } },
    spec: { nodeName: `kwok-node-${i % 2}`, automountServiceAccountToken: false, containers: [{ name: 'app', image: 'registry.example/app:1.0' }] },
  })));
  const started = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < pods.length) {
      const pod = pods[next++]!;
      const res = await adminRequest('POST', `/api/v1/namespaces/${NS}/pods`, pod, agent);
      if (res.status !== 201 && res.status !== 409) throw new Error(`creating pod ${pod.metadata.name}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    }
  }));
  for (const [set, n] of Object.entries(SETS)) {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const res = await adminRequest('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=bench-set%3D${set}`, undefined, agent);
      const items = (JSON.parse(res.body) as { items: Array<{ status?: { phase?: string; containerStatuses?: Array<{ ready?: boolean }> } }> }).items;
      const running = items.filter((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready)).length;
      if (items.length !== n) throw new Error(`set ${set} has ${items.length} pods, expected ${n} (another run's leftovers?)`);
      if (running === n) break;
      if (Date.now() > deadline) throw new Error(`only ${running} of ${n} pods of ${set} became Running`);
      await sleep(1000);
    }
  }
  agent.destroy();
  say(`${pods.length} pods running in namespace ${NS} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

// ------------------------------------------------------------------------------------------ identities

function hostEnv(stsUrl: string): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp',
    AWS_ACCESS_KEY_ID: cluster.sts.hostUser.accessKeyId, AWS_SECRET_ACCESS_KEY: cluster.sts.hostUser.secretAccessKey,
    AWS_ENDPOINT_URL_STS: stsUrl, AWS_EC2_METADATA_DISABLED: 'true',
  };
}

function eksArgs(binding: string): string[] {
  return ['--cluster-name', cluster.clusterName, '--region', cluster.region, '--role-arn', cluster.sts.roles['eks-mcp-agent']!,
    '--binding-role', binding, '--endpoint', cluster.endpoint, '--ca-file', cluster.caFile, '--namespaces', NS];
}

const minted = new Map<string, { token: string; at: number }>();

/** An EKS token for a binding role, minted by our own `token` command (AssumeRole at moto, not counted). */
function token(binding: string): string {
  const cached = minted.get(binding);
  if (cached && Date.now() - cached.at < 8 * 60_000) return cached.token;
  const out = execFileSync(process.execPath, [cliPath, 'token', ...eksArgs(binding)], { env: hostEnv(cluster.sts.url) }).toString();
  const value = (JSON.parse(out) as { status: { token: string } }).status.token;
  minted.set(binding, { token: value, at: Date.now() });
  return value;
}

let workDir = '';

/** The peer's kubeconfig: a static token (minted once) or our `token` command as an exec credential plugin. */
function peerKubeconfig(mode: 'static' | 'exec', stsUrl = cluster.sts.url): string {
  const user = mode === 'static'
    ? { token: token('bench-peer') }
    : {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, args: [cliPath, 'token', ...eksArgs('bench-peer')],
        env: Object.entries(hostEnv(stsUrl)).filter(([k]) => k.startsWith('AWS_')).map(([name, value]) => ({ name, value })),
        interactiveMode: 'Never',
      },
    };
  const file = join(workDir, `peer-${mode}.kubeconfig`);
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'local-eks', cluster: { server: cluster.endpoint, 'certificate-authority': cluster.caFile } }],
    users: [{ name: 'bench-peer', user }],
    contexts: [{ name: 'local-eks', context: { cluster: 'local-eks', user: 'bench-peer', namespace: NS } }],
    'current-context': 'local-eks',
  }, null, 2));
  return file;
}

// --------------------------------------------------------------------------------------------- servers

type Kind = 'ours' | 'peer' | 'peer-exec';
const LABEL: Record<Kind, string> = { ours: 'eks-rbac-mcp', peer: 'kubernetes-mcp-server (static token)', 'peer-exec': 'kubernetes-mcp-server (exec credential)' };

let oursSts: StsRelay;
let peerExecSts: StsRelay;

/**
 * The peer's client-go rate limiter (QPS 5, burst 10 unless configured) would make it wait 200 ms per request
 * once its burst is spent: these variables, which the peer reads, lift it everywhere except in the one
 * throughput run labelled "as shipped", so that its figures measure the server, not its throttle.
 */
const PEER_UNTHROTTLED = { KUBE_CLIENT_QPS: '10000', KUBE_CLIENT_BURST: '10000' };

function serverCommand(kind: Kind): { command: string; args: string[]; env: Record<string, string> } {
  const base = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...PEER_UNTHROTTLED };
  if (kind === 'ours') return { command: process.execPath, args: [cliPath, ...eksArgs('bench-reader')], env: hostEnv(oursSts.url) };
  const kubeconfig = peerKubeconfig(kind === 'peer' ? 'static' : 'exec', peerExecSts.url);
  return { command: PEER_BIN, args: ['--kubeconfig', kubeconfig, '--read-only'], env: base };
}

interface Session {
  kind: Kind;
  client: Client;
  pid: number;
  coldMs: number;
  initializeMs: number;
  toolsListBytes: number;
  tools: string[];
  stderr(): string;
  close(): Promise<void>;
}

/** Spawns a server over stdio and times spawn → initialize → the first tools/list answered. */
async function open(kind: Kind): Promise<Session> {
  const cmd = serverCommand(kind);
  const started = performance.now();
  const transport = new StdioClientTransport({ ...cmd, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-200_000)));
  const client = new Client({ name: 'eks-rbac-mcp-bench', version: '0.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`${kind} failed to start: ${(error as Error).message}\n${stderr}`);
  }
  const initialized = performance.now();
  const listed = await client.listTools();
  const done = performance.now();
  return {
    kind, client, pid: transport.pid!, coldMs: done - started, initializeMs: initialized - started,
    toolsListBytes: Buffer.byteLength(JSON.stringify(listed)), tools: listed.tools.map((t) => t.name),
    stderr: () => stderr, close: () => client.close(),
  };
}

async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  // client.request, not callTool: the SDK client's own output-schema validation is client cost, not the server's.
  const result = await client.request({ method: 'tools/call', params: { name, arguments: args } }, { timeout: 120_000 }) as CallToolResult;
  if (result.isError) throw new Error(`${name} ${JSON.stringify(args)}: ${JSON.stringify(result.content).slice(0, 500)}`);
  return result;
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
}

// ------------------------------------------------------------------------------------------- the floor

const floorAgent = new HttpsAgent({ keepAlive: true, maxSockets: 4 });
/** What the peer (client-go's table printer) asks for; it leaves includeObject at its default (the objects' metadata). */
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const OURS_TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json';

/** One raw GET as the floor identity: the body read in full, not parsed. */
function rawGet(path: string, accept: string): Promise<{ bytes: number; head: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, cluster.endpoint), {
      ca, agent: floorAgent, headers: { authorization: `Bearer ${token('bench-floor')}`, accept },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: HTTP ${res.statusCode} ${body.toString('utf8', 0, 300)}`));
        else resolve({ bytes: body.length, head: body.toString('utf8', 0, 2048) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// ------------------------------------------------------------------------------------------- scenarios

interface Answer { calls: number; rows?: number; textBytes: number; resultBytes: number; textTokens: number; resultTokens: number }

function answerOf(results: CallToolResult[], rows?: number): Answer {
  const text = results.map((r) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n')).join('\n');
  const whole = results.map((r) => JSON.stringify(r)).join('\n');
  return { calls: results.length, rows, textBytes: Buffer.byteLength(text), resultBytes: Buffer.byteLength(whole), textTokens: tokens(text), resultTokens: tokens(whole) };
}

type Runner = () => Promise<Answer | { bytes: number; calls: number }>;

interface Scenario {
  id: string; label: string; big: boolean; ours: (s: Session) => Runner; peer: (s: Session) => Runner; floorOurs: Runner; floorPeer: Runner;
  /** Lists only: the full JSON list (kubectl get -o json), a reference that stays put whatever either server asks for. */
  floorJson?: Runner;
}

function oursList(set: SetName) {
  return (s: Session): Runner => async () => {
    const results: CallToolResult[] = [];
    let rows = 0;
    let cont: string | undefined;
    do {
      const r = await callTool(s.client, 'pods_list', { namespace: NS, labelSelector: `bench-set=${set}`, limit: 500, ...(cont ? { continue: cont } : {}) });
      const structured = r.structuredContent as { rows: unknown[]; continue?: string };
      rows += structured.rows.length;
      cont = structured.continue;
      results.push(r);
    } while (cont);
    return answerOf(results, rows);
  };
}

function peerList(set: SetName) {
  return (s: Session): Runner => async () => {
    const r = await callTool(s.client, 'pods_list_in_namespace', { namespace: NS, labelSelector: `bench-set=${set}` });
    const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    return answerOf([r], text.trim().split('\n').length - 1);
  };
}

/** The plain JSON list in pages of 500: the objects, as `kubectl get pods -o json` reads them. */
function floorJsonList(set: SetName): Runner {
  return async () => {
    let bytes = 0;
    let calls = 0;
    let cont: string | undefined;
    do {
      const res = await rawGet(`/api/v1/namespaces/${NS}/pods?labelSelector=bench-set%3D${set}&limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, 'application/json');
      bytes += res.bytes;
      calls += 1;
      cont = /"continue":"([^"]+)"/.exec(res.head)?.[1];
    } while (cont);
    return { bytes, calls };
  };
}

/** Our request: the server's Table without the objects, in pages of 500, following continue (as pods_list does). */
function floorOursList(set: SetName): Runner {
  return async () => {
    let bytes = 0;
    let calls = 0;
    let cont: string | undefined;
    do {
      const res = await rawGet(`/api/v1/namespaces/${NS}/pods?labelSelector=bench-set%3D${set}&limit=500&includeObject=None${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, OURS_TABLE_ACCEPT);
      bytes += res.bytes;
      calls += 1;
      cont = /"continue":"([^"]+)"/.exec(res.head)?.[1];
    } while (cont);
    return { bytes, calls };
  };
}

const floorTableList = (set: SetName): Runner => async () => ({ bytes: (await rawGet(`/api/v1/namespaces/${NS}/pods?labelSelector=bench-set%3D${set}`, TABLE_ACCEPT)).bytes, calls: 1 });
const POD = 'p10-0';

const scenarios: Scenario[] = [
  ...(['p10', 'p200', 'p2000'] as SetName[]).map((set): Scenario => ({
    id: `pods_list_${SETS[set]}`, label: `pods list, ${SETS[set].toLocaleString('en-US')} pods`, big: SETS[set] > 500,
    ours: oursList(set), peer: peerList(set), floorOurs: floorOursList(set), floorPeer: floorTableList(set), floorJson: floorJsonList(set),
  })),
  {
    id: 'pods_log', label: 'pod log, 1,000 lines, tail 100', big: false,
    ours: (s) => async () => answerOf([await callTool(s.client, 'pods_log', { namespace: NS, name: POD, tail: 100 })]),
    peer: (s) => async () => answerOf([await callTool(s.client, 'pods_log', { namespace: NS, name: POD, tail: 100 })]),
    floorOurs: async () => ({ bytes: (await rawGet(`/api/v1/namespaces/${NS}/pods/${POD}/log?tailLines=100&limitBytes=65536`, '*/*')).bytes, calls: 1 }),
    floorPeer: async () => ({ bytes: (await rawGet(`/api/v1/namespaces/${NS}/pods/${POD}/log?container=app&tailLines=100`, '*/*')).bytes, calls: 1 }),
  },
  {
    id: 'pods_get', label: 'one pod get', big: false,
    ours: (s) => async () => answerOf([await callTool(s.client, 'pods_get', { namespace: NS, name: POD })]),
    peer: (s) => async () => answerOf([await callTool(s.client, 'pods_get', { namespace: NS, name: POD })]),
    floorOurs: async () => ({ bytes: (await rawGet(`/api/v1/namespaces/${NS}/pods/${POD}`, 'application/json')).bytes, calls: 1 }),
    floorPeer: async () => ({ bytes: (await rawGet(`/api/v1/namespaces/${NS}/pods/${POD}`, 'application/json')).bytes, calls: 1 }),
  },
];

// ---------------------------------------------------------------------------------------------- phases

const results: Record<string, unknown> = {};
let audit: AuditLog;

async function coldStart(): Promise<void> {
  say(`cold start: ${PLAN.cold} runs each after one warm-up, interleaved`);
  const kinds: Kind[] = ['ours', 'peer', 'peer-exec'];
  const samples: Record<Kind, { cold: number[]; init: number[] }> = { ours: { cold: [], init: [] }, peer: { cold: [], init: [] }, 'peer-exec': { cold: [], init: [] } };
  const facts: Record<string, unknown> = {};
  for (let i = 0; i <= PLAN.cold; i++) {
    for (const kind of i % 2 ? [...kinds].reverse() : kinds) {
      const stsBefore = kind === 'ours' ? oursSts.assumeRole : peerExecSts.assumeRole;
      const from = await audit.mark(0);
      const s = await open(kind);
      await s.close();
      const to = await audit.mark();
      if (i === 0) continue; // warm-up: page cache, the API server's webhook caches
      samples[kind].cold.push(s.coldMs);
      samples[kind].init.push(s.initializeMs);
      const requests = audit.between(from, to, kind === 'ours' ? USERS.ours : USERS.peer);
      const sts = (kind === 'ours' ? oursSts.assumeRole : peerExecSts.assumeRole) - stsBefore;
      facts[kind] ??= { tools: s.tools.length, toolNames: s.tools, toolsListBytes: s.toolsListBytes, toolsListTokens: 0, apiRequests: requests.length, apiRequestsByKind: describeRequests(requests), stsAssumeRole: sts };
      if (kind === 'ours') {
        const ready = s.stderr().split('\n').find((l) => l.includes('"msg":"ready"'));
        if (ready) (facts[kind] as Record<string, unknown>)['selfReported'] = { discoveryRequests: JSON.parse(ready).discoveryRequests, startupMs: JSON.parse(ready).startupMs };
      }
    }
  }
  // tools/list size in tokens, from one more session each (not timed)
  for (const kind of ['ours', 'peer'] as Kind[]) {
    const s = await open(kind);
    const listed = await s.client.listTools();
    (facts[kind] as Record<string, unknown>)['toolsListTokens'] = tokens(JSON.stringify(listed));
    await s.close();
  }
  results['coldStart'] = Object.fromEntries(kinds.map((k) => [k, { label: LABEL[k], toFirstToolsList: stats(samples[k].cold), toInitialize: stats(samples[k].init), ...(facts[k] as object) }]));
}

async function latency(): Promise<void> {
  say('tool-call latency and output size: both servers and the raw requests, interleaved');
  const ours = await open('ours');
  const peer = await open('peer');
  const out: Record<string, unknown> = {};
  try {
    for (const sc of scenarios) {
      const warm = sc.big ? PLAN.bigWarm : PLAN.warm;
      const reps = sc.big ? PLAN.bigReps : PLAN.reps;
      const runners: Record<string, Runner> = { ours: sc.ours(ours), peer: sc.peer(peer), floorOurs: sc.floorOurs, floorPeer: sc.floorPeer, ...(sc.floorJson ? { floorJson: sc.floorJson } : {}) };
      const names = Object.keys(runners);
      const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
      const last: Record<string, Answer | { bytes: number; calls: number }> = {};
      const stsBefore = oursSts.assumeRole;
      const from = await audit.mark(0);
      for (let i = 0; i < warm + reps; i++) {
        for (let j = 0; j < names.length; j++) {
          const who = names[(i + j) % names.length]!;
          const t = performance.now();
          last[who] = await runners[who]!();
          if (i >= warm) times[who]!.push(performance.now() - t);
        }
      }
      const to = await audit.mark();
      const iterations = warm + reps;
      // Reviews (selfsubject*) in the window are the periodic re-discovery, not the calls: counted apart.
      // (the peer's own reviews are per call: an access review before each list, so they count for it).
      const perAnswer = (user: string) => audit.between(from, to, user).filter((e) => user !== USERS.ours || !isReview(e)).length / iterations;
      const reviews = audit.between(from, to, USERS.ours).filter(isReview).length;
      const oursAnswer = last['ours'] as Answer;
      const peerAnswer = last['peer'] as Answer;
      const s = { ours: stats(times['ours']!), peer: stats(times['peer']!), floorOurs: stats(times['floorOurs']!), floorPeer: stats(times['floorPeer']!),
        ...(times['floorJson'] ? { floorJson: stats(times['floorJson']) } : {}) };
      out[sc.id] = {
        label: sc.label,
        ms: s,
        ratio: {
          oursOverItsFloor: { median: round2(s.ours.median / s.floorOurs.median), p95: round2(s.ours.p95 / s.floorOurs.p95) },
          peerOverItsFloor: { median: round2(s.peer.median / s.floorPeer.median), p95: round2(s.peer.p95 / s.floorPeer.p95) },
          oursOverPeer: { median: round2(s.ours.median / s.peer.median), p95: round2(s.ours.p95 / s.peer.p95) },
          ...(s.floorJson ? { oursOverJsonList: { median: round2(s.ours.median / s.floorJson.median), p95: round2(s.ours.p95 / s.floorJson.p95) } } : {}),
        },
        output: { ours: oursAnswer, peer: peerAnswer, floorOursBytes: (last['floorOurs'] as { bytes: number }).bytes, floorPeerBytes: (last['floorPeer'] as { bytes: number }).bytes,
          ...(last['floorJson'] ? { floorJsonBytes: (last['floorJson'] as { bytes: number }).bytes } : {}) },
        apiRequests: {
          oursPerAnswer: round2(perAnswer(USERS.ours)), oursPerToolCall: round2(perAnswer(USERS.ours) / oursAnswer.calls),
          peerPerAnswer: round2(perAnswer(USERS.peer)), floorPerAnswer: round2(perAnswer(USERS.floor)), oursBackgroundReviews: reviews,
          oursByKind: describeRequests(audit.between(from, to, USERS.ours)), peerByKind: describeRequests(audit.between(from, to, USERS.peer)),
        },
        stsAssumeRolePerToolCall: (oursSts.assumeRole - stsBefore) / (iterations * oursAnswer.calls),
      };
      say(`  ${sc.label}: ours ${s.ours.median} ms, peer ${s.peer.median} ms, raw ${s.floorOurs.median}/${s.floorPeer.median} ms; `
        + `text ${oursAnswer.textBytes}/${peerAnswer.textBytes} B, whole ${oursAnswer.resultBytes}/${peerAnswer.resultBytes} B`);
    }
  } finally {
    await ours.close();
    await peer.close();
  }
  results['latency'] = out;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

async function memory(): Promise<void> {
  say(`memory: RSS after start and across ${PLAN.memCalls.toLocaleString('en-US')} calls (get, log, list of 10, in turn; ${PLAN.memConcurrency} in flight)`);
  const out: Record<string, unknown> = {};
  for (const kind of ['ours', 'peer'] as Kind[]) {
    const s = await open(kind);
    const calls: Array<[string, Record<string, unknown>]> = kind === 'ours'
      ? [['pods_get', { namespace: NS, name: POD }], ['pods_log', { namespace: NS, name: POD, tail: 100 }], ['pods_list', { namespace: NS, labelSelector: 'bench-set=p10' }]]
      : [['pods_get', { namespace: NS, name: POD }], ['pods_log', { namespace: NS, name: POD, tail: 100 }], ['pods_list_in_namespace', { namespace: NS, labelSelector: 'bench-set=p10' }]];
    try {
      await sleep(1000);
      const afterStart = rssKiB(s.pid);
      const samples: Array<{ calls: number; rssKiB: number }> = [{ calls: 0, rssKiB: afterStart }];
      const stsBefore = oursSts.assumeRole;
      const from = await audit.mark(0);
      let issued = 0;
      let done = 0;
      let errors = 0;
      const started = performance.now();
      await Promise.all(Array.from({ length: PLAN.memConcurrency }, async () => {
        while (issued < PLAN.memCalls) {
          const [name, args] = calls[issued++ % calls.length]!;
          try { await callTool(s.client, name, args); } catch { errors += 1; }
          done += 1;
          if (done % PLAN.memEvery === 0) samples.push({ calls: done, rssKiB: rssKiB(s.pid) });
        }
      }));
      const seconds = (performance.now() - started) / 1000;
      await sleep(1000);
      const end = rssKiB(s.pid);
      const to = await audit.mark();
      const half = samples.find((x) => x.calls >= PLAN.memCalls / 2)?.rssKiB ?? afterStart;
      out[kind] = {
        label: LABEL[kind], afterStartMiB: mib(afterStart), afterCallsMiB: mib(end), growthMiB: mib(end - afterStart),
        secondHalfGrowthMiB: mib(end - half), calls: done, errors, callsPerSecond: Math.round(done / seconds),
        samples: samples.map((x) => ({ calls: x.calls, rssMiB: mib(x.rssKiB) })),
        apiRequestsPerCall: round2(audit.between(from, to, kind === 'ours' ? USERS.ours : USERS.peer).filter((e) => kind !== 'ours' || !isReview(e)).length / done),
        ...(kind === 'ours' ? { backgroundReviews: audit.between(from, to, USERS.ours).filter(isReview).length } : {}),
        ...(kind === 'ours' ? { stsAssumeRole: oursSts.assumeRole - stsBefore } : {}),
      };
      say(`  ${LABEL[kind]}: ${mib(afterStart)} → ${mib(end)} MiB over ${done} calls (${errors} errors, ${Math.round(done / seconds)} calls/s)`);
    } finally {
      await s.close();
    }
  }
  results['memory'] = out;
}

const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;

/** Whether our CLI offers the HTTP transport yet (issue 4: `serve --http --port P --auth-token-file F`). */
function oursHasHttp(): boolean {
  try {
    return /--http\b/.test(execFileSync(process.execPath, [cliPath, '--help']).toString());
  } catch {
    return false;
  }
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`port ${port} did not open in ${timeoutMs} ms`);
}

async function waitForOk(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const status = await fetch(url).then((r) => r.status, () => 0);
    if (status === 200) return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 in ${timeoutMs} ms`);
}

async function throughputOf(url: string, headers: Record<string, string>, concurrency: number, seconds: number): Promise<Record<string, unknown>> {
  const clients: Client[] = [];
  let connectErrors = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    const client = new Client({ name: 'eks-rbac-mcp-bench', version: '0.0.0' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
      clients.push(client);
    } catch {
      connectErrors += 1;
    }
  }));
  const run = async (ms: number) => {
    let ok = 0;
    let errors = 0;
    const lat: number[] = [];
    const deadline = performance.now() + ms;
    await Promise.all(clients.map(async (client) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        try {
          const r = await client.request({ method: 'tools/call', params: { name: 'pods_get', arguments: { namespace: NS, name: POD } } }, { timeout: 30_000 }) as CallToolResult;
          if (r.isError) errors += 1;
          else { ok += 1; lat.push(performance.now() - t); }
        } catch {
          errors += 1;
        }
      }
    }));
    return { ok, errors, lat };
  };
  await run(500); // warm-up
  const { ok, errors, lat } = await run(seconds * 1000);
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  return { sessions: concurrency, connected: clients.length, connectErrors, callsPerSecond: Math.round(ok / seconds), ok, errors, latencyMs: stats(lat) };
}

type HttpKind = 'ours' | 'peer' | 'peer-shipped';
const HTTP_LABEL: Record<HttpKind, string> = {
  ours: 'eks-rbac-mcp', peer: 'kubernetes-mcp-server', 'peer-shipped': 'kubernetes-mcp-server as shipped (client-go limit: 5 requests/s, burst 10)',
};

async function http(): Promise<void> {
  say(`HTTP throughput: pods_get for ${PLAN.httpSeconds} s with ${PLAN.concurrency.join(', ')} concurrent sessions`);
  const out: Record<string, unknown> = {};
  const peer = (throttled: boolean) => async () => {
    const port = await freePort();
    const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...(throttled ? {} : PEER_UNTHROTTLED) };
    const child = spawn(PEER_BIN, ['--port', String(port), '--bind-address', '127.0.0.1', '--kubeconfig', peerKubeconfig('static'), '--read-only'],
      { stdio: ['ignore', 'ignore', 'pipe'], env });
    await waitForPort(port, child);
    await waitForOk(`http://127.0.0.1:${port}/healthz`, child);
    return { child, url: `http://127.0.0.1:${port}/mcp`, headers: {} };
  };
  const servers: Array<{ kind: HttpKind; start(): Promise<{ child: ChildProcess; url: string; headers: Record<string, string> }> }> = [
    { kind: 'peer', start: peer(false) },
    { kind: 'peer-shipped', start: peer(true) },
    {
      kind: 'ours',
      async start() {
        if (!oursHasHttp()) throw Object.assign(new Error('pending: this build has no HTTP transport yet (issue 4: serve --http)'), { pending: true });
        const port = await freePort();
        const secret = randomBytes(24).toString('hex');
        const tokenFile = join(workDir, 'http-tokens');
        writeFileSync(tokenFile, `bench:${secret}\n`, { mode: 0o600 });
        // --rate-limit 0: the default (600 requests a minute per principal) would measure the limiter, not the server.
        const child = spawn(process.execPath, [cliPath, 'serve', '--http', '--host', '127.0.0.1', '--port', String(port), '--auth-tokens-file', tokenFile,
          '--rate-limit', '0', ...eksArgs('bench-reader')], { stdio: ['ignore', 'ignore', 'pipe'], env: hostEnv(oursSts.url) });
        await waitForPort(port, child);
        await waitForOk(`http://127.0.0.1:${port}/readyz`, child);
        return { child, url: `http://127.0.0.1:${port}/mcp`, headers: { authorization: `Bearer ${secret}` } };
      },
    },
  ];
  // All three listen at once (idle ones cost nothing); each level is measured in alternating rounds, so that the
  // machine's other load falls on every server alike. The throttled peer needs one short round only.
  const up: Array<{ kind: HttpKind; child: ChildProcess; url: string; headers: Record<string, string> }> = [];
  try {
    for (const server of servers) {
      try {
        const started = await server.start();
        started.child.stderr?.on('data', () => undefined); // drained: a full pipe would block a logging server
        up.push({ kind: server.kind, ...started });
      } catch (error) {
        const pending = (error as { pending?: boolean }).pending === true;
        out[server.kind] = { [pending ? 'pending' : 'failed']: (error as Error).message };
        say(`  ${server.kind}: ${(error as Error).message}`);
      }
    }
    const runs = new Map<HttpKind, Array<Array<Record<string, unknown>>>>(up.map((s) => [s.kind, PLAN.concurrency.map(() => [])]));
    for (const [level, c] of PLAN.concurrency.entries()) {
      for (let round = 0; round < PLAN.httpRounds; round += 1) {
        for (const s of round % 2 ? [...up].reverse() : up) {
          if (s.kind === 'peer-shipped' && round > 0) continue;
          const r = await throughputOf(s.url, s.headers, c, s.kind === 'peer-shipped' ? Math.min(2, PLAN.httpSeconds) : PLAN.httpSeconds);
          runs.get(s.kind)![level]!.push(r);
          say(`  ${s.kind} ×${c} round ${round + 1}: ${r['callsPerSecond']} calls/s, ${r['errors']} errors`);
        }
      }
    }
    for (const s of up) {
      out[s.kind] = {
        rssAfterMiB: mib(rssKiB(s.child.pid!)),
        runs: runs.get(s.kind)!.map((rounds) => {
          const rates = rounds.map((r) => r['callsPerSecond'] as number);
          return {
            ...rounds[0], callsPerSecond: Math.round(rates.reduce((a, b) => a + b, 0) / rates.length), rounds: rates,
            errors: rounds.reduce((a, r) => a + (r['errors'] as number), 0), connectErrors: rounds.reduce((a, r) => a + (r['connectErrors'] as number), 0),
          };
        }),
      };
    }
  } finally {
    for (const s of up) {
      if (s.child.exitCode === null) {
        s.child.kill('SIGTERM');
        await new Promise((r) => s.child.once('exit', r));
      }
    }
  }
  results['http'] = out;
}

// ---------------------------------------------------------------------------------------------- report

function machine(): Record<string, unknown> {
  const git = (args: string[]) => { try { return execFileSync('git', args, { cwd: root }).toString().trim(); } catch { return ''; } };
  return {
    cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), platform: `${os.platform()}/${os.arch()}`,
    node: process.version, loadAverageAtStart: os.loadavg().map(round2),
    ours: { version: (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version, commit: git(['rev-parse', '--short', 'HEAD']), dirty: git(['status', '--porcelain', '--', 'src', 'tools', 'scripts/build.mjs']) !== '' },
    peer: { package: 'kubernetes-mcp-server-linux-amd64', version: execFileSync(PEER_BIN, ['--version']).toString().trim() },
  };
}

interface Target { target: string; ours: string; reference: string; met: boolean | 'pending' }

function targets(): Target[] {
  const out: Target[] = [];
  const cold = results['coldStart'] as Record<Kind, { toFirstToolsList: Stats }> | undefined;
  if (cold) {
    out.push({ target: 'start to first tools/list no slower than the other server (median)', ours: `${cold.ours.toFirstToolsList.median} ms`,
      reference: `${cold.peer.toFirstToolsList.median} ms static token; ${cold['peer-exec'].toFirstToolsList.median} ms exec credential`,
      met: cold.ours.toFirstToolsList.median <= cold.peer.toFirstToolsList.median });
  }
  const lat = results['latency'] as Record<string, { ms: Record<string, Stats>; ratio: { oursOverItsFloor: { median: number } }; output: { ours: Answer; peer: Answer } }> | undefined;
  if (lat?.['pods_list_200']) {
    const r = lat['pods_list_200'];
    out.push({ target: 'p50 latency within 1.15× the raw request, pods list of 200', ours: `${r.ms['ours']!.median} ms = ${r.ratio.oursOverItsFloor.median}×`,
      reference: `raw ${r.ms['floorOurs']!.median} ms (our request, a Table); raw JSON list ${r.ms['floorJson']?.median} ms = ${(r.ratio as Record<string, { median: number }>)['oursOverJsonList']?.median}×`,
      met: r.ratio.oursOverItsFloor.median <= 1.15 });
  }
  if (lat?.['pods_list_2000']) {
    const o = lat['pods_list_2000'].output;
    out.push({ target: 'output at most half the other server\'s bytes, pods list of 2,000 (whole answer: text and structured content)',
      ours: `${o.ours.resultBytes.toLocaleString('en-US')} B = ${round2(o.ours.resultBytes / o.peer.resultBytes)}×`,
      reference: `${o.peer.resultBytes.toLocaleString('en-US')} B`, met: o.ours.resultBytes <= o.peer.resultBytes / 2 });
  }
  const h = results['http'] as Record<string, { runs?: Array<{ sessions: number; callsPerSecond: number }>; pending?: string }> | undefined;
  if (h) {
    const ours = h['ours']?.runs;
    const peer = h['peer']?.runs;
    out.push({ target: 'HTTP throughput at least the other server\'s (1, 10, 50 sessions)',
      ours: ours ? ours.map((r) => `${r.callsPerSecond}/s`).join(', ') : (h['ours']?.pending ? 'pending (no HTTP transport yet)' : 'failed'),
      reference: peer ? peer.map((r) => `${r.callsPerSecond}/s`).join(', ') : 'failed',
      met: ours && peer ? ours.every((r, i) => r.callsPerSecond >= (peer[i]?.callsPerSecond ?? Infinity)) : 'pending' });
  }
  const m = results['memory'] as Record<string, { afterStartMiB: number; afterCallsMiB: number; secondHalfGrowthMiB: number; calls: number }> | undefined;
  if (m?.['ours']) {
    out.push({ target: `memory flat across ${m['ours'].calls.toLocaleString('en-US')} calls (second-half growth < 5 MiB)`,
      ours: `${m['ours'].afterStartMiB} → ${m['ours'].afterCallsMiB} MiB (second half ${m['ours'].secondHalfGrowthMiB >= 0 ? '+' : ''}${m['ours'].secondHalfGrowthMiB})`,
      reference: m['peer'] ? `${m['peer'].afterStartMiB} → ${m['peer'].afterCallsMiB} MiB` : '-', met: m['ours'].secondHalfGrowthMiB < 5 });
  }
  if (lat) {
    const sts = Object.values(lat).map((x) => (x as unknown as { stsAssumeRolePerToolCall: number }).stsAssumeRolePerToolCall);
    out.push({ target: 'STS calls per tool call: 0', ours: `${Math.max(...sts)}`, reference: '-', met: sts.every((x) => x === 0) });
  }
  return out;
}

function mdTable(head: string[], rows: Array<Array<string | number>>): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function markdown(data: Record<string, unknown>): string {
  const m = data['machine'] as Record<string, any>;
  const lines: string[] = [];
  lines.push(`# Benchmark: eks-rbac-mcp vs kubernetes-mcp-server ${m['peer'].version}`, '');
  lines.push(`${data['date']} · ${m['cpu']} × ${m['cores']} · ${m['memoryGiB']} GiB · Linux ${m['kernel']} · Node ${m['node']} · `
    + `eks-rbac-mcp ${m['ours'].version} (${m['ours'].commit}${m['ours'].dirty ? ', uncommitted changes' : ''}) · load average at start ${m['loadAverageAtStart'].join(' ')}`
    + `${data['quick'] ? ' · **--quick**' : ''}`, '');
  lines.push('One local EKS-shaped control plane (kube-apiserver, etcd, kwok nodes, moto STS, EKS token and access-policy webhooks). '
    + 'Both servers hold the same Role (get/list pods, get pods/log in `bench`) through the same IAM role; times are measured by the client, '
    + `from request to answer. Tokens: ${data['tokenizer']}.`, '');
  const t = data['targets'] as Target[];
  lines.push('## Targets', '', mdTable(['target', 'eks-rbac-mcp', 'reference', 'met'], t.map((x) => [x.target, x.ours, x.reference, x.met === 'pending' ? 'pending' : x.met ? 'yes' : '**no**'])), '');
  const cold = data['coldStart'] as Record<string, any> | undefined;
  if (cold) {
    lines.push('## Cold start: process spawn to the first tools/list answered (ms)', '');
    lines.push(mdTable(['server', 'median', 'p95', 'initialize median', 'tools', 'tools/list bytes', 'tools/list tokens', 'API requests at start', 'STS AssumeRole at start'],
      Object.values(cold).map((c) => [c.label, c.toFirstToolsList.median, c.toFirstToolsList.p95, c.toInitialize.median, c.tools, c.toolsListBytes.toLocaleString('en-US'),
        c.toolsListTokens ? c.toolsListTokens.toLocaleString('en-US') : '-', c.apiRequests, c.stsAssumeRole])), '');
    const ours = cold['ours'];
    lines.push(`Our discovery at start: ${Object.entries(ours.apiRequestsByKind).map(([k, v]) => `${v} × ${k}`).join(', ')} (audit log); `
      + `the peer's: ${Object.entries(cold['peer'].apiRequestsByKind).map(([k, v]) => `${v} × ${k}`).join(', ')}.`, '');
  }
  const lat = data['latency'] as Record<string, any> | undefined;
  if (lat) {
    lines.push('## Tool-call latency (ms; median / p95) and the raw API request beside it', '');
    lines.push(mdTable(['call', 'eks-rbac-mcp', 'raw (our request)', 'ours ÷ raw', 'kubernetes-mcp-server', 'raw (its request)', 'peer ÷ raw', 'ours ÷ peer', 'raw JSON list', 'ours ÷ raw JSON'],
      Object.values(lat).map((x) => [x.label, `${x.ms.ours.median} / ${x.ms.ours.p95}`, `${x.ms.floorOurs.median} / ${x.ms.floorOurs.p95}`, `${x.ratio.oursOverItsFloor.median}×`,
        `${x.ms.peer.median} / ${x.ms.peer.p95}`, `${x.ms.floorPeer.median} / ${x.ms.floorPeer.p95}`, `${x.ratio.peerOverItsFloor.median}×`, `${x.ratio.oursOverPeer.median}×`,
        x.ms.floorJson ? `${x.ms.floorJson.median} / ${x.ms.floorJson.p95}` : '-', x.ratio.oursOverJsonList ? `${x.ratio.oursOverJsonList.median}×` : '-'])), '');
    lines.push('Our pods list asks for pages of 500 (its maximum) and follows `continue`: the 2,000-pod list is 4 tool calls, timed together. '
      + 'Each raw request is the one that server sends, made directly with a kept-alive connection and the body read but not parsed: '
      + 'ours is the API server\'s Table without the objects (`includeObject=None`), in the same pages; the peer\'s is the Table with the objects\' metadata, in one piece. '
      + 'Raw get and log are the same request for both. The raw JSON list (the objects in pages of 500, as `kubectl get pods -o json` reads them) is a fixed reference.', '');
    lines.push('## Output size of each answer', '');
    lines.push(mdTable(['call', 'ours: text bytes', 'ours: whole answer bytes', 'ours: tokens (text / whole)', 'peer: text bytes', 'peer: whole answer bytes', 'peer: tokens (text / whole)', 'ours ÷ peer (whole)', 'rows ours / peer'],
      Object.values(lat).map((x) => [x.label, x.output.ours.textBytes.toLocaleString('en-US'), x.output.ours.resultBytes.toLocaleString('en-US'), `${x.output.ours.textTokens.toLocaleString('en-US')} / ${x.output.ours.resultTokens.toLocaleString('en-US')}`,
        x.output.peer.textBytes.toLocaleString('en-US'), x.output.peer.resultBytes.toLocaleString('en-US'), `${x.output.peer.textTokens.toLocaleString('en-US')} / ${x.output.peer.resultTokens.toLocaleString('en-US')}`,
        `${round2(x.output.ours.resultBytes / x.output.peer.resultBytes)}×`, x.output.ours.rows !== undefined ? `${x.output.ours.rows} / ${x.output.peer.rows}` : '-'])), '');
    lines.push('Text is what a client shows the model; the whole answer is the JSON-RPC result (our structured content repeats the rows as JSON). '
      + 'Pod columns: ours NAME READY STATUS RESTARTS AGE NODE; the peer\'s Table adds NAMESPACE, APIVERSION, KIND, IP, NOMINATED NODE, READINESS GATES, LABELS.', '');
    lines.push('## Economy: API requests per answer (audit log) and STS calls', '');
    lines.push(mdTable(['call', 'ours: API requests per answer', 'ours: per tool call', 'ours: STS AssumeRole per tool call', 'ours: re-discovery reviews meanwhile', 'peer: API requests per answer'],
      Object.values(lat).map((x) => [x.label, x.apiRequests.oursPerAnswer, x.apiRequests.oursPerToolCall, x.stsAssumeRolePerToolCall, x.apiRequests.oursBackgroundReviews, x.apiRequests.peerPerAnswer])), '');
    lines.push('Re-discovery (every 30 s by default) sends its reviews whatever the calls; they are counted apart. Each pods/log request is one request although the audit log records it twice (ResponseStarted and ResponseComplete).', '');
  }
  const mem = data['memory'] as Record<string, any> | undefined;
  if (mem) {
    lines.push('## Resident memory (VmRSS, MiB)', '');
    lines.push(mdTable(['server', 'after start', 'after calls', 'growth', 'second-half growth', 'calls', 'errors', 'calls/s (stdio, 4 in flight)', 'API requests per call', 're-discovery reviews meanwhile'],
      Object.values(mem).map((x) => [x.label, x.afterStartMiB, x.afterCallsMiB, x.growthMiB, x.secondHalfGrowthMiB, x.calls.toLocaleString('en-US'), x.errors, x.callsPerSecond, x.apiRequestsPerCall, x.backgroundReviews ?? '-'])), '');
    lines.push(`RSS every ${PLAN.memEvery} calls — ours: ${mem['ours']?.samples.map((s: any) => s.rssMiB).join(', ')}; peer: ${mem['peer']?.samples.map((s: any) => s.rssMiB).join(', ')}.`, '');
  }
  const h = data['http'] as Record<string, any> | undefined;
  if (h) {
    lines.push(`## HTTP throughput: pods_get, ${PLAN.httpRounds} alternating rounds of ${PLAN.httpSeconds} s per level (calls/s, mean of the rounds; errors; latency median / p95 ms of the first round)`, '');
    const row = (kind: HttpKind) => {
      const x = h[kind];
      if (!x?.runs) return [HTTP_LABEL[kind], ...PLAN.concurrency.map(() => x?.pending ? 'pending' : 'failed')];
      return [HTTP_LABEL[kind], ...x.runs.map((r: any) => `${r.callsPerSecond}/s; ${r.errors + r.connectErrors} errors; ${r.latencyMs.median} / ${r.latencyMs.p95}`)];
    };
    lines.push(mdTable(['server', ...PLAN.concurrency.map((c) => `${c} session${c > 1 ? 's' : ''}`)], [row('ours'), row('peer'), row('peer-shipped')]), '');
    if (h['ours']?.pending) lines.push(`Ours: ${h['ours'].pending}.`, '');
  }
  return `${lines.join('\n')}\n`;
}

// -------------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const begun = Date.now();
  if (!opts['no-build']) execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
  if (opts.cluster) {
    cluster = JSON.parse(readFileSync(opts.cluster, 'utf8')) as ClusterInfo;
    say(`reusing the control plane at ${cluster.endpoint}`);
  } else {
    say('starting a local control plane');
    ownCluster = await startCluster();
    cluster = ownCluster;
  }
  ca = readFileSync(cluster.caFile);
  workDir = join(cluster.dir, 'bench');
  mkdirSync(workDir, { recursive: true });
  const date = new Date().toISOString();
  const facts = machine();
  oursSts = await new StsRelay(cluster.sts.url).start();
  peerExecSts = await new StsRelay(cluster.sts.url).start();
  try {
    await seed();
    audit = new AuditLog(cluster.auditLog);
    await audit.mark(0);
    if (phases.has('cold')) await coldStart();
    if (phases.has('latency')) await latency();
    if (phases.has('memory')) await memory();
    if (phases.has('http')) await http();
    const data = {
      date, quick: opts.quick, tokenizer, plan: PLAN, machine: { ...facts, loadAverageAtEnd: os.loadavg().map(round2) },
      ...results, targets: targets(), runtimeSeconds: Math.round((Date.now() - begun) / 1000),
    };
    mkdirSync(opts.out!, { recursive: true });
    writeFileSync(join(opts.out!, 'results.json'), `${JSON.stringify(data, null, 2)}\n`);
    writeFileSync(join(opts.out!, 'results.md'), markdown(data));
    say(`wrote ${join(opts.out!, 'results.md')} and results.json in ${data.runtimeSeconds} s`);
    process.stdout.write(markdown(data));
  } finally {
    floorAgent.destroy();
    await oursSts.stop();
    await peerExecSts.stop();
    await ownCluster?.stop();
  }
}

await main();
