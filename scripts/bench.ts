// `npm run bench`: this server against containers/kubernetes-mcp-server (the Go peer, from the npm package
// kubernetes-mcp-server-linux-amd64) on one local EKS-shaped control plane, in one run. Writes bench/results.json,
// the one record, and from it bench/results.md and the generated sections of README.md and docs/performance.md.
// Not part of `npm test`: nothing here is asserted, it is measured.
//
//   npm run bench                      a fresh control plane, the full plan
//   npm run bench -- --quick           fewer repetitions and 4,000 instead of 10,000 calls for memory
//   npm run bench -- --runs 3          every phase three times over, in turn: each judged row is judged on its median
//                                      run, and the record keeps every run (the tables show the last)
//   npm run bench -- --cluster FILE    reuse a running control plane (the ClusterInfo JSON of cluster:up)
//   npm run bench -- --only cold,toolslist,latency,memory,http,discovery   a subset of the phases (merged into the record)
//   npm run bench -- --report-only     regenerate the markdown from bench/results.json, measure nothing
//
// The phases are in scripts/bench/: each party holds the same Role (get/list pods, get pods/log in namespace
// `bench`) through the same IAM role (eks-mcp-agent), under its own STS session name, so that the API server's
// audit log tells their requests apart (scripts/bench/context.ts, USERS).
import './node24.ts';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster, type ClusterInfo } from '../test/cluster/cluster.ts';
import { AuditLog } from './bench/audit.ts';
import { FULL, PEER_BIN, QUICK, root, say, type Bench } from './bench/context.ts';
import { closeFloor } from './bench/floor.ts';
import { coldStart } from './bench/phases/cold.ts';
import { discovery } from './bench/phases/discovery.ts';
import { http } from './bench/phases/http.ts';
import { latency } from './bench/phases/latency.ts';
import { memory } from './bench/phases/memory.ts';
import { toolsList } from './bench/phases/tools-list.ts';
import { targets, writeReports } from './bench/report.ts';
import { seed } from './bench/seed.ts';
import { round2 } from './bench/stats.ts';
import { StsRelay, stsCertificate } from './bench/sts-relay.ts';
import { tokenizer } from './bench/tokens.ts';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cluster: { type: 'string' },
    only: { type: 'string' },
    runs: { type: 'string', default: '1' },
    'no-build': { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
  },
});
const record = join(root, 'bench', 'results.json');
const PHASES = { cold: coldStart, toolslist: toolsList, latency, memory, http, discovery } as const;
const chosen = (opts.only ?? Object.keys(PHASES).join(',')).split(',').map((s) => s.trim());
for (const p of chosen) if (!(p in PHASES)) throw new Error(`--only: unknown phase "${p}"; the phases are ${Object.keys(PHASES).join(', ')}`);
const runs = Number(opts.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 9) throw new Error(`--runs: "${opts.runs}" is not a whole number of runs from 1 to 9 (3 judges each row on its median run)`);

function machine(): Record<string, unknown> {
  const git = (args: string[]) => { try { return execFileSync('git', args, { cwd: root }).toString().trim(); } catch { return ''; } };
  const version = (pkg: string) => (JSON.parse(readFileSync(join(root, ...pkg.split('/'), 'package.json'), 'utf8')) as { version: string }).version;
  return {
    cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), platform: `${os.platform()}/${os.arch()}`,
    node: process.version, sdk: version('node_modules/@modelcontextprotocol/server'), loadAverageAtStart: os.loadavg().map(round2),
    ours: { version: version('.'), commit: git(['rev-parse', '--short', 'HEAD']), dirty: git(['status', '--porcelain', '--', 'src', 'tools', 'scripts/build.mjs']) !== '' },
    peer: { package: 'kubernetes-mcp-server-linux-amd64', version: execFileSync(PEER_BIN, ['--version']).toString().trim() },
  };
}

const previous = existsSync(record) ? JSON.parse(readFileSync(record, 'utf8')) as Record<string, unknown> : {};

function save(data: Record<string, unknown>): void {
  const full = { ...data, targets: targets(data) };
  writeFileSync(record, `${JSON.stringify(full, null, 2)}\n`);
  for (const file of writeReports(full)) say(`wrote ${file}`);
}

async function measure(): Promise<void> {
  const begun = Date.now();
  if (!opts['no-build']) execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
  let own: Cluster | undefined;
  let cluster: ClusterInfo;
  if (opts.cluster) {
    cluster = JSON.parse(readFileSync(opts.cluster, 'utf8')) as ClusterInfo;
    say(`reusing the control plane at ${cluster.endpoint}`);
  } else {
    say('starting a local control plane');
    cluster = own = await startCluster();
  }
  const workDir = join(cluster.dir, 'bench');
  mkdirSync(workDir, { recursive: true });
  const facts = machine();
  say(`load average at start: ${(facts['loadAverageAtStart'] as number[]).join(' ')}`);
  const bench: Bench = {
    plan: opts.quick ? QUICK : FULL, cluster, ca: readFileSync(cluster.caFile), workDir, audit: new AuditLog(cluster.auditLog),
    oursSts: await new StsRelay(cluster.sts.url).start(), peerExecSts: await new StsRelay(cluster.sts.url).start(stsCertificate(cluster)), results: {},
  };
  const date = new Date().toISOString();
  try {
    if (chosen.some((p) => p !== 'discovery')) await seed(bench); // the discovery phase makes its own namespaces
    await bench.audit.mark(0);
    const phaseRuns: Record<string, unknown> = { ...(previous['phaseRuns'] as object | undefined) };
    const perRun: Array<Record<string, unknown>> = [];
    for (let run = 1; run <= runs; run++) {
      if (runs > 1) say(`run ${run} of ${runs}`);
      bench.results = {};
      for (const phase of chosen) {
        const load = os.loadavg().map(round2);
        await PHASES[phase as keyof typeof PHASES](bench);
        const entry = { date: new Date().toISOString(), commit: (facts['ours'] as { commit: string }).commit, loadAverageBefore: load, loadAverageAfter: os.loadavg().map(round2) };
        phaseRuns[phase] = runs > 1 ? [...(run > 1 ? phaseRuns[phase] as object[] : []), entry] : entry;
      }
      perRun.push(bench.results);
    }
    // A partial run (--only) replaces its phases in the record and keeps the others (phaseRuns says when each was
    // measured, under what load). Several runs are kept whole in `runs`; a partial run merges into the earlier runs
    // only when it made as many, else they go (a row would be judged on runs of different plans).
    const partial = chosen.length < Object.keys(PHASES).length;
    const { notes: _notes, runs: earlier, ...kept } = previous as { notes?: unknown; runs?: Array<Record<string, unknown>> };
    const merged = runs > 1 ? perRun.map((r, i) => ({ ...(partial && earlier?.length === runs ? earlier[i] : {}), ...r })) : undefined;
    save({
      ...(partial ? kept : {}), date, quick: opts.quick, tokenizer, plan: bench.plan,
      machine: { ...facts, loadAverageAtEnd: os.loadavg().map(round2) }, ...bench.results,
      ...(merged ? { runs: merged } : {}), phaseRuns, runtimeSeconds: Math.round((Date.now() - begun) / 1000),
    });
  } finally {
    closeFloor();
    await bench.oursSts.stop();
    await bench.peerExecSts.stop();
    await own?.stop();
  }
}

if (opts['report-only']) save(previous);
else await measure();
