// The offer on its own, without the MCP adapter: which tools a connection advertises, with which namespace and kind
// choices, the schema a call is checked against, and the refusal of each tool that is not offered. (Through an MCP
// client: layers.test.ts.) Tools are declared here, so that each branch of the decision is driven by one tool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z, type ZodRawShape } from 'zod';
import { decidePermissions, discoverPermissions, readSignals, type PermissionSet } from '../../src/rbac/discovery.ts';
import { resourceName, type Permission } from '../../src/rbac/permission.ts';
import type { ResourceRule } from '../../src/rbac/rules.ts';
import { defineTool, type Tool } from '../../src/tool.ts';
import { anyKind, fixed, perKind, type Needs } from '../../src/rbac/needs.ts';
import type { PromptDeclaration } from '../../src/prompt.ts';
import type { Finding } from '../../src/rbac/broad-grants.ts';
import { advertise, cataloguePermissions, clusterKindQuestions, isReadOnlyTool, Offer, rbacHint, type OfferOptions } from '../../src/policy/offer.ts';
import { authorizationApi, type Answers } from '../authorization-api.ts';
import { cluster } from './served-kinds.ts';

const perm = (verb: string, resource: string, scope: Permission['scope'] = 'namespaced', group = ''): Permission => ({ group, resource, verb, scope });
const read = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
const write = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false };

function tool(name: string, needs: Needs, more: { annotations?: typeof read; asksUser?: true; output?: ZodRawShape } = {}): Tool {
  return defineTool({
    name, title: name, description: name, input: { name: z.string().optional() }, output: more.output ?? {}, annotations: more.annotations ?? read, needs,
    asksUser: more.asksUser, plan: () => ({ run: async () => ({ text: '', structured: {} }) }),
  });
}

const podsList = tool('pods_list', fixed(perm('list', 'pods')));
const podsDelete = tool('pods_delete', fixed(perm('delete', 'pods')), { annotations: write, asksUser: true });
const nodesList = tool('nodes_list', fixed(perm('list', 'nodes', 'cluster')));
const eventsAnywhere = tool('cluster_events', { ...fixed(perm('list', 'events', 'cluster')), namespace: 'optional' });
const whoami = tool('whoami', fixed());
const canI = tool('can_i', fixed(perm('create', 'selfsubjectaccessreviews', 'cluster', 'authorization.k8s.io')));
const rollouts = tool('rollout_status', perKind({
  Deployment: [perm('get', 'deployments', 'namespaced', 'apps')], StatefulSet: [perm('get', 'statefulsets', 'namespaced', 'apps')],
}));
const genericList = tool('resources_list', anyKind('list', 'uncovered', [perm('list', 'configmaps')]));
const catalogue = [whoami, canI, podsList, podsDelete, nodesList, eventsAnywhere, rollouts, genericList];

const podReader: ResourceRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
const podAdmin: ResourceRule = { verbs: ['*'], apiGroups: [''], resources: ['pods'] };
const deploymentReader: ResourceRule = { verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] };

async function permissions(answers: Answers, namespaces = ['team-a', 'team-b']): Promise<PermissionSet> {
  return discoverPermissions(authorizationApi(answers).client, namespaces, cataloguePermissions(catalogue));
}

const options = (more: Partial<OfferOptions> = {}): OfferOptions => ({ readOnly: false, confirmByArgument: false, ...more });
const asking = { canAsk: true };
const mute = { canAsk: false };
const names = (offer: Offer, caller = asking) => offer.tools(caller).map((ad) => ad.tool.name);

test('a namespaced tool is offered with exactly the namespaces where the role grants it, and not at all where it grants none', async () => {
  const set = await permissions({ rules: { 'team-a': { rules: [podReader] }, 'team-b': { rules: [podAdmin] } } });
  const ads = new Map(advertise(catalogue, set, cluster).map((ad) => [ad.tool.name, ad]));
  assert.deepEqual(ads.get('pods_list'), { tool: podsList, namespaces: ['team-a', 'team-b'] });
  assert.deepEqual(ads.get('pods_delete'), { tool: podsDelete, namespaces: ['team-b'] });
  assert.equal(ads.has('nodes_list'), false, 'a cluster-scoped permission nothing grants');
  const none = await permissions({ rules: { 'team-a': { rules: [] }, 'team-b': { rules: [] } } });
  assert.deepEqual(advertise(catalogue, none, cluster).map((ad) => ad.tool.name), ['whoami'], 'a role that grants nothing is offered only what needs nothing');
});

