// `npm run cluster:up` / `cluster:down`: one local control plane for people (the demo, kubectl, the
// MCP Inspector), held by a background process; its children die with it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBinaries, startCluster, type ClusterInfo } from './cluster.ts';
import { waitFor } from '../wait.ts';

export const stateDir = join(process.env['EKS_MCP_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'eks-mcp'), 'local-cluster');
const infoFile = join(stateDir, 'cluster.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The running local cluster, if any. */
export function runningCluster(): ClusterInfo | undefined {
  if (!existsSync(infoFile)) return undefined;
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as ClusterInfo;
  return alive(info.pid) ? info : undefined;
}

export async function up(): Promise<ClusterInfo> {
  const running = runningCluster();
  if (running) return running;
  buildBinaries(); // here, not in the background holder: the build's progress belongs on this terminal
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const log = openSync(join(stateDir, 'holder.log'), 'a');
  const holder = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'hold'], {
    detached: true, stdio: ['ignore', log, log],
  });
  holder.unref();
  return waitFor('the control plane', () => {
    if (holder.exitCode !== null || !alive(holder.pid!)) throw new Error(`the control plane failed to start: see ${join(stateDir, 'holder.log')}`);
    return runningCluster();
  }, 15 * 60_000, { everyMs: 250 }); // the first run builds the binaries
}

export async function down(): Promise<boolean> {
  const info = runningCluster();
  if (!info) return false;
  process.kill(info.pid, 'SIGTERM');
  await waitFor('the control plane to stop', () => (alive(info.pid) ? undefined : true), 120_000, { everyMs: 100 });
  return true;
}

async function hold(): Promise<void> {
  const cluster = await startCluster({ dir: stateDir });
  const stop = async () => {
    await cluster.stop();
    rmSync(infoFile, { force: true });
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  setInterval(() => undefined, 1 << 30); // hold until told to stop
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  if (command === 'hold') await hold();
  else if (command === 'up') {
    const info = await up();
    process.stdout.write(`local EKS-shaped control plane up at ${info.endpoint}\n`
      + `  kubectl --kubeconfig ${info.adminKubeconfig} get pods -A\n`
      + `  STS (moto): ${info.sts.url}   cluster: ${info.clusterName} (${info.region})\n`
      + '  stop it with: npm run cluster:down\n');
  } else if (command === 'down') {
    process.stdout.write((await down()) ? 'local control plane stopped\n' : 'no local control plane was running\n');
  } else {
    process.stderr.write('usage: cluster up|down\n');
    process.exitCode = 2;
  }
}
