import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { Connection } from '../../src/connection.ts';
import { KubeResponseTally, createMetrics, methodLabel, toolLabel } from '../../src/server/metrics.ts';
import { publishRound } from '../../src/server/discovery.ts';

test('labels stay bounded: unknown tools and methods collapse', () => {
  const known = new Set(['pods_list']);
  assert.equal(toolLabel('pods_list', known), 'pods_list');
  assert.equal(toolLabel('drop_database; --', known), 'unknown');
  assert.equal(methodLabel('get'), 'GET');
  assert.equal(methodLabel('BREW'), 'other');
  assert.equal(methodLabel(undefined), 'other');
});

test('API responses wait until the endpoint is known; then only its host counts', () => {
  const seen: string[] = [];
  const tally = new KubeResponseTally((r) => seen.push(`${r.method} ${r.code}`));
  tally.observe('sts.us-east-1.amazonaws.com', { method: 'POST', code: '200', seconds: 0 });
  tally.observe('k8s.example.com', { method: 'POST', code: '201', seconds: 0 });
  assert.deepEqual(seen, []);
  tally.adopt('k8s.example.com');
  assert.deepEqual(seen, ['POST 201']);
  tally.observe('k8s.example.com', { method: 'GET', code: '403', seconds: 0 });
  tally.observe('sts.us-east-1.amazonaws.com', { method: 'POST', code: '200', seconds: 0 });
  assert.deepEqual(seen, ['POST 201', 'GET 403']);
});

test('tool calls, sessions and the connection\'s HTTP responses reach the exposition; nothing else is labelled', async () => {
  const api = createServer((req, res) => res.writeHead(req.url === '/forbidden' ? 403 : 200).end('{}'));
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
  const metrics = createMetrics({ toolNames: ['pods_list'], activeSessions: () => 7 });
  try {
    metrics.toolCall('pods_list', 'ok', 200, 25);
    metrics.toolCall('no_such_tool', 'not-offered', 403, 0);
    metrics.rejected('forbidden-origin');
    metrics.httpRequest('mcp', 'POST', 401, 0.001);
    const get = (path: string) => new Promise<void>((resolve) => request(`${endpoint}${path}`, (res) => res.resume().on('end', resolve)).end());
    await get('/api/v1/namespaces/team-a/pods');
    metrics.watch({ kube: { endpoint }, summary: {} } as unknown as Connection);
    await get('/forbidden');
    const text = await metrics.render();
    assert.match(text, /^eks_rbac_mcp_tool_calls_total\{tool="pods_list",outcome="ok"\} 1$/m);
    assert.match(text, /^eks_rbac_mcp_tool_calls_total\{tool="unknown",outcome="not-offered"\} 1$/m);
    assert.match(text, /^eks_rbac_mcp_tool_call_duration_seconds_sum\{tool="pods_list"\} 0\.025$/m);
    assert.doesNotMatch(text, /tool_call_duration_seconds_count\{tool="unknown"\}/, 'a call refused before any work has no latency');
    assert.match(text, /^eks_rbac_mcp_kubernetes_api_responses_total\{method="GET",code="200"\} 1$/m, 'before watch: buffered');
    assert.match(text, /^eks_rbac_mcp_kubernetes_api_responses_total\{method="GET",code="403"\} 1$/m, 'after watch');
    assert.match(text, /^eks_rbac_mcp_active_sessions 7$/m);
    assert.match(text, /^eks_rbac_mcp_http_rejections_total\{reason="forbidden-origin"\} 1$/m);
    assert.match(text, /^eks_rbac_mcp_http_requests_total\{route="mcp",method="POST",code="401"\} 1$/m);
    assert.doesNotMatch(text, /team-a|\/api\/v1|no_such_tool/);
  } finally {
    metrics.close();
    api.close();
  }
});

test('discovery rounds reach the exposition: requests by kind and trigger, rounds by tier, their duration', async () => {
  const metrics = createMetrics({ toolNames: [], activeSessions: () => 0 });
  try {
    publishRound({ trigger: 'start', tier: 'full', requests: { selfsubjectrulesreviews: 31, 'eks:ListAssociatedAccessPolicies': 1 }, seconds: 0.2, changed: true });
    publishRound({ trigger: 'interval', tier: 'signals', requests: { selfsubjectrulesreviews: 31, selfsubjectaccessreviews: 2 }, seconds: 0.05, changed: false });
    publishRound({ trigger: 'interval', tier: 'signals', requests: { selfsubjectrulesreviews: 31 }, seconds: 0.05, changed: false });
    const text = await metrics.render();
    assert.match(text, /^eks_rbac_mcp_discovery_requests_total\{kind="selfsubjectrulesreviews",trigger="interval"\} 62$/m);
    assert.match(text, /^eks_rbac_mcp_discovery_requests_total\{kind="eks:ListAssociatedAccessPolicies",trigger="start"\} 1$/m);
    assert.match(text, /^eks_rbac_mcp_permission_refreshes_total\{trigger="interval",tier="signals",changed="false"\} 2$/m);
    assert.match(text, /^eks_rbac_mcp_permission_refresh_duration_seconds_count\{tier="full"\} 1$/m);
  } finally {
    metrics.close();
  }
  publishRound({ trigger: 'forbidden', tier: 'full', requests: { selfsubjectrulesreviews: 1 }, seconds: 0, changed: false }); // no subscriber: nothing throws
});