test('a cluster-scoped tool is offered without a namespace argument, or with an optional one over the scope when it asks for it', async () => {
  const set = await permissions({ rules: { 'team-a': { rules: [], incomplete: true }, 'team-b': { rules: [], incomplete: true } }, allowed: (a) => a.namespace === '' && ['nodes', 'events'].includes(a.resource) });
  const ads = new Map(advertise(catalogue, set, cluster).map((ad) => [ad.tool.name, ad]));
  assert.deepEqual(ads.get('nodes_list'), { tool: nodesList });
  const offer = new Offer(catalogue, set, cluster, options());
  const nodes = offer.inputSchema(offer.find('nodes_list', asking)!, asking);
  assert.deepEqual(Object.keys(nodes.shape), ['name'], 'no namespace argument at all');
  assert.deepEqual(ads.get('cluster_events'), { tool: eventsAnywhere, namespaces: ['team-a', 'team-b'], namespaceOptional: true });
});

test('a tool of several kinds offers the kinds granted somewhere in the scope, and the namespaces where any of them is', async () => {
  const set = await permissions({ rules: { 'team-a': { rules: [] }, 'team-b': { rules: [deploymentReader] } } });
  const ad = advertise(catalogue, set, cluster).find((a) => a.tool.name === 'rollout_status');
  assert.deepEqual(ad, { tool: rollouts, namespaces: ['team-b'], kinds: ['Deployment'] });
  const statefulSetReader: ResourceRule = { verbs: ['get'], apiGroups: ['apps'], resources: ['statefulsets'] };
  const each = await permissions({ rules: { 'team-a': { rules: [deploymentReader] }, 'team-b': { rules: [statefulSetReader] } } });
  assert.deepEqual(advertise(catalogue, each, cluster).find((a) => a.tool.name === 'rollout_status'),
    { tool: rollouts, namespaces: ['team-a', 'team-b'], kinds: ['Deployment', 'StatefulSet'] }, 'each namespace where some kind is granted');
  const neither = await permissions({ rules: { 'team-a': { rules: [podReader] } } });
  assert.equal(advertise(catalogue, neither, cluster).some((a) => a.tool.name === 'rollout_status'), false);
});

test('a generic tool is offered where the verb is granted on a kind no specific tool serves, with an optional namespace', async () => {
  const configMaps: ResourceRule = { verbs: ['list'], apiGroups: [''], resources: ['configmaps'] };
  const set = await permissions({ rules: { 'team-a': { rules: [podReader] }, 'team-b': { rules: [configMaps] } } });
  const ad = advertise(catalogue, set, cluster).find((a) => a.tool.name === 'resources_list');
  assert.deepEqual(ad, { tool: genericList, namespaces: ['team-b'], namespaceOptional: true }, 'pods are pods_list\'s: team-a has nothing else to list');
  assert.deepEqual(cataloguePermissions([genericList]), [perm('list', 'configmaps')], 'the probes are decided at discovery');
});

test('--read-only offers only tools that are read-only in their hints and their verbs', async () => {
  const set = await permissions({ rules: { 'team-a': { rules: [podAdmin] } } });
  assert.deepEqual(advertise(catalogue, set, cluster, true).map((ad) => ad.tool.name), ['whoami', 'pods_list']);
  assert.equal(isReadOnlyTool(podsList), true);
  assert.equal(isReadOnlyTool(podsDelete), false);
  assert.equal(isReadOnlyTool(tool('lying', fixed(perm('delete', 'pods')))), false, 'a delete verb behind a read-only hint');
  assert.equal(isReadOnlyTool(tool('self', fixed(perm('create', 'selfsubjectrulesreviews', 'cluster', 'authorization.k8s.io')))), true, 'asking about oneself changes nothing');
});

