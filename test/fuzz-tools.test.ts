// Property-based fuzzing of every tool's input, at the tool gate (the input schema the MCP layer registers, then
// runTool), against the real API server. The agent is a user bound to a known Role in one namespace of a
// two-namespace scope; every request the client sends is recorded. For each generated call:
//   - nothing throws (the gate turns every failure into an answer) and there is no unhandled rejection;
//   - the answer is the schema's refusal, an isError result with a message, or a result valid for the tool's
//     output schema;
//   - every request sent is one the Role grants (besides access reviews and API discovery).
// Seeded: FUZZ_SEED=<n> replays a run; fast-check prints the seed and the counterexample on failure.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { z } from 'zod';
import { kubectl } from './cluster/cluster.ts';
import { gateCall, useCluster } from './helpers.ts';
import { KubeClient, type KubeRequest, type RawResponse } from '../src/kube/client.ts';
import { ApiResources } from '../src/kube/api-resources.ts';
import { discoverPermissions } from '../src/rbac/discovery.ts';
import { ruleAllows, type ResourceRule } from '../src/rbac/rules.ts';
import { cataloguePermissions, Offer } from '../src/policy/offer.ts';
import type { Tool } from '../src/tool.ts';
import { catalogue } from '../tools/index.ts';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const NS = 'fuzz';
const USER = 'eks-agent:fuzzer';
const ROLE: ResourceRule[] = [
  { apiGroups: [''], resources: ['pods', 'pods/log', 'configmaps', 'events'], verbs: ['get', 'list'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] },
  { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['patch'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['list'] },
];

const cluster = await useCluster();
const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-fuzz-'));
const apply = (o: unknown) => {
  const file = join(dir, 'object.json');
  writeFileSync(file, JSON.stringify(o));
  kubectl(cluster, ['apply', '-f', file]);
};
apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
after(() => kubectl(cluster, ['delete', 'namespace', NS, '--wait=false', '--ignore-not-found']));
apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'fuzzer', namespace: NS }, rules: ROLE });
apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'fuzzer', namespace: NS },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'fuzzer' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: USER }] });
apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } },
  template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } });

/** The admin token impersonating the agent's user: the API server authorizes every request as that user. */
const asAgent = {
  apply: async (o: { headers?: unknown }) => void (o.headers = { ...(o.headers as object), authorization: `Bearer ${cluster.adminToken}`, 'impersonate-user': USER }),
};

interface Sent { method: string; path: string }
class RecordingClient extends KubeClient {
  readonly sent: Sent[] = [];
  override async raw(req: KubeRequest): Promise<RawResponse> {
    this.sent.push({ method: req.method ?? 'GET', path: req.path });
    return super.raw(req);
  }
  override async websocket(path: string, query: KubeRequest['query'], protocols: string[]) {
    this.sent.push({ method: 'POST', path });
    return super.websocket(path, query, protocols);
  }
}

/** Whether the Role grants the request, read from its path as the API server's request-info does. */
function granted({ method, path }: Sent): boolean {
  // Discovery, and the self-reviews every authenticated user may send (system:basic-user): whoami, can_i, the gate's own.
  if (/^\/(api|apis|version)\/?$/.test(path) || /^\/apis\/(authorization|authentication)\.k8s\.io\/v1\/self\w+reviews$/.test(path)) return true;
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(path);
  if (!m) return false; // cluster-scoped: the Role grants nothing there
  const [, group = '', namespace, resource, name, subresource] = m;
  if (namespace !== NS) return false;
  const verb = method === 'GET' ? (name ? 'get' : 'list') : method === 'DELETE' ? 'delete' : method === 'PATCH' ? 'patch' : method === 'PUT' ? 'update' : 'create';
  return ROLE.some((rule) => ruleAllows(rule, { verb, group, resource: resource!, subresource, name }));
}

