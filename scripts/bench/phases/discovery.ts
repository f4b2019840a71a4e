// What knowing the permissions costs the API server, as the scope grows: requests at start (by kind, from the audit
// log) and the time to the first tools/list at 1, 2, 10 and 30 namespaces, for the pods reader and the built-in `edit`
// role; the requests of one refresh when nothing changed; and the requests that 100 consecutive 403s on an
// advertised tool cause. The peer does no discovery at all: its figure is zero.
//
// Each namespace discovery-NN holds the bench's reader Role bound to the reader and `edit` bound to the editor, so
// that a larger scope is the same grant in more namespaces (what a platform team does for an agent of several teams).
import { request as httpsRequest, createServer as createHttpsServer, Agent as HttpsAgent, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { kubectl } from '../../../test/cluster/cluster.ts';
import { cliPath, connectCommand, eksArgs, onToolsChanged, platformAws, type Session } from '../../../test/helpers.ts';
import { USERS, say, sleep, type Bench } from '../context.ts';
import { describeRequests, type AuditEvent } from '../audit.ts';
import { oursArgs, oursEnv } from '../servers.ts';
import { benchRbac } from '../seed.ts';
import { stats } from '../stats.ts';
import { SERVED_KINDS_REQUEST, UNSERVED_RECHECK_ROUNDS } from '../../../src/kube/api-resources.ts';
import { startRaw } from './cold.ts';

const SCOPES = [1, 2, 10, 30];
const REFRESH_SCOPES = [1, 10, 30];
const STORM_SCOPES = [1, 30];
const REFRESH_INTERVAL_S = 2;
/** Enough rounds after the first that one reads the served kinds again where the rules name an unserved group. */
const REFRESHES = UNSERVED_RECHECK_ROUNDS;
/** After a round's log line, for the audit log to hold its last request; rounds are ~2 s apart. */
const ROUND_SETTLE_MS = 300;
const STORM_CALLS = 100;
/** The least gap between 403-started discoveries (--forbidden-refresh-gap): the default, given explicitly. */
const FORBIDDEN_GAP_S = 10;
/** Longer than that gap. */
const STORM_SETTLE_MS = 12_000;

const ROLES = [
  { role: 'pods-reader', binding: 'bench-reader', user: USERS.ours },
  { role: 'edit', binding: 'bench-editor', user: USERS.editor },
] as const;
type Role = (typeof ROLES)[number];

const namespace = (i: number) => `discovery-${String(i).padStart(2, '0')}`;
const scope = (n: number) => Array.from({ length: n }, (_, i) => namespace(i + 1)).join(',');

function seedScopes(bench: Bench): void {
  const namespaces = Array.from({ length: Math.max(...SCOPES) }, (_, i) => namespace(i + 1));
  kubectl(bench.cluster, ['apply', '--server-side', '-f', '-'], { input: namespaces.map((ns) => benchRbac(ns, [USERS.ours])).join('---\n') });
}

const spawnSpec = (bench: Bench, role: Role, n: number, extra: string[] = [], env = oursEnv(bench)) =>
  ({ command: process.execPath, args: [cliPath, ...oursArgs(bench, role.binding, scope(n)), ...extra], env });

/** Starts over raw stdio, as the cold-start phase does: the time to the first tools/list, and the requests it took. */
async function starts(bench: Bench, role: Role, n: number): Promise<Record<string, unknown>> {
  const times: number[] = [];
  const counts: number[] = [];
  let byKind: Record<string, number> = {};
  let tools = 0;
  for (let i = 0; i <= bench.plan.discoveryStarts; i++) {
    const from = await bench.audit.mark(0);
    const started = await startRaw(spawnSpec(bench, role, n), true, `${role.role} at ${n} namespaces`);
    const requests = bench.audit.between(from, await bench.audit.mark(), role.user);
    if (i === 0) continue; // warm-up: page cache, compile cache
    times.push(started.toolsListMs);
    counts.push(requests.length);
    byKind = describeRequests(requests);
    tools = started.tools.length;
  }
  return { namespaces: n, requests: Math.max(...counts), requestsByKind: byKind, toFirstToolsList: stats(times), tools };
}

const logLines = (session: Session, msg: string) => session.stderr().split('\n').filter((l) => l.includes(`"msg":"${msg}"`));

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Requests per refresh when nothing changed, round by round from the audit log (each round's requests are those
 * logged between its end and the one before), over enough rounds that one of them reads the served kinds again
 * (the `edit` role names `extensions`, which nothing serves: every UNSERVED_RECHECK_ROUNDS-th round re-reads it).
 */
async function refreshes(bench: Bench, role: Role, n: number): Promise<Record<string, unknown>> {
  const spec = spawnSpec(bench, role, n, ['--refresh-interval', String(REFRESH_INTERVAL_S), '--log-level', 'debug']);
  const session = await connectCommand(spec.command, spec.args, spec.env);
  try {
    await session.client.listTools();
    const refreshed = () => logLines(session, 'permissions refreshed');
    await until('the first refresh', () => refreshed().length >= 1, 3 * REFRESH_INTERVAL_S * 1000);
    let from = await bench.audit.mark(ROUND_SETTLE_MS);
    const rounds: number[] = [];
    const all: AuditEvent[] = [];
    for (let round = 2; round <= 1 + REFRESHES; round++) {
      await until(`refresh ${round}`, () => refreshed().length >= round);
      const to = await bench.audit.mark(ROUND_SETTLE_MS);
      const events = bench.audit.between(from, to, role.user);
      rounds.push(events.length);
      all.push(...events);
      from = to;
    }
    const selfReported = refreshed().slice(1, 1 + REFRESHES).map((line) => JSON.parse(line) as { tier: string; requests: Record<string, number> });
    const byKind = Object.fromEntries(Object.entries(describeRequests(all)).map(([k, v]) => [k, Math.round((v / REFRESHES) * 100) / 100]));
    return {
      namespaces: n, perRefresh: Math.round((all.length / REFRESHES) * 100) / 100, worstRound: Math.max(...rounds), rounds, perRefreshByKind: byKind,
      servedKindsRereads: selfReported.filter((r) => r.requests[SERVED_KINDS_REQUEST]).length, fullRounds: selfReported.filter((r) => r.tier === 'full').length,
    };
  } finally {
    await session.close();
  }
}

/**
 * A proxy in front of the API server that answers every pods list in one namespace with 403 Forbidden, as an
 * admission webhook, a quota or a policy engine would, and passes everything else on: the requests that reach the
 * API server while an agent provokes 403s are discovery's.
 */
async function forbiddingProxy(bench: Bench, forbidden: RegExp): Promise<{ url: string; server: Server; agent: HttpsAgent }> {
  const pki = dirname(bench.cluster.caFile);
  const agent = new HttpsAgent({ keepAlive: true, ca: bench.ca });
  const server = createHttpsServer({ cert: readFileSync(join(pki, 'apiserver.crt')), key: readFileSync(join(pki, 'apiserver.key')) }, (req, res) => {
    if (req.method === 'GET' && forbidden.test(req.url ?? '')) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403,
        message: 'pods is forbidden: refused by an admission policy' }));
      return;
    }
    const upstream = httpsRequest(new URL(req.url ?? '/', bench.cluster.endpoint), { method: req.method, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as { port: number }).port}`, server, agent };
}

/** 100 consecutive pods_list calls answered 403, one after another; the requests until the server is quiet again. */
async function storm(bench: Bench, n: number): Promise<Record<string, unknown>> {
  const role = ROLES[0];
  const proxy = await forbiddingProxy(bench, new RegExp(`^/api/v1/namespaces/${namespace(1)}/pods(\\?|$)`));
  const args = oursArgs(bench, role.binding, scope(n));
  args[args.indexOf('--endpoint') + 1] = proxy.url;
  const session = await connectCommand(process.execPath, [cliPath, ...args, '--refresh-interval', '0', '--forbidden-refresh-gap', String(FORBIDDEN_GAP_S)], oursEnv(bench));
  try {
    await session.client.listTools();
    const from = await bench.audit.mark();
    let forbidden = 0;
    const started = performance.now();
    for (let i = 0; i < STORM_CALLS; i++) {
      const result = await session.client.callTool({ name: 'pods_list', arguments: { namespace: namespace(1) } });
      if (result.isError && JSON.stringify(result.content).includes('HTTP 403')) forbidden += 1;
    }
    const callsMs = performance.now() - started;
    // The discoveries the calls started may come after them (one at the end of the 403 gap, default 10 s): wait past
    // the gap, then for 3 s without a request.
    await sleep(STORM_SETTLE_MS);
    let to = await bench.audit.mark();
    for (let quiet = 0; quiet < 3;) {
      const next = await bench.audit.mark(1000);
      quiet = next === to ? quiet + 1 : 0;
      to = next;
    }
    const events = bench.audit.between(from, to, role.user);
    return { namespaces: n, calls: STORM_CALLS, gapS: FORBIDDEN_GAP_S, forbidden, callsMs: Math.round(callsMs), requests: events.length, requestsByKind: describeRequests(events) };
  } finally {
    await session.close();
    proxy.server.close();
    proxy.agent.destroy();
  }
}

/** How the change is seen: with the access-policy list at the refresh interval, without it at the full refresh interval. */
const CHANGE_INTERVALS = { refresh: 5, full: 30 };

/**
 * How long an access policy associated with the role takes to show in the tool list: with the access-policy list
 * (read at every refresh), and without the permission to read it (seen by the full sweep of access reviews).
 */
async function changeSeen(bench: Bench, role: 'eks-mcp-live' | 'eks-mcp-live-blind'): Promise<Record<string, unknown>> {
  const args = [cliPath, ...eksArgs(bench.cluster, role, 'bench-change', namespace(1)),
    '--refresh-interval', String(CHANGE_INTERVALS.refresh), '--full-refresh-interval', String(CHANGE_INTERVALS.full)];
  const session = await connectCommand(process.execPath, args, oursEnv(bench));
  const principal = ['--principal-arn', bench.cluster.sts.roles[role]!];
  const policy = ['--policy-arn', 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy'];
  try {
    await session.client.listTools();
    let changed = false;
    await onToolsChanged(session.client, () => { changed = true; });
    const started = performance.now();
    platformAws(bench.cluster, ['associate-access-policy', ...principal, ...policy, '--access-scope', `type=namespace,namespaces=${namespace(1)}`]);
    await until('the tool list to follow the access policy', () => changed, 4 * CHANGE_INTERVALS.full * 1000);
    return { seenAfterS: Math.round((performance.now() - started) / 100) / 10, refreshIntervalS: CHANGE_INTERVALS.refresh, fullRefreshIntervalS: CHANGE_INTERVALS.full };
  } finally {
    await session.close();
    platformAws(bench.cluster, ['disassociate-access-policy', ...principal, ...policy]);
  }
}

export async function discovery(bench: Bench): Promise<void> {
  say(`discovery: requests and time at ${SCOPES.join(', ')} namespaces, per refresh at ${REFRESH_SCOPES.join(', ')}, ${STORM_CALLS} consecutive 403s`);
  seedScopes(bench);
  const out: Record<string, Record<string, unknown>> = { start: {}, refresh: {}, storm: {} };
  for (const role of ROLES) {
    const rows: Record<string, unknown> = {};
    for (const n of SCOPES) {
      rows[n] = await starts(bench, role, n);
      const r = rows[n] as { requests: number; toFirstToolsList: { median: number } };
      say(`  ${role.role}, ${n} namespaces: ${r.requests} requests at start, first tools/list ${r.toFirstToolsList.median} ms`);
    }
    out['start']![role.role] = rows;
  }
  for (const role of ROLES) {
    const rows: Record<string, unknown> = {};
    for (const n of REFRESH_SCOPES) {
      rows[n] = await refreshes(bench, role, n);
      say(`  ${role.role}, ${n} namespaces: ${(rows[n] as { perRefresh: number }).perRefresh} requests per refresh`);
    }
    out['refresh']![role.role] = rows;
  }
  for (const n of STORM_SCOPES) {
    out['storm']![n] = await storm(bench, n);
    say(`  ${STORM_CALLS} consecutive 403s at ${n} namespaces: ${(out['storm']![n] as { requests: number }).requests} requests`);
  }
  const change = { readable: await changeSeen(bench, 'eks-mcp-live'), unreadable: await changeSeen(bench, 'eks-mcp-live-blind') };
  say(`  an access policy associated: seen after ${change.readable['seenAfterS']} s with the list, ${change.unreadable['seenAfterS']} s without it`);
  bench.results['discovery'] = { ...out, accessPolicyChange: change, peer: 'none: kubernetes-mcp-server does no discovery (0 requests)' };
}