test('the schema\'s namespace enum holds only the offered namespaces, required with the first as default, or optional', async () => {
  const set = await permissions({ rules: { 'team-a': { rules: [podReader], incomplete: true }, 'team-b': { rules: [podReader], incomplete: true } }, allowed: (a) => a.resource === 'events' });
  const offer = new Offer(catalogue, set, cluster, options());
  const pods = offer.inputSchema(offer.find('pods_list', asking)!, asking);
  assert.deepEqual(pods.parse({}), { namespace: 'team-a' });
  assert.deepEqual(pods.parse({ namespace: 'team-b', name: 'web' }), { namespace: 'team-b', name: 'web' });
  const refused = pods.safeParse({ namespace: 'kube-system' });
  assert.equal(refused.success, false);
  assert.equal(refused.error!.issues[0]!.message, 'namespace must be one of the namespaces where the role allows pods_list: team-a, team-b');
  const events = offer.inputSchema(offer.find('cluster_events', asking)!, asking);
  assert.deepEqual(events.parse({}), {});
  assert.equal(events.safeParse({ namespace: 'kube-system' }).error!.issues[0]!.message, 'namespace must be one of this connection\'s scope: team-a, team-b');
  assert.equal(offer.inputSchema(offer.find('pods_list', asking)!, asking), pods, 'built once per tool');
});

test('the kind argument takes only the granted kinds; a client that cannot ask gets a confirm argument only with --confirm-by-argument', async () => {
  const set = await permissions({ rules: { 'team-a': { rules: [podAdmin, deploymentReader] } } });
  const offer = new Offer(catalogue, set, cluster, options({ confirmByArgument: true }));
  const kinds = offer.inputSchema(offer.find('rollout_status', asking)!, asking);
  assert.equal(kinds.safeParse({ kind: 'Deployment' }).success, true);
  assert.equal(kinds.safeParse({ kind: 'StatefulSet' }).success, false);
  const del = offer.find('pods_delete', mute)!;
  assert.deepEqual(offer.inputSchema(del, mute).parse({ confirm: true }), { namespace: 'team-a', confirm: true });
  assert.equal(offer.inputSchema(del, mute).shape['confirm']!.description, 'true once the user agreed to exactly this call', 'what the agent is told the argument means');
  assert.deepEqual(offer.inputSchema(del, asking).parse({ confirm: true }), { namespace: 'team-a' }, 'a client that asks its user has no confirm argument');
  assert.deepEqual(offer.inputSchema(offer.find('pods_list', mute)!, mute).parse({ confirm: true }), { namespace: 'team-a' }, 'nor does a tool that asks nothing');
});

test('a client that cannot ask its user is not offered destructive tools, unless the operator allows confirming by argument', async () => {
  const set = await permissions({ rules: { 'team-a': { rules: [podAdmin] } } });
  const offer = new Offer(catalogue, set, cluster, options());
  assert.deepEqual(names(offer, asking), ['whoami', 'pods_list', 'pods_delete']);
  assert.deepEqual(names(offer, mute), ['whoami', 'pods_list']);
  assert.equal(offer.find('pods_delete', mute), undefined);
  assert.equal(offer.find('pods_delete', asking)?.tool, podsDelete);
  assert.deepEqual(offer.names(), ['whoami', 'pods_list', 'pods_delete'], 'the role allows them, whoever asks');
  assert.equal(offer.dependsOnCaller, true);
  assert.equal(offer.refusal('pods_delete', mute), 'pods_delete changes the cluster and needs the user\'s yes, but this client cannot ask its user '
    + '(no elicitation). No request was sent. Use a client that supports elicitation, or ask the operator about --confirm-by-argument.');
  const byArgument = new Offer(catalogue, set, cluster, options({ confirmByArgument: true }));
  assert.deepEqual(names(byArgument, mute), ['whoami', 'pods_list', 'pods_delete']);
  assert.equal(byArgument.dependsOnCaller, false);
  const readers = new Offer(catalogue, await permissions({ rules: { 'team-a': { rules: [podReader] } } }), cluster, options());
  assert.equal(readers.dependsOnCaller, false, 'no destructive tool offered: every caller sees the same');
});