const interesting = fc.oneof(
  fc.constantFrom(NS, 'team-a', 'kube-system', 'default', '', ' ', 'web', 'pods', 'secrets', 'deployments.apps', 'Deployment', 'po',
    'get', 'list', 'delete', '*', '../..', '%2e%2e', 'web/../../x', 'a'.repeat(300), '\u202Erm -rf', 'x\u0000y', 'app=web', 'metadata.name=web',
    'ingresses.networking.k8s.io', 'pods/log', 'nodes', 'namespaces'),
  fc.integer({ min: -5, max: 2_000_000 }), fc.constantFrom(0, 1, -1, 1e308, Number.MAX_SAFE_INTEGER, 0.5),
  fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 }), fc.string({ maxLength: 40 }), fc.anything({ maxDepth: 2 }),
);

const tools = catalogue;
const args = (tool: Tool) => {
  const keys = [...new Set([...Object.keys(tool.arguments({}).schema.shape), 'namespace', 'name', 'confirm'])];
  return fc.oneof(
    { weight: 4, arbitrary: fc.dictionary(fc.constantFrom(...keys), interesting, { maxKeys: keys.length }) },
    { weight: 1, arbitrary: fc.object({ maxDepth: 2 }) },
  );
};
const call = fc.constantFrom(...tools.map((t) => t.name)).chain((name) => fc.tuple(fc.constant(name), args(tools.find((t) => t.name === name)!)));

test(`every tool's input, fuzzed (${RUNS} calls, seed ${SEED}): no crash, a clear answer, and no request the role does not grant`, { timeout: 30 * 60_000 }, async (t) => {
  t.diagnostic(`seed ${SEED}: FUZZ_SEED=${SEED} replays this run`);
  const kube = new RecordingClient(cluster.endpoint, readFileSync(cluster.caFile), asAgent);
  const permissions = await discoverPermissions(kube, [NS, 'team-a'], cataloguePermissions(catalogue));
  // A client that cannot ask its user, under --confirm-by-argument: every tool the role allows is offered to it.
  const apiResources = new ApiResources(kube);
  const offer = new Offer(catalogue, permissions, await apiResources.kinds(), { readOnly: false, confirmByArgument: true });
  const caller = { canAsk: false };
  const advertised = new Map(offer.tools(caller).map((ad) => [ad.tool.name, ad]));
  assert.ok(advertised.has('pods_delete') && advertised.has('deployments_scale') && !advertised.has('pods_exec') && !advertised.has('nodes_list'), [...advertised.keys()].join());
  const ctx = { kube, permissions, apiResources, signal: new AbortController().signal, now: () => new Date() };
  const log = pino({ level: 'silent' });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  let requests = 0;
  let called = 0;
  try {
    await fc.assert(fc.asyncProperty(call, async ([toolName, input]) => {
      const tool = tools.find((t) => t.name === toolName)!;
      const ad = advertised.get(tool.name);
      const schema = ad ? offer.inputSchema(ad, caller) : tool.arguments({}).schema;
      const parsed = schema.safeParse(input);
      if (!parsed.success) {
        assert.ok(parsed.error.issues.length > 0 && parsed.error.issues.every((i) => i.message.length > 0), 'a refused input says why');
        return;
      }
      const before = kube.sent.length;
      const result = await gateCall(tool, parsed.data as Record<string, unknown>, ctx, log);
      called += 1;
      const sent = kube.sent.slice(before);
      requests += sent.length;
      const stray = sent.filter((s) => !granted(s));
      assert.deepEqual(stray, [], `${tool.name}(${JSON.stringify(parsed.data)}) sent a request the role does not grant`);
      if (!ad) assert.equal(result.isError, true, `${tool.name} is not advertised: it must be refused`);
      if (result.isError) {
        assert.ok(result.text.trim().length > 10, `a clear message: ${result.text}`);
      } else {
        assert.ok(z.object(tool.output).safeParse(result.structured).success, `${tool.name}: the result matches its output schema`);
      }
    }), { numRuns: RUNS, seed: SEED, endOnFailure: true });
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, [], 'no unhandled rejection');
  t.diagnostic(`${RUNS} generated calls: ${called} passed the schema and reached the gate, ${requests} requests sent, all granted`);
  assert.ok(called > RUNS / 20, `enough calls reach the gate (${called})`);
});
