// Hardening #1: a burst of calls cannot make the server hold unbounded output for one principal. Calls beyond the
// principal's cap are refused before any request, so the output held at once is bounded by the cap times each
// call's own bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { kubectl } from './cluster/cluster.ts';
import { apiRequests, auditMark, connectServer, eksArgs, hostEnv, useCluster, waitFor } from './helpers.ts';
import { MAX_IN_FLIGHT } from '../src/policy/limits.ts';

const cluster = await useCluster();

test(`at most ${MAX_IN_FLIGHT.principal} calls in flight per principal: the rest are refused before any request`, async () => {
  const session = await connectServer([...eksArgs(cluster, 'eks-mcp-agent', 'wildcard', 'team-a'), '--accept-broad-role', 'test fixture: a namespace admin'],
    hostEnv(cluster), { elicit: () => ({ action: 'accept', content: { confirm: true } }) });
  try {
    const pod = kubectl(cluster, ['get', 'pods', '-n', 'team-a', '-l', 'app=api', '-o', 'jsonpath={.items[0].metadata.name}']);
    // How many audit events one exec leaves (the upgrade and its end may both be logged): counted, not assumed.
    const alone = auditMark(cluster);
    const exec = { name: 'pods_exec', arguments: { namespace: 'team-a', name: pod, command: ['true'] } };
    assert.ok(!((await session.client.callTool(exec)) as CallToolResult).isError);
    const perCall = (await waitFor('one exec in the audit log', () => {
      const sent = apiRequests(cluster, 'eks-agent:wildcard', alone).filter((r) => r.subresource === 'exec');
      return sent.length > 0 ? sent : undefined;
    })).length;
    const mark = auditMark(cluster);
    const burst = 3 * MAX_IN_FLIGHT.principal;
    const results = await Promise.all(Array.from({ length: burst }, () =>
      session.client.callTool({ name: 'pods_exec', arguments: { namespace: 'team-a', name: pod, command: ['sleep', '2'] } }) as Promise<CallToolResult>));
    const refused = results.filter((r) => r.isError && /Too many calls in flight for this principal \(at most \d+ at once\): nothing was sent/.test(JSON.stringify(r.content)));
    const ran = results.filter((r) => !r.isError);
    assert.ok(ran.length >= 1 && ran.length <= MAX_IN_FLIGHT.principal, `${ran.length} ran`);
    assert.equal(refused.length + ran.length, burst, JSON.stringify(results.filter((r) => r.isError && !refused.includes(r))));
    const execs = await waitFor('the execs that ran, in the audit log', () => {
      const sent = apiRequests(cluster, 'eks-agent:wildcard', mark).filter((r) => r.subresource === 'exec');
      return sent.length >= ran.length * perCall ? sent : undefined;
    });
    assert.equal(execs.length, ran.length * perCall, 'a refused call sent nothing');
  } finally {
    await session.close();
  }
});
