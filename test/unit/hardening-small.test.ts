// Small defects in discovery and exec, each first shown failing: a discovery entry's scope, lazily made decisions
// dropped at a full re-discovery, a malformed exec status, a generic call refused without a discovery request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { flattenDiscovery, ApiResources } from '../../src/kube/api-resources.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { execInPod } from '../../src/kube/exec.ts';
import { discoverPermissions } from '../../src/rbac/discovery.ts';
import type { ResourceRule } from '../../src/rbac/rules.ts';
import { Runtime } from '../../src/server/runtime.ts';
import { cataloguePermissions } from '../../src/policy/offer.ts';
import { gateCall } from '../helpers.ts';
import { served } from './served-kinds.ts';
import { authorizationApi, type ResourceAttributes } from '../authorization-api.ts';
import { resourcesList } from '../../tools/resources.ts';
import type { Config } from '../../src/config.ts';

const silent = pino({ level: 'silent' });

/** The same rules in every namespace, and access reviews answered by `allowed`. */
function reviewsClient(answer: { rules: ResourceRule[]; incomplete: boolean; allowed: (attributes: ResourceAttributes) => boolean }) {
  return authorizationApi({ elsewhere: { rules: answer.rules, incomplete: answer.incomplete }, allowed: answer.allowed });
}

test('a discovery entry without scope is namespaced; only "Cluster" is cluster-scoped', () => {
  const served = flattenDiscovery([{ metadata: { name: 'example.com' }, versions: [{ version: 'v1', resources: [
    { resource: 'widgets', responseKind: { kind: 'Widget' }, verbs: ['list'] },
    { resource: 'gadgets', responseKind: { kind: 'Gadget' }, scope: 'Cluster', verbs: ['list'] },
  ] }] }]);
  assert.deepEqual(served.map((r) => [r.resource, r.namespaced]), [['widgets', true], ['gadgets', false]]);
});

test('decisions made lazily for the generic tools are dropped at each full re-discovery (a 403, the long interval), even when nothing else changed', async () => {
  let allowSecrets = true;
  const { client, sent } = reviewsClient({ rules: [], incomplete: true, allowed: (a) => a.resource === 'secrets' && allowSecrets });
  const catalogue = [resourcesList];
  const permissions = await discoverPermissions(client, ['team-a'], cataloguePermissions(catalogue));
  const config = { mode: 'kubeconfig', kubeconfig: 'x', namespaces: ['team-a'], readOnly: false, logLevel: 'silent', refreshInterval: 0 } as Config;
  const runtime = new Runtime(config, { kube: client, summary: {} }, silent, catalogue, permissions, served());
  const secrets = { group: '', resource: 'secrets', verb: 'list', scope: 'namespaced' } as const;
  assert.equal(await runtime.permissions.allows(secrets, 'team-a'), true);
  allowSecrets = false; // the access policy changed; nothing discovery asks about did
  await runtime.requestRefresh('test', 'forbidden');
  const before = sent.length;
  assert.equal(await runtime.permissions.allows(secrets, 'team-a'), false, 'the lazy decision was asked again after the refresh');
  assert.ok(sent.length > before);
});

test('a malformed status on the exec error channel fails the call, it does not crash the process', async () => {
  const socket = Object.assign(new EventEmitter(), { terminate() { socket.emit('close'); } });
  const kube = { websocket: async () => socket } as unknown as KubeClient;
  const running = execInPod(kube, { namespace: 'team-a', pod: 'web', command: ['true'], timeoutMs: 5000, maxBytes: 1024 });
  await new Promise(setImmediate);
  assert.doesNotThrow(() => socket.emit('message', Buffer.concat([Buffer.from([3]), Buffer.from('{"status": "Fail')])));
  socket.emit('close');
  await assert.rejects(running, /malformed status on the exec error channel/);
});

test('a generic call the guard can refuse from its arguments sends no discovery request', async () => {
  const { client, sent } = reviewsClient({ rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], incomplete: false, allowed: () => false });
  const permissions = await discoverPermissions(client, ['team-a'], cataloguePermissions([resourcesList]));
  const before = sent.length;
  const ctx = { kube: client, permissions, apiResources: new ApiResources(client), signal: new AbortController().signal, now: () => new Date() };
  for (const args of [{ resource: 'secrets', namespace: 'team-a' }, { resource: 'NOT A RESOURCE!', namespace: 'team-a' }, { resource: 'secrets', namespace: 'kube-system' }]) {
    const result = await gateCall(resourcesList, { limit: 10, ...args }, ctx, silent);
    assert.equal(result.isError, true, JSON.stringify(args));
  }
  assert.deepEqual(sent.slice(before).map((r) => r.path), [], 'the role lists nothing but pods get: no discovery needed to refuse');
});

test('a tool call is cancelled with its request (even one cancelled already), and by shutdown past the grace period', async () => {
  const { client } = reviewsClient({ rules: [], incomplete: true, allowed: () => false });
  const catalogue = [resourcesList];
  const permissions = await discoverPermissions(client, ['team-a'], cataloguePermissions(catalogue));
  const config = { mode: 'kubeconfig', kubeconfig: 'x', namespaces: ['team-a'], readOnly: false, logLevel: 'silent', refreshInterval: 0 } as Config;
  const runtime = new Runtime(config, { kube: client, summary: {} }, silent, catalogue, permissions, served());
  const untilAborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });

  const request = new AbortController();
  const call = runtime.track(untilAborted, request.signal);
  request.abort('the client cancelled');
  assert.equal(await call, 'the client cancelled');

  const gone = new AbortController();
  gone.abort('gone before the call');
  assert.equal(await runtime.track(untilAborted, gone.signal), 'gone before the call');

  const stuck = runtime.track(untilAborted, new AbortController().signal);
  await runtime.shutdown(0);
  assert.match(String(await stuck), /shutting down/);
});