test('--tools narrows the offer below the role, and a tool it leaves out is refused naming the patterns', async () => {
  const set = await permissions({ rules: { 'team-a': { rules: [podAdmin] } } });
  const offer = new Offer(catalogue, set, cluster, options({ selected: { names: new Set(['pods_list', 'whoami']), patterns: ['pods_l*', 'whoami'] } }));
  assert.deepEqual(names(offer), ['whoami', 'pods_list']);
  assert.equal(offer.find('pods_delete', asking), undefined);
  assert.equal(offer.refusal('pods_delete', asking),
    'pods_delete is not offered: this server offers only the tools selected by --tools (pods_l*,whoami). No request was sent.');
  assert.match(offer.refusal('pods_list', asking), /not grant/, 'a selected tool the role allows is offered: it is refused only for what the role lacks');
});

test('while a broad grant is not accepted, only whoami and can_i stay offered, and every other tool is refused as withdrawn', async () => {
  const set = await permissions({ rules: { 'team-a': { rules: [podAdmin] } }, allowed: () => true });
  const findings = [{ title: 'cluster-admin equivalence', causes: [{}, {}] }] as unknown as Finding[];
  const offer = new Offer(catalogue, set, cluster, options({ withdrawnFor: findings }));
  assert.deepEqual(names(offer), ['whoami', 'can_i']);
  assert.match(offer.refusal('pods_list', asking), /^pods_list is withdrawn: .*cluster-admin equivalence: 2 rights.*No request was sent/);
  assert.deepEqual(names(new Offer(catalogue, set, cluster, options({ withdrawnFor: undefined }))).slice(0, 4), ['whoami', 'can_i', 'pods_list', 'pods_delete']);
});

test('each refusal says why in words the agent can act on: unknown, read-only, or the permission the role lacks', async () => {
  const set = await permissions({ rules: { 'team-a': { rules: [podReader] }, 'team-b': { rules: [] } } });
  const offer = new Offer(catalogue, set, cluster, options());
  assert.equal(offer.refusal('drop_everything', asking), 'Unknown tool "drop_everything". Call tools/list for the tools this connection offers.');
  assert.equal(offer.refusal('pods_delete', asking), 'pods_delete is not offered on this connection: its RBAC role does not grant delete pods in its scope '
    + '(team-a, team-b). No request was sent. A cluster admin can print the Role that would: eks-rbac-mcp rbac --tools pods_delete');
  const readOnly = new Offer(catalogue, await permissions({ rules: { 'team-a': { rules: [podAdmin] } } }), cluster, options({ readOnly: true }));
  assert.equal(readOnly.refusal('pods_delete', asking), 'pods_delete is not offered: this server runs with --read-only. No request was sent.');
  assert.equal(rbacHint('pods_list', 'team-a'), 'eks-rbac-mcp rbac --tools pods_list --namespace team-a');
});

test('prompts are offered when every tool they name is, with the namespaces where all their namespaced tools are', async () => {
  const set = await permissions({ rules: { 'team-a': { rules: [podReader, deploymentReader], incomplete: true }, 'team-b': { rules: [podReader], incomplete: true } }, allowed: (a) => a.resource === 'events' });
  const offer = new Offer(catalogue, set, cluster, options());
  const prompt = (name: string, tools: string[]) => ({ name, tools }) as unknown as PromptDeclaration;
  const diagnose = prompt('diagnose', ['pods_list', 'rollout_status']);
  const events = prompt('events', ['pods_list', 'cluster_events']);
  const destroy = prompt('destroy', ['pods_delete']);
  const halfway = prompt('halfway', ['pods_list', 'pods_delete']);
  assert.deepEqual(offer.prompts([diagnose, events, destroy, halfway], asking).map((p) => p.name), ['diagnose', 'events'], 'a prompt needs every tool it names');
  assert.deepEqual(offer.promptNamespaces(events, asking), ['team-a', 'team-b'], 'an optional namespace narrows nothing');
  assert.deepEqual(offer.promptNamespaces(prompt('both', ['rollout_status', 'pods_list']), asking), ['team-a'], 'rollout_status is offered in team-a only: the prompt\'s namespace narrows to it');
});

