// What every phase of the benchmark shares: the plan, the control plane, the witnesses (audit log, STS relays), and
// the results being gathered. Set up once by scripts/bench.ts.
import { join } from 'node:path';
import type { ClusterInfo } from '../../test/cluster/cluster.ts';
import type { AuditLog } from './audit.ts';
import type { StsRelay } from './sts-relay.ts';

export const root = join(import.meta.dirname, '..', '..');
export const PEER_BIN = join(root, 'node_modules', 'kubernetes-mcp-server-linux-amd64', 'bin', 'kubernetes-mcp-server-linux-amd64');
export const NS = 'bench';
export const SETS = { p10: 10, p200: 200, p2000: 2000 } as const;
export type SetName = keyof typeof SETS;
/** One STS session name (so one Kubernetes user) per party, so that the audit log tells their requests apart. */
export const USERS = {
  ours: 'eks-agent:bench-reader', editor: 'eks-agent:bench-editor', peer: 'eks-agent:bench-peer', floor: 'eks-agent:bench-floor',
} as const;
/** A pod of the p10 set: the single get and the log. */
export const POD = 'p10-0';

export interface Plan {
  cold: number; warm: number; reps: number; bigWarm: number; bigReps: number;
  memCalls: number; memEvery: number; memConcurrency: number;
  httpSessions: number; httpSessionCalls: number; httpSampleEvery: number;
  httpSeconds: number; httpRounds: number; concurrency: number[];
  /** Starts per scope and role in the discovery phase (after one warm-up). */
  discoveryStarts: number;
}

export const FULL: Plan = {
  cold: 9, warm: 5, reps: 40, bigWarm: 2, bigReps: 30, memCalls: 10_000, memEvery: 1_000, memConcurrency: 4,
  httpSessions: 50, httpSessionCalls: 100, httpSampleEvery: 5, httpSeconds: 4, httpRounds: 2, concurrency: [1, 10, 50],
  discoveryStarts: 5,
};
/** Fewer repetitions, yet at least 10 memory samples, so that second-half growth is still judged. */
export const QUICK: Plan = {
  cold: 3, warm: 2, reps: 10, bigWarm: 1, bigReps: 4, memCalls: 4_000, memEvery: 400, memConcurrency: 4,
  httpSessions: 50, httpSessionCalls: 40, httpSampleEvery: 5, httpSeconds: 2, httpRounds: 2, concurrency: [1, 10, 50],
  discoveryStarts: 2,
};

export interface Bench {
  plan: Plan;
  cluster: ClusterInfo;
  ca: Buffer;
  /** Kubeconfigs and token files of this run. */
  workDir: string;
  audit: AuditLog;
  /** Counting relays in front of moto: our server's STS, and the peer's exec credential's. */
  oursSts: StsRelay;
  peerExecSts: StsRelay;
  results: Record<string, unknown>;
}

export const say = (text: string) => process.stderr.write(`bench: ${text}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
