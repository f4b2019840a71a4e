// A burst of calls cannot make the server hold unbounded output for one principal. At most
// MAX_IN_FLIGHT.principal of its calls run at once (the API server's own audit log is the witness: its exec requests
// never overlap more than that); the rest wait their turn and then succeed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { kubectl } from './cluster/cluster.ts';
import { auditMark, connectServer, eksArgs, hostEnv, useCluster, waitFor } from './helpers.ts';
import { MAX_IN_FLIGHT } from '../src/policy/limits.ts';

const cluster = await useCluster();
const USER = 'eks-agent:wildcard';

/** The completed exec requests of the user since the mark, as [received, completed] in ms. */
function execIntervals(since: number): Array<[number, number]> {
  return readFileSync(cluster.auditLog).subarray(since).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.user?.username === USER && e.objectRef?.subresource === 'exec' && e.stage === 'ResponseComplete')
    .map((e) => [Date.parse(e.requestReceivedTimestamp), Date.parse(e.stageTimestamp)] as [number, number]);
}

function mostAtOnce(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([a, b]) => [[a, 1], [b, -1]] as Array<[number, number]>).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, (now += step));
  return most;
}

test(`a burst of ${3 * MAX_IN_FLIGHT.principal} calls: at most ${MAX_IN_FLIGHT.principal} run at once, the rest wait their turn, none fails`, async () => {
  const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'wildcard', 'team-a'), '--accept-broad-role', 'test fixture: a namespace admin'],
    hostEnv(cluster), { elicit: () => ({ action: 'accept', content: { confirm: true } }) });
  try {
    const pod = kubectl(cluster, ['get', 'pods', '-n', 'team-a', '-l', 'app=api', '-o', 'jsonpath={.items[0].metadata.name}']);
    const mark = auditMark(cluster);
    const burst = 3 * MAX_IN_FLIGHT.principal;
    const results = await Promise.all(Array.from({ length: burst }, () =>
      session.client.callTool({ name: 'pods_exec', arguments: { namespace: 'team-a', name: pod, command: ['sleep', '1'] } }) as Promise<CallToolResult>));
    assert.deepEqual(results.filter((r) => r.isError).map((r) => JSON.stringify(r.content)), [], 'every call ran, in its turn');
    const intervals = await waitFor('every exec in the audit log', () => {
      const seen = execIntervals(mark);
      return seen.length >= burst ? seen : undefined;
    });
    const most = mostAtOnce(intervals);
    assert.ok(most <= MAX_IN_FLIGHT.principal && most > 1, `${most} execs at once`);
  } finally {
    await session.close();
  }
});