test('the signature changes with the tools and their namespaces, and not with anything else', async () => {
  const reader = await permissions({ rules: { 'team-a': { rules: [podReader] } } });
  const same = await permissions({ rules: { 'team-a': { rules: [podReader] } } });
  const wider = await permissions({ rules: { 'team-a': { rules: [podReader] }, 'team-b': { rules: [podReader] } } });
  const admin = await permissions({ rules: { 'team-a': { rules: [podAdmin] } } });
  const sig = (set: PermissionSet) => new Offer(catalogue, set, cluster, options()).signature();
  assert.equal(sig(reader), sig(same));
  assert.notEqual(sig(reader), sig(wider));
  assert.notEqual(sig(reader), sig(admin));
  assert.equal(sig(reader), JSON.stringify([['whoami', null], ['pods_list', ['team-a']]]));
});

test('a kind counts as served by a specific tool that reads it, for any read; for a write only with the tool\'s own verb; never through a subresource', async () => {
  const secretGet = tool('secret_get', fixed(perm('get', 'secrets')));
  const podLogs = tool('pod_logs', fixed({ ...perm('list', 'pods'), subresource: 'log' }));
  const podsRemover = tool('pods_remove', fixed(perm('delete', 'pods')), { annotations: write, asksUser: true });
  const genericDelete = tool('resources_delete', anyKind('delete', 'uncovered', []), { annotations: write, asksUser: true });
  const own = [genericList, genericDelete, secretGet, podLogs, podsRemover];
  const rule = (verbs: string[], resources: string[]): ResourceRule => ({ verbs, apiGroups: [''], resources });
  const set = await discoverPermissions(authorizationApi({ rules: {
    'team-a': { rules: [rule(['list', 'delete'], ['secrets'])] }, 'team-b': { rules: [rule(['list', 'delete'], ['pods'])] },
  } }).client, ['team-a', 'team-b'], cataloguePermissions(own));
  const ads = new Map(advertise(own, set, cluster).map((ad) => [ad.tool.name, ad.namespaces]));
  assert.deepEqual(ads.get('resources_list'), ['team-b'], 'secret_get reads secrets, so listing them is its too; pod_logs reads pods/log, not pods');
  assert.deepEqual(ads.get('resources_delete'), ['team-a'], 'pods_remove deletes pods; nothing deletes secrets');
});

test('the generic tools count only the kinds the cluster serves, a cluster-scoped one only when granted cluster-wide', async () => {
  const getNodes: ResourceRule = { verbs: ['get'], apiGroups: [''], resources: ['nodes'] };
  const getAll: ResourceRule = { verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['pods', 'deployments', 'storageclasses', 'gadgets'] };
  const genericGet = tool('resources_get', anyKind('get', 'every', []));
  const own = [podsList, genericGet];
  const offered = async (rules: ResourceRule[], allowed: Answers['allowed'] = () => false) => {
    const api = authorizationApi({ rules: { 'team-a': { rules } }, allowed });
    const signals = await readSignals(api.client, ['team-a']);
    const set = await decidePermissions(api.client, signals, [...cataloguePermissions(own), ...clusterKindQuestions(own, signals.reviews, cluster)]);
    return { names: advertise(own, set, cluster).map((ad) => ad.tool.name), asked: api.accessReviews().map((a) => `${a.verb} ${a.resource}`) };
  };
  assert.deepEqual(await offered([getNodes]), { names: [], asked: ['get nodes'] }, 'a RoleBinding to nodes: the cluster-wide review refuses it');
  assert.deepEqual(await offered([getNodes], (a) => a.resource === 'nodes' && a.namespace === ''), { names: ['resources_get'], asked: ['get nodes'] },
    'a ClusterRoleBinding to nodes');
  assert.deepEqual(await offered([getAll], () => true), { names: ['pods_list', 'resources_get'], asked: [] },
    'core pods and apps deployments are served and namespaced: nothing to ask; core storageclasses and gadgets are no kinds');
});

