// Cold start: process spawn to the first answer of any kind, and to the first tools/list answered, for our server
// in both eras and for the peer with a static token and with an exec credential (its EKS setup). Interleaved.
import { USERS, say, type Bench } from '../context.ts';
import { describeRequests } from '../audit.ts';
import { LABEL, open, type Kind } from '../servers.ts';
import { stats } from '../stats.ts';

const KINDS: Kind[] = ['ours', 'ours-2025', 'peer', 'peer-exec'];

export async function coldStart(bench: Bench): Promise<void> {
  const { plan, audit } = bench;
  say(`cold start: ${plan.cold} runs each after one warm-up, interleaved`);
  const samples = Object.fromEntries(KINDS.map((k) => [k, { toolsList: [] as number[], first: [] as number[] }]));
  const facts: Record<string, Record<string, unknown>> = {};
  for (let i = 0; i <= plan.cold; i++) {
    for (const kind of i % 2 ? [...KINDS].reverse() : KINDS) {
      const sts = kind === 'peer-exec' ? bench.peerExecSts : bench.oursSts;
      const stsBefore = sts.assumeRole;
      const from = await audit.mark(0);
      const s = await open(bench, kind);
      await s.close();
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
        const ready = s.stderr().split('\n').find((l) => l.includes('"msg":"ready"'));
        if (ready) facts[kind]['selfReported'] = { discoveryRequests: JSON.parse(ready).discoveryRequests, startupMs: JSON.parse(ready).startupMs };
      }
    }
  }
  bench.results['coldStart'] = Object.fromEntries(KINDS.map((k) => [k, {
    label: LABEL[k], firstAnswer: stats(samples[k]!.first), toFirstToolsList: stats(samples[k]!.toolsList), ...facts[k],
  }]));
  for (const k of KINDS) say(`  ${LABEL[k]}: first answer ${stats(samples[k]!.first).median} ms, tools/list ${stats(samples[k]!.toolsList).median} ms`);
}
