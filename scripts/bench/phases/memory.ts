// Resident memory: across 10,000 stdio calls (get, log, list of 10, in turn), and across 50 HTTP sessions opened,
// used and closed, for both servers; and our HTTP server's sessions again in the shipped Deployment's memory limit.
// RSS is sampled at least 10 times; second-half growth is judged from them.
import type { Client } from '@modelcontextprotocol/client';
import { join } from 'node:path';
import { NS, POD, USERS, root, say, sleep, type Bench } from '../context.ts';
import { isReview } from '../audit.ts';
import { callTool, LABEL, open, peerClient, type Kind } from '../servers.ts';
import { mib, round2, rssKiB, secondHalfGrowthKiB } from '../stats.ts';
import { connectHttp } from '../../../test/helpers.ts';
import { startServers, type RunningServer } from './http.ts';
import { deploymentMemoryLimit, memoryCgroup } from '../memory-limit.ts';

type Call = [string, Record<string, unknown>];
const callsOf = (kind: 'ours' | 'peer'): Call[] => [
  ['pods_get', { namespace: NS, name: POD }], ['pods_log', { namespace: NS, name: POD, tail: 100 }],
  kind === 'ours' ? ['pods_list', { namespace: NS, labelSelector: 'bench-set=p10' }] : ['pods_list_in_namespace', { namespace: NS, labelSelector: 'bench-set=p10' }],
];

interface Sample { at: number; rssKiB: number }

const DEPLOYMENT = join(root, 'manifests', 'deploy', 'deployment.yaml');

function summary(samples: Sample[]) {
  return {
    afterStartMiB: mib(samples[0]!.rssKiB), afterCallsMiB: mib(samples[samples.length - 1]!.rssKiB),
    peakMiB: mib(Math.max(...samples.map((s) => s.rssKiB))),
    growthMiB: mib(samples[samples.length - 1]!.rssKiB - samples[0]!.rssKiB), secondHalfGrowthMiB: mib(secondHalfGrowthKiB(samples)),
    samples: samples.map((x) => ({ at: x.at, rssMiB: mib(x.rssKiB) })),
  };
}

/** Runs the calls with some in flight at once; counts errors rather than stopping. */
async function drive(client: Client, calls: Call[], count: number, concurrency: number, onDone: (done: number) => void): Promise<number> {
  let issued = 0;
  let done = 0;
  let errors = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (issued < count) {
      const [name, args] = calls[issued++ % calls.length]!;
      try { await callTool(client, name, args); } catch { errors += 1; }
      done += 1;
      onDone(done);
    }
  }));
  return errors;
}

async function stdioMemory(bench: Bench): Promise<Record<string, unknown>> {
  const { plan, audit } = bench;
  const out: Record<string, unknown> = {};
  for (const kind of ['ours', 'peer'] as Kind[]) {
    const s = await open(bench, kind);
    try {
      await sleep(1000);
      const samples: Sample[] = [{ at: 0, rssKiB: rssKiB(s.pid) }];
      const stsBefore = bench.oursSts.assumeRole;
      const from = await audit.mark(0);
      const started = performance.now();
      const errors = await drive(s.client, callsOf(kind === 'ours' ? 'ours' : 'peer'), plan.memCalls, plan.memConcurrency, (done) => {
        if (done % plan.memEvery === 0) samples.push({ at: done, rssKiB: rssKiB(s.pid) });
      });
      const seconds = (performance.now() - started) / 1000;
      const to = await audit.mark();
      out[kind] = {
        label: LABEL[kind], calls: plan.memCalls, errors, callsPerSecond: Math.round(plan.memCalls / seconds), ...summary(samples),
        apiRequestsPerCall: round2(audit.between(from, to, kind === 'ours' ? USERS.ours : USERS.peer).filter((e) => kind !== 'ours' || !isReview(e)).length / plan.memCalls),
        ...(kind === 'ours' ? { backgroundReviews: audit.between(from, to, USERS.ours).filter(isReview).length, stsAssumeRole: bench.oursSts.assumeRole - stsBefore } : {}),
      };
      say(`  ${LABEL[kind]} (stdio): ${mib(samples[0]!.rssKiB)} → ${mib(samples[samples.length - 1]!.rssKiB)} MiB over ${plan.memCalls} calls (${errors} errors)`);
    } finally {
      await s.close();
    }
  }
  return out;
}

/** Sessions opened, used and closed one after another (2025 sessions on ours: each holds a server while open). */
async function sessionsRss(bench: Bench, server: RunningServer): Promise<Record<string, unknown>> {
  const { plan } = bench;
  const ours = server.kind === 'ours';
  await sleep(1000);
  const samples: Sample[] = [{ at: 0, rssKiB: rssKiB(server.pid) }];
  let errors = 0;
  for (let i = 1; i <= plan.httpSessions; i++) {
    const session = await connectHttp(server.url, ours ? { era: '2025-11-25' } : { client: peerClient() });
    errors += await drive(session.client, callsOf(ours ? 'ours' : 'peer'), plan.httpSessionCalls, 1, () => undefined);
    await session.close();
    if (i % plan.httpSampleEvery === 0) samples.push({ at: i, rssKiB: rssKiB(server.pid) });
  }
  say(`  ${server.label} (HTTP): ${mib(samples[0]!.rssKiB)} → ${mib(samples[samples.length - 1]!.rssKiB)} MiB over ${plan.httpSessions} sessions (${errors} errors)`);
  return { label: server.label, sessions: plan.httpSessions, callsPerSession: plan.httpSessionCalls, errors, ...summary(samples) };
}

async function httpMemory(bench: Bench): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const servers = await startServers(bench, ['ours', 'peer']);
  try {
    for (const server of servers) out[server.kind] = await sessionsRss(bench, server);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  out['oursInLimit'] = await inDeploymentLimit(bench);
  return out;
}

const notMeasured = (label: string, why: string) => {
  say(`  ${label}: not measured, ${why}`);
  return { label, notMeasured: why };
};

/** The judged HTTP row: what a replica uses in its pod, where Node sizes its heap from the Deployment's memory limit. */
async function inDeploymentLimit(bench: Bench): Promise<Record<string, unknown>> {
  const limit = deploymentMemoryLimit(DEPLOYMENT);
  const label = `eks-rbac-mcp in the Deployment's memory limit (${mib(limit / 1024)} MiB)`;
  const cgroup = memoryCgroup(limit);
  if (typeof cgroup === 'string') return notMeasured(label, cgroup);
  try {
    const started = await startServers(bench, ['ours'], cgroup.wrap).catch((error: Error) => error);
    if (started instanceof Error) return notMeasured(label, `the server did not start in the cgroup: ${started.message.split('\n')[0]}`);
    const [server] = started as [RunningServer];
    try {
      return { ...await sessionsRss(bench, { ...server, label }), limitMiB: mib(limit / 1024) };
    } finally {
      await server.stop();
    }
  } finally {
    const left = cgroup.remove();
    if (left) say(`  ${left}`);
  }
}

export async function memory(bench: Bench): Promise<void> {
  const { plan } = bench;
  say(`memory: RSS across ${plan.memCalls.toLocaleString('en-US')} stdio calls and ${plan.httpSessions} HTTP sessions`);
  bench.results['memory'] = { stdio: await stdioMemory(bench), http: await httpMemory(bench) };
}
