// Tool-call latency and output size: both servers over stdio, the raw requests and the MCP floor, interleaved.
import { USERS, say, type Bench } from '../context.ts';
import { describeRequests, isReview } from '../audit.ts';
import { measured, scenarios, type Answer, type Measured, type Runner } from '../scenarios.ts';
import { open } from '../servers.ts';
import { round2, stats, type Stats } from '../stats.ts';
import type { Raw } from '../floor.ts';

const ratio = (a: Stats, b: Stats | undefined) => (b ? { median: round2(a.median / b.median), p95: round2(a.p95 / b.p95) } : undefined);

export async function latency(bench: Bench): Promise<void> {
  const { plan, audit } = bench;
  say('tool-call latency and output size: both servers, the raw requests and the MCP floor, interleaved');
  const ours = await open(bench, 'ours');
  const peer = await open(bench, 'peer');
  const out: Record<string, unknown> = {};
  try {
    for (const sc of scenarios(bench)) {
      const warm = sc.big ? plan.bigWarm : plan.warm;
      const reps = sc.big ? plan.bigReps : plan.reps;
      const runners: Record<string, Runner> = {
        ours: sc.ours(ours), peer: sc.peer(peer),
        ...(sc.floorOurs ? { floorOurs: sc.floorOurs } : {}), ...(sc.floorPeer ? { floorPeer: sc.floorPeer } : {}), ...(sc.floorJson ? { floorJson: sc.floorJson } : {}),
      };
      const names = Object.keys(runners);
      const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
      const last: Record<string, Measured | Raw> = {};
      const stsBefore = bench.oursSts.assumeRole;
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
      // Reviews (selfsubject*) in the window are the periodic re-discovery, not the calls: counted apart
      // (the peer's own reviews are per call: an access review before each list, so they count for it).
      const perAnswer = (user: string) => audit.between(from, to, user).filter((e) => user !== USERS.ours || !isReview(e)).length / iterations;
      const ms = Object.fromEntries(names.map((n) => [n, stats(times[n]!)])) as Record<string, Stats>;
      const oursAnswer = measured(last['ours']!) as Answer;
      const calls = oursAnswer.calls;
      out[sc.id] = {
        label: sc.label,
        ms,
        ratio: {
          oursOverItsFloor: ratio(ms['ours']!, ms['floorOurs']), peerOverItsFloor: ratio(ms['peer']!, ms['floorPeer']),
          oursOverPeer: ratio(ms['ours']!, ms['peer']), oursOverJsonList: ratio(ms['ours']!, ms['floorJson']),
        },
        output: {
          ours: oursAnswer, peer: measured(last['peer']!),
          ...(last['floorOurs'] ? { floorOursBytes: (last['floorOurs'] as Raw).bytes } : {}), ...(last['floorPeer'] ? { floorPeerBytes: (last['floorPeer'] as Raw).bytes } : {}),
          ...(last['floorJson'] ? { floorJsonBytes: (last['floorJson'] as Raw).bytes } : {}),
        },
        apiRequests: {
          oursPerAnswer: round2(perAnswer(USERS.ours)), oursPerToolCall: round2(perAnswer(USERS.ours) / calls),
          peerPerAnswer: round2(perAnswer(USERS.peer)), floorPerAnswer: round2(perAnswer(USERS.floor)),
          oursBackgroundReviews: audit.between(from, to, USERS.ours).filter(isReview).length,
          oursByKind: describeRequests(audit.between(from, to, USERS.ours)), peerByKind: describeRequests(audit.between(from, to, USERS.peer)),
        },
        stsAssumeRolePerToolCall: (bench.oursSts.assumeRole - stsBefore) / (iterations * calls),
      };
      say(`  ${sc.label}: ours ${ms['ours']!.median} ms, peer ${ms['peer']!.median} ms${ms['floorOurs'] ? `, raw ${ms['floorOurs'].median}/${ms['floorPeer']?.median} ms` : ''}`);
    }
  } finally {
    await ours.close();
    await peer.close();
  }
  bench.results['latency'] = out;
}
