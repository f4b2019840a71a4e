// HTTP throughput: pods_get from 1, 10 and 50 concurrent clients, each its own connection, in alternating rounds.
// Ours is one process serving both eras: 2026-07-28 clients (stateless, a server per request) and 2025 clients
// (a session each). Neither server authenticates: both listen on loopback only, ours without --auth-tokens-file.
import { spawn } from 'node:child_process';
import type { CallToolResult, Client } from '@modelcontextprotocol/client';
import { freePort } from '../../../test/cluster/cluster.ts';
import { connectHttp, startHttp, type Era, type HttpSession } from '../../../test/helpers.ts';
import { NS, PEER_BIN, POD, say, sleep, type Bench } from '../context.ts';
import { oursArgs, oursEnv, peerClient, peerKubeconfig, PEER_UNTHROTTLED } from '../servers.ts';
import { mib, rssKiB, stats } from '../stats.ts';

export type HttpServerKind = 'ours' | 'peer' | 'peer-shipped';
const SERVER_LABEL: Record<HttpServerKind, string> = {
  ours: 'eks-rbac-mcp', peer: 'kubernetes-mcp-server', 'peer-shipped': 'kubernetes-mcp-server as shipped (client-go limit: 5 requests/s, burst 10)',
};
type Wrap = Parameters<typeof startHttp>[1]['wrap'];

export interface RunningServer { kind: HttpServerKind; label: string; url: string; pid: number; stop(): Promise<unknown> }

async function waitForOk(url: string, exited: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`the server exited before ${url} answered`);
    if (await fetch(url).then((r) => r.status === 200, () => false)) return;
    await sleep(50);
  }
  throw new Error(`${url} did not answer 200 in ${timeoutMs} ms`);
}

async function startPeer(bench: Bench, throttled: boolean): Promise<Omit<RunningServer, 'kind' | 'label'>> {
  const port = await freePort();
  const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...(throttled ? {} : PEER_UNTHROTTLED) };
  const child = spawn(PEER_BIN, ['--port', String(port), '--bind-address', '127.0.0.1', '--kubeconfig', peerKubeconfig(bench), '--read-only'],
    { stdio: ['ignore', 'ignore', 'ignore'], env });
  const exited = new Promise((r) => child.once('exit', r));
  await waitForOk(`http://127.0.0.1:${port}/healthz`, () => child.exitCode !== null);
  return { url: `http://127.0.0.1:${port}/mcp`, pid: child.pid!, stop: async () => { if (child.exitCode === null) child.kill('SIGTERM'); await exited; } };
}

/**
 * Starts the servers, listening at once (idle ones cost nothing). Ours: --rate-limit 0, or it measures the limiter;
 * `wrap` launches it another way (inside a memory cgroup).
 */
export async function startServers(bench: Bench, kinds: HttpServerKind[], wrap?: Wrap): Promise<RunningServer[]> {
  return Promise.all(kinds.map(async (kind) => {
    const started = kind === 'ours'
      ? await startHttp(['--host', '127.0.0.1', '--rate-limit', '0', ...oursArgs(bench)], { env: oursEnv(bench), wrap })
      : await startPeer(bench, kind === 'peer-shipped');
    return { kind, label: SERVER_LABEL[kind], url: started.url, pid: started.pid, stop: started.stop };
  }));
}

/** Who drives the load: our server in each era, or the peer. */
interface Load { id: string; label: string; server: RunningServer; era?: Era }

async function throughputOf(load: Load, concurrency: number, seconds: number): Promise<Record<string, unknown>> {
  const sessions: HttpSession[] = [];
  let connectErrors = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    try {
      sessions.push(await connectHttp(load.server.url, load.era ? { era: load.era } : { client: peerClient() }));
    } catch {
      connectErrors += 1;
    }
  }));
  const run = async (ms: number) => {
    let ok = 0;
    let errors = 0;
    const lat: number[] = [];
    const deadline = performance.now() + ms;
    await Promise.all(sessions.map(async ({ client }: { client: Client }) => {
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
  await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
  return { clients: concurrency, connected: sessions.length, connectErrors, callsPerSecond: Math.round(ok / seconds), ok, errors, latencyMs: stats(lat) };
}

export async function http(bench: Bench): Promise<void> {
  const { plan } = bench;
  say(`HTTP throughput: pods_get for ${plan.httpSeconds} s with ${plan.concurrency.join(', ')} concurrent clients`);
  const servers = await startServers(bench, ['ours', 'peer', 'peer-shipped']);
  const [ours, peer, shipped] = servers as [RunningServer, RunningServer, RunningServer];
  const loads: Load[] = [
    { id: 'ours', label: 'eks-rbac-mcp, 2026-07-28 (stateless)', server: ours, era: '2026-07-28' },
    { id: 'ours-2025', label: 'eks-rbac-mcp, 2025-11-25 (sessions)', server: ours, era: '2025-11-25' },
    { id: 'peer', label: 'kubernetes-mcp-server', server: peer },
    { id: 'peer-shipped', label: shipped.label, server: shipped },
  ];
  const out: Record<string, unknown> = {};
  try {
    const runs = new Map(loads.map((l) => [l.id, plan.concurrency.map(() => [] as Array<Record<string, unknown>>)]));
    for (const [level, c] of plan.concurrency.entries()) {
      for (let round = 0; round < plan.httpRounds; round += 1) {
        // Alternating order, so that the machine's other load falls on every server alike; the throttled peer needs one short round.
        for (const load of round % 2 ? [...loads].reverse() : loads) {
          if (load.id === 'peer-shipped' && round > 0) continue;
          const r = await throughputOf(load, c, load.id === 'peer-shipped' ? Math.min(2, plan.httpSeconds) : plan.httpSeconds);
          runs.get(load.id)![level]!.push(r);
          say(`  ${load.id} ×${c} round ${round + 1}: ${r['callsPerSecond']} calls/s, ${r['errors']} errors`);
        }
      }
    }
    for (const load of loads) {
      out[load.id] = {
        label: load.label,
        runs: runs.get(load.id)!.map((rounds) => {
          const rates = rounds.map((r) => r['callsPerSecond'] as number);
          return {
            ...rounds[0], callsPerSecond: Math.round(rates.reduce((a, b) => a + b, 0) / rates.length), rounds: rates,
            errors: rounds.reduce((a, r) => a + (r['errors'] as number), 0), connectErrors: rounds.reduce((a, r) => a + (r['connectErrors'] as number), 0),
          };
        }),
      };
    }
    for (const s of servers) out[`${s.kind}RssAfterMiB`] = mib(rssKiB(s.pid));
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  out['authentication'] = 'neither server authenticates (both on loopback; ours without --auth-tokens-file)';
  bench.results['http'] = out;
}
