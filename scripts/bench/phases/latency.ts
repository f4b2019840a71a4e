// Tool-call latency and output size: both servers over stdio, the raw requests and the MCP floor, interleaved.
import { USERS, say, type Bench } from '../context.ts';
import { describeRequests, isReview } from '../audit.ts';
import { measured, scenarios, type Answer, type Measured, type Runner } from '../scenarios.ts';
import { open } from '../servers.ts';
import { round2, stats, type Stats } from '../stats.ts';
import type { Raw } from '../floor.ts';

/**
 * The order of the runners in each round: shuffled (with a fixed seed, so that runs are comparable), not rotated.
 * A rotation keeps each runner behind the same neighbour: our 2,000-pod list ran right after the plain JSON list of
 * 2,000 pods (the heaviest runner) in 10 of its 12 samples, and a call right after that one is slow: p50 ~50-70 ms
 * against ~33 ms after the others (3 runs, load ~10), while the raw Table request after it was not slowed.
 */
function interleaving(n: number): () => number[] {
  let seed = 0x2545f491;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return () => {
    const order = Array.from({ length: n }, (_, k) => k);
    for (let k = n - 1; k > 0; k--) {
      const r = Math.floor(random() * (k + 1));
      [order[k], order[r]] = [order[r]!, order[k]!];
    }
    return order;
  };
}

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
      const order = interleaving(names.length);
      for (let i = 0; i < warm + reps; i++) {
        const round = order();
        for (let j = 0; j < names.length; j++) {
          const who = names[round[j]!]!;
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
