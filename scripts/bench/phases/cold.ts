// Cold start: process spawn to the first answer of any kind, and to the first tools/list answered, for our server
// in both eras and for the peer with a static token and with an exec credential (its EKS setup). Interleaved.
//
// Timed on raw stdio, the same way for every party: the first request is written at spawn (server/discover for
// 2026-07-28, initialize for the 2025 revisions), the first answer is the first line the server writes, and
// tools/list is sent as soon as that line is read (after notifications/initialized in 2025). An SDK client's
// connect would add its own work to the first answer (in 2026-07-28 mode it validates the discover result
// and sets up the session before connect resolves) and time it differently for each party.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { USERS, say, type Bench } from '../context.ts';
import { describeRequests } from '../audit.ts';
import { LABEL, command, type Kind } from '../servers.ts';
import { stats } from '../stats.ts';

const KINDS: Kind[] = ['ours', 'ours-2025', 'peer', 'peer-exec'];

export interface ColdStart {
  firstAnswerMs: number;
  toolsListMs: number;
  tools: string[];
  stderr: string;
}

const CLIENT = { name: 'eks-rbac-mcp-bench', version: '0.0.0' };
/** The per-request envelope of 2026-07-28 (what the SDK's client sends). */
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': CLIENT, 'io.modelcontextprotocol/clientCapabilities': {},
};

/** One start over raw stdio: spawn → the first line written → the tools/list answer; then stdin is closed. */
function startOnce(bench: Bench, kind: Kind): Promise<ColdStart> {
  return startRaw(command(bench, kind), kind === 'ours', LABEL[kind]);
}

/** The same for any command: `modern`, a 2026-07-28 client (server/discover), else a 2025 one (initialize). */
export function startRaw(spawned: { command: string; args: string[]; env: Record<string, string> }, modern: boolean, label: string): Promise<ColdStart> {
  const { command: file, args, env } = spawned;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const send = (message: object) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    let firstAnswerMs: number | undefined;
    const fail = (why: string) => {
      child.kill();
      reject(new Error(`${label}: ${why}\n${stderr}`));
    };
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code) => { if (firstAnswerMs === undefined || code) fail(`exited with ${code} before the tools/list answer`); });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (firstAnswerMs === undefined) {
        firstAnswerMs = performance.now() - started;
        if (!modern) send({ method: 'notifications/initialized' });
        send({ id: 2, method: 'tools/list', params: modern ? { _meta: MODERN_META } : {} });
        return;
      }
      const message = JSON.parse(line) as { id?: number; result?: { tools: Array<{ name: string }> }; error?: unknown };
      if (message.id !== 2) return;
      const toolsListMs = performance.now() - started;
      if (!message.result) return fail(`tools/list failed: ${line}`);
      child.removeAllListeners('exit');
      child.once('exit', () => resolve({ firstAnswerMs: firstAnswerMs!, toolsListMs, tools: message.result!.tools.map((t) => t.name), stderr }));
      child.stdin.end(); // both servers exit when their input ends; a server that would not is stopped
      setTimeout(() => child.kill(), 2_000).unref();
    });
    send(modern
      ? { id: 1, method: 'server/discover', params: { _meta: MODERN_META } }
      : { id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: CLIENT } });
  });
}

export async function coldStart(bench: Bench): Promise<void> {
  const { plan, audit } = bench;
  say(`cold start: ${plan.cold} runs each after one warm-up, interleaved, timed on raw stdio`);
  const samples = Object.fromEntries(KINDS.map((k) => [k, { toolsList: [] as number[], first: [] as number[] }]));
  const facts: Record<string, Record<string, unknown>> = {};
  for (let i = 0; i <= plan.cold; i++) {
    for (const kind of i % 2 ? [...KINDS].reverse() : KINDS) {
      const sts = kind === 'peer-exec' ? bench.peerExecSts : bench.oursSts;
      const stsBefore = sts.assumeRole;
      const from = await audit.mark(0);
      const s = await startOnce(bench, kind);
      const to = await audit.mark();
      if (i === 0) continue; // warm-up: page cache, compile cache, the API server's webhook caches
      samples[kind]!.toolsList.push(s.toolsListMs);
      samples[kind]!.first.push(s.firstAnswerMs);
      const requests = audit.between(from, to, kind.startsWith('ours') ? USERS.ours : USERS.peer);
      facts[kind] ??= {
        tools: s.tools.length, apiRequests: requests.length, apiRequestsByKind: describeRequests(requests),
        stsAssumeRole: kind === 'peer' ? 0 : sts.assumeRole - stsBefore,
      };
      if (kind.startsWith('ours')) {
        const ready = s.stderr.split('\n').find((l) => l.includes('"msg":"ready"'));
        if (ready) facts[kind]['selfReported'] = { discoveryRequests: JSON.parse(ready).discoveryRequests, startupMs: JSON.parse(ready).startupMs };
      }
    }
  }
  bench.results['coldStart'] = Object.fromEntries(KINDS.map((k) => [k, {
    label: LABEL[k], firstAnswer: stats(samples[k]!.first), toFirstToolsList: stats(samples[k]!.toolsList), ...facts[k],
  }]));
  for (const k of KINDS) say(`  ${LABEL[k]}: first answer ${stats(samples[k]!.first).median} ms, tools/list ${stats(samples[k]!.toolsList).median} ms`);
}