test('discovery asks about a cluster-scoped kind only where no namespaced kind already offers the tool, and never about a covered one', () => {
  const genericGet = tool('resources_get', anyKind('get', 'uncovered', []));
  const podsGet = tool('pods_get', fixed(perm('get', 'pods')));
  const nodesList = tool('nodes_list', fixed(perm('list', 'nodes', 'cluster')));
  const own = [genericGet, podsGet, nodesList];
  const review = (namespace: string, ...rules: ResourceRule[]) => ({ namespace, rules, incomplete: false });
  const reads = (apiGroups: string[], resources: string[]): ResourceRule => ({ verbs: ['get'], apiGroups, resources });
  const asked = (...reviews: ReturnType<typeof review>[]) => clusterKindQuestions(own, reviews, cluster).map((p) => `${p.verb} ${resourceName(p)} ${p.scope}`).sort();
  assert.deepEqual(asked(review('team-a', reads(['storage.k8s.io'], ['storageclasses']))), ['get storageclasses.storage.k8s.io cluster']);
  assert.deepEqual(asked(review('team-a', reads(['storage.k8s.io'], ['storageclasses']), reads([''], ['secrets']))), [], 'secrets offer it already');
  assert.deepEqual(asked(review('team-a', reads([''], ['nodes', 'pods']))), [], 'nodes are nodes_list\'s');
  assert.deepEqual(asked(review('team-a', reads([''], ['secrets'])), review('team-b', reads(['*'], ['storageclasses', 'nodes']))),
    ['get nodes.metrics.k8s.io cluster', 'get storageclasses.storage.k8s.io cluster'], 'per namespace; `*` names the metrics API\'s nodes too');
});

test('an output schema is advertised, and structured content sent, only with --structured-output', async () => {
  const set = await permissions({ rules: { 'team-a': { rules: [podReader] }, 'team-b': { rules: [] } } });
  const withRows = tool('pods_list', fixed(perm('list', 'pods')), { output: { rows: z.array(z.string()) } });
  const plain = new Offer([withRows], set, cluster, options());
  assert.equal(plain.outputSchema(plain.find('pods_list', asking)!), undefined, 'the default: text only');
  assert.equal(plain.structuredOutput, false);
  assert.equal(new Offer([withRows], set, cluster, options({ structuredOutput: false })).structuredOutput, false);
  const structured = new Offer([withRows], set, cluster, options({ structuredOutput: true }));
  assert.equal(structured.structuredOutput, true);
  const schema = structured.outputSchema(structured.find('pods_list', asking)!)!;
  assert.deepEqual(Object.keys(schema.shape), ['rows'], 'the declared output, as declared');
  assert.deepEqual(schema.parse({ rows: ['a'] }), { rows: ['a'] });
  assert.equal(schema.safeParse({ rows: 'a' }).success, false);
  assert.equal(structured.outputSchema(structured.find('pods_list', asking)!), schema, 'built once per tool');
});

test('a grant limited to named objects offers the generic tools of a verb on one object, the call then admitted for those names; never a list', async () => {
  const named: ResourceRule = { verbs: ['get', 'list', 'patch', 'delete'], apiGroups: ['example.com'], resources: ['widgets'], resourceNames: ['w1'] };
  const own = [genericList, tool('resources_get', anyKind('get', 'uncovered', [])),
    tool('resources_delete', anyKind('delete', 'uncovered', []), { annotations: write, asksUser: true }),
    tool('resources_patch', anyKind('patch', 'every', []), { annotations: write, asksUser: true })];
  const set = await discoverPermissions(authorizationApi({ rules: { 'team-a': { rules: [named] } } }).client, ['team-a'], cataloguePermissions(own));
  assert.deepEqual(advertise(own, set, cluster).map((ad) => ad.tool.name), ['resources_get', 'resources_delete', 'resources_patch']);
  const widget = { group: 'example.com', resource: 'widgets', verb: 'patch', scope: 'namespaced' } as const;
  assert.equal(await set.allows(widget, 'team-a', 'w1'), true);
  assert.equal(await set.allows(widget, 'team-a', 'w2'), false, 'another name: refused before any request');
});
