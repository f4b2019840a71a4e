// The call pipeline on its own (src/policy/gate.ts): every call ends in one audit line with the same fields, refusals
// included; the permission check and the user's answer, bound to the exact call, come before anything runs. The
// authorization API's answers are given as the API server shapes them (authorization-api.ts); the tools here record
// what they would have done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { z } from 'zod';
import { callTool, runCall, type CallEnvironment, type CallHooks, type CallOutcome, type CallRequest } from '../../src/policy/gate.ts';
import { answerSeal, callFingerprint, type Opened } from '../../src/policy/answer.ts';
import { OUTCOMES } from '../../src/policy/audit.ts';
import { cataloguePermissions, Offer } from '../../src/policy/offer.ts';
import { InFlightLimiter } from '../../src/policy/limits.ts';
import { discoverPermissions } from '../../src/rbac/discovery.ts';
import { anyKind, fixed, perKind } from '../../src/rbac/needs.ts';
import type { Permission } from '../../src/rbac/permission.ts';
import type { ResourceRule } from '../../src/rbac/rules.ts';
import { objectName } from '../../src/kube/names.ts';
import type { ApiResources } from '../../src/kube/api-resources.ts';
import { defineTool, ToolError, type ArgumentChoices, type Need, type ToolCall } from '../../src/tool.ts';
import { KubeApiError } from '../../src/kube/errors.ts';
import { MAX_QUESTION_BYTES } from '../../src/question.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { authorizationApi } from '../authorization-api.ts';
import { cluster } from './served-kinds.ts';

const pods = (verb: string): Permission => ({ group: '', resource: 'pods', verb, scope: 'namespaced' });
const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
const WRITE = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };

/** Two tools that record what they ran: a read, and a delete that asks the user first. */
function catalogue(ran: string[]) {
  return [
    defineTool({
      name: 'pods_get', title: 'get', description: 'get', input: { name: objectName }, output: {}, annotations: READ, needs: fixed(pods('get')),
      plan: (args) => ({ run: async () => (ran.push(`get ${args.namespace}/${args.name}`), { text: 'got', structured: {} }) }),
    }),
    defineTool({
      name: 'pods_delete', title: 'delete', description: 'delete', input: { name: objectName }, output: {}, annotations: WRITE, needs: fixed(pods('delete')),
      asksUser: true,
      plan: (args) => ({
        question: () => `Delete pod ${args.namespace}/${args.name}?`,
        run: async () => (ran.push(`delete ${args.namespace}/${args.name}`), { text: 'deleted', structured: {} }),
      }),
    }),
  ];
}

const reader: ResourceRule = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
const admin: ResourceRule = { verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] };
/** get pods/web only: a name-limited grant. */
const webOnly: ResourceRule = { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['web'] };

/** The pipeline over `rules` in team-a (none in team-b) and a catalogue whose tools record what they ran. */
async function pipeline(rules: ResourceRule[], more: Partial<CallEnvironment> = {},
  { tools: make = catalogue, offerOptions = { readOnly: false, confirmByArgument: false } } = {}) {
  const ran: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const forbidden: string[] = [];
  const tools = make(ran);
  const api = authorizationApi({ rules: { 'team-a': { rules }, 'team-b': { rules: [] } } });
  const permissions = await discoverPermissions(api.client, ['team-a', 'team-b'], cataloguePermissions(tools));
  const env: CallEnvironment = {
    offer: new Offer(tools, permissions, cluster, offerOptions), slots: new InFlightLimiter(), confirmByArgument: offerOptions.confirmByArgument,
    log: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }), answers: answerSeal(undefined),
    onForbidden: (why) => void forbidden.push(why), track: (run, outer) => run(outer),
    context: (signal) => ({ kube: api.client, permissions, apiResources: {} as ApiResources, signal, now: () => new Date() }),
    ...more,
  };
  const call = (name: string, args: unknown, extra: Partial<CallRequest> = {}): Promise<CallOutcome> => callTool(env, {
    name, arguments: args, caller: { canAsk: true }, principal: 'alice', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', signal: new AbortController().signal, ...extra,
  });
  return { call, ran, forbidden, lines, audited: () => lines.filter((l) => l['audit'] === true) };
}

const text = (outcome: CallOutcome) => (outcome.kind === 'result' ? outcome.result.text : outcome.kind === 'ask' ? outcome.question : outcome.message);

test('every call, each refusal included, leaves one audit line with the same fields', async () => {
  const { call, audited } = await pipeline([reader]);
  const outcomes = [
    await call('pods_get', { name: 'web', namespace: 'team-a' }),
    await call('pods_get', { name: 'web', namespace: 'kube-system' }),
    await call('pods_get', { name: 'Not A Name', namespace: 'team-a' }),
    await call('pods_delete', { name: 'web', namespace: 'team-a' }),
    await call('drop_everything', { namespace: 'team-a' }),
  ];
  assert.deepEqual(outcomes.map((o) => o.kind), ['result', 'result', 'result', 'result', 'unknown-tool']);
  const lines = audited();
  assert.deepEqual(lines.map((l) => [l['tool'], l['outcome'], l['status']]), [
    ['pods_get', 'ok', 200], ['pods_get', 'invalid-arguments', 400], ['pods_get', 'invalid-arguments', 400],
    ['pods_delete', 'not-offered', 403], ['drop_everything', 'unknown-tool', 404],
  ]);
  for (const line of lines) {
    assert.deepEqual(Object.keys(line).filter((k) => !['level', 'time', 'pid', 'hostname', 'msg'].includes(k)).sort(),
      ['audit', 'durationMs', 'namespace', 'outcome', 'principal', 'status', 'tool', 'trace_id'], JSON.stringify(line));
    assert.equal(line['principal'], 'alice');
  }
  assert.equal(lines[1]!['namespace'], 'kube-system', 'the namespace the call asked for, though the schema refused it');
  assert.match(text(outcomes[1]!), /^Invalid arguments for pods_get: namespace: namespace must be one of the namespaces where the role allows pods_get: team-a\. Nothing was sent/);
});

test('past the calls a principal may have waiting, a call is refused, audited and counted', async () => {
  const { call, audited } = await pipeline([reader], { slots: new InFlightLimiter({ principal: 0, session: 0, waiting: 0 }) });
  const outcome = await call('pods_get', { name: 'web', namespace: 'team-a' });
  assert.match(text(outcome), /^Too many calls waiting for this principal \(more than 0\): nothing was sent/);
  assert.deepEqual(audited().map((l) => [l['outcome'], l['status'], l['namespace']]), [['too-many-in-flight', 429, 'team-a']]);
});

test('the permission check comes before the call runs: a grant limited to other names runs nothing', async () => {
  const { call, ran, audited } = await pipeline([webOnly]);
  const refused = await call('pods_get', { name: 'db', namespace: 'team-a' });
  assert.equal(refused.kind === 'result' && refused.result.isError, true);
  assert.match(text(refused), /^Forbidden: this connection's RBAC role does not allow "get pods" in namespace team-a \(db\); no request was sent\./);
  assert.deepEqual(ran, [], 'the call did not run');
  assert.equal(audited()[0]!['outcome'], 'denied-locally');
  await call('pods_get', { name: 'web', namespace: 'team-a' });
  assert.deepEqual(ran, ['get team-a/web'], 'the name the grant names');
});

/** A question's state as the protocol seam hands it over once opened: sealed by this server for this call. */
const sealedFor = (principal: string, args: Record<string, unknown>, question: string): Opened => ({ sealed: { fingerprint: callFingerprint(principal, 'pods_delete', args), question } });

test('a yes counts only for the exact call it was asked about, by the caller it was asked of', async () => {
  const { call, ran, audited } = await pipeline([admin]);
  const web = { name: 'web', namespace: 'team-a' };
  const asked = await call('pods_delete', web);
  assert.equal(asked.kind, 'ask');
  assert.equal(text(asked), 'Delete pod team-a/web?');
  assert.match(asked.kind === 'ask' ? asked.state : '', /^v1\./, 'sealed with the SDK\'s codec');
  const yes = { accepted: true, state: sealedFor('alice', web, 'Delete pod team-a/web?') };
  assert.equal((await call('pods_delete', { name: 'db', namespace: 'team-a' }, { reply: yes })).kind, 'ask', 'another object: asked again');
  assert.equal((await call('pods_delete', web, { reply: yes, principal: 'bob' })).kind, 'ask', 'another caller: asked again');
  assert.equal((await call('pods_delete', web, { reply: { accepted: true, state: { unsealed: 'expired' } } })).kind, 'ask', 'a late answer: asked again');
  assert.deepEqual(ran, [], 'nothing deleted');
  const unsealed = await call('pods_delete', web, { reply: { accepted: true, state: { unsealed: 'invalid' } } });
  assert.match(text(unsealed), /^The answer came with a question state this server did not seal .* Nothing was done; call pods_delete again to be asked anew\.$/);
  const no = await call('pods_delete', web, { reply: { accepted: false, state: yes.state } });
  assert.equal(text(no), 'The user did not confirm: Delete pod team-a/web? Nothing was done.');
  assert.deepEqual(ran, []);
  await call('pods_delete', web, { reply: yes });
  assert.deepEqual(ran, ['delete team-a/web']);
  assert.deepEqual(audited().map((l) => [l['outcome'], l['principal']]), [
    ['asking-user', 'alice'], ['asking-user', 'alice'], ['asking-user', 'bob'], ['asking-user', 'alice'], ['unverified-answer', 'alice'],
    ['not-confirmed', 'alice'], ['ok', 'alice'],
  ]);
});

test('the fingerprint ignores key order and the confirm argument, and changes with the caller, the tool or any other argument', () => {
  const fingerprint = callFingerprint('alice', 'pods_delete', { namespace: 'team-a', name: 'web-1', options: { grace: 0, dryRun: false } });
  assert.match(fingerprint, /^[A-Za-z0-9_-]{43}$/, 'a SHA-256 in base64url');
  assert.equal(callFingerprint('alice', 'pods_delete', { options: { dryRun: false, grace: 0 }, name: 'web-1', namespace: 'team-a', confirm: true }), fingerprint);
  assert.notEqual(callFingerprint('alice', 'pods_delete', { namespace: 'team-a', name: 'web-2', options: { grace: 0, dryRun: false } }), fingerprint);
  assert.notEqual(callFingerprint('alice', 'pods_delete', { namespace: 'team-a', name: 'web-1', options: { grace: 30, dryRun: false } }), fingerprint);
  assert.notEqual(callFingerprint('alice', 'deployments_delete', { namespace: 'team-a', name: 'web-1', options: { grace: 0, dryRun: false } }), fingerprint);
  assert.notEqual(callFingerprint('bob', 'pods_delete', { namespace: 'team-a', name: 'web-1', options: { grace: 0, dryRun: false } }), fingerprint);
});

test('the metrics count every outcome the audit line can have, and their help names each', async () => {
  const metrics = createMetrics({ toolNames: ['pods_get'], activeSessions: () => 0 });
  try {
    for (const outcome of OUTCOMES) metrics.toolCall('pods_get', outcome, undefined, 1);
    const rendered = await metrics.render();
    const help = /^# HELP eks_rbac_mcp_tool_calls_total (.*)$/m.exec(rendered)?.[1] ?? '';
    for (const outcome of OUTCOMES) {
      assert.ok(help.includes(outcome), `help names ${outcome}`);
      assert.match(rendered, new RegExp(`tool_calls_total\\{tool="pods_get",outcome="${outcome}"\\} 1`));
    }
  } finally {
    metrics.close();
  }
});

/** Tools whose call fails as the API server, a tool's own check or a bug would make it fail, and one with a huge question. */
function failing(ran: string[]) {
  const failures: Record<string, () => Error> = {
    forbidden: () => new KubeApiError(403, 'Forbidden', 'pods "web" is forbidden: User "eks-agent:x" cannot get resource "pods"'),
    missing: () => new KubeApiError(404, 'NotFound', 'pods "web" not found'),
    refused: () => new ToolError('That pod is a static pod: delete its manifest on the node instead.', 409),
    bug: () => new Error('cannot read properties of undefined'),
  };
  return [
    defineTool({
      name: 'pods_get', title: 'get', description: 'get', output: {},
      input: { name: objectName, fail: z.enum(['forbidden', 'missing', 'refused', 'bug']), options: z.object({ grace: z.number() }).optional() },
      annotations: READ, needs: fixed(pods('get')),
      plan: (args) => ({ run: async () => { ran.push(args.fail); throw failures[args.fail]!(); } }),
    }),
    defineTool({
      name: 'pods_delete', title: 'delete', description: 'delete', input: { name: objectName }, output: {}, annotations: WRITE, needs: fixed(pods('delete')),
      asksUser: true,
      plan: (args) => ({
        question: () => (args.name === 'huge' ? `Delete ${'x'.repeat(MAX_QUESTION_BYTES)}?` : `Delete pod ${args.namespace}/${args.name}?`),
        run: async () => (ran.push(`delete ${args.namespace}/${args.name}`), { text: 'deleted', structured: {} }),
      }),
    }),
  ];
}

/** The pipeline over the failing tools, for a role that may get and delete pods in team-a. */
const failingPipeline = (more: Partial<CallEnvironment> = {}, offerOptions = { readOnly: false, confirmByArgument: false }) =>
  pipeline([admin], more, { tools: failing, offerOptions });

test('a failed call maps to its answer and its outcome: the API server\'s refusal, a tool\'s own, a bug; only a 403 re-discovers', async () => {
  const { call, forbidden, lines, audited } = await failingPipeline();
  const answers: string[] = [];
  for (const fail of ['forbidden', 'missing', 'refused', 'bug']) {
    const outcome = await call('pods_get', { namespace: 'team-a', name: 'web', fail });
    assert.equal(outcome.kind === 'result' && outcome.result.isError, true, fail);
    answers.push(text(outcome));
    assert.equal(forbidden.length, 1, `after ${fail}: one re-discovery, started by the 403`);
  }
  assert.match(answers[0]!, /^Forbidden \(HTTP 403\): pods "web" is forbidden/);
  assert.match(answers[1]!, /^NotFound \(HTTP 404\): pods "web" not found/);
  assert.equal(answers[2], 'That pod is a static pod: delete its manifest on the node instead.');
  assert.equal(answers[3], 'pods_get failed: cannot read properties of undefined');
  assert.deepEqual(audited().map((l) => [l['outcome'], l['status']]), [['api-error', 403], ['api-error', 404], ['refused', 409], ['failed', undefined]]);
  assert.deepEqual(forbidden, ['403 from pods_get'], 'the role may have changed: re-discover, once, for the 403 only');
  const warned = lines.filter((l) => l['msg'] === 'tool call failed');
  assert.deepEqual(warned.map((l) => [l['tool'], (l['err'] as { message: string }).message]), [['pods_get', 'cannot read properties of undefined']]);
});

test('arguments that are not an object are refused and audited without a namespace; each issue is named with its path', async () => {
  const { call, audited } = await failingPipeline();
  const bad = await call('pods_get', 'web');
  assert.equal(text(bad), 'Invalid arguments for pods_get: Invalid input: expected object, received string. Nothing was sent; fix them and call again.');
  assert.match(text(await call('pods_get', null)), /^Invalid arguments for pods_get: Invalid input: expected object, received null\. /);
  const nested = await call('pods_get', { namespace: 'team-a', name: 'web', fail: 'bug', options: { grace: 'now' } });
  assert.match(text(nested), /^Invalid arguments for pods_get: options\.grace: Invalid input: expected number, received string\. /);
  const two = await call('pods_get', { namespace: 'team-a', name: 'web', fail: 'sometimes' });
  assert.match(text(two), /^Invalid arguments for pods_get: fail: [^;]+\. Nothing was sent/);
  const several = await call('pods_get', { namespace: 'team-a' });
  assert.match(text(several), /^Invalid arguments for pods_get: name: [^;]+; fail: [^;]+\. Nothing was sent/);
  assert.deepEqual(audited().map((l) => [l['outcome'], l['namespace']]), [['invalid-arguments', undefined], ['invalid-arguments', undefined],
    ['invalid-arguments', 'team-a'], ['invalid-arguments', 'team-a'], ['invalid-arguments', 'team-a']]);
});

test('a call gives its slot back, whatever its end: one call at a time still serves call after call', async () => {
  const { call, audited } = await failingPipeline({ slots: new InFlightLimiter({ principal: 1, session: 1, waiting: 0 }) });
  await call('pods_get', { namespace: 'team-a', name: 'web', fail: 'bug' });
  await call('pods_get', { namespace: 'team-a', name: 'web', fail: 'missing' });
  await call('pods_delete', { namespace: 'team-a', name: 'web' });
  assert.deepEqual(audited().map((l) => l['outcome']), ['failed', 'api-error', 'asking-user']);
});

test('a question too large to show whole is refused; an answer that was never sealed is audited as a 403, a no without a status', async () => {
  const { call, ran, audited } = await failingPipeline();
  const huge = await call('pods_delete', { namespace: 'team-a', name: 'huge' });
  assert.equal(text(huge), `The change is too large to show the user whole in one question (over ${MAX_QUESTION_BYTES / 1000} KB): make it in smaller parts (fewer objects, or a smaller patch). Nothing was done.`);
  await call('pods_delete', { namespace: 'team-a', name: 'web' }, { reply: { accepted: true, state: { unsealed: 'invalid' } } });
  const web = { namespace: 'team-a', name: 'web' };
  await call('pods_delete', web, { reply: { accepted: false, state: { sealed: { fingerprint: callFingerprint('alice', 'pods_delete', web), question: 'Delete pod team-a/web?' } } } });
  assert.deepEqual(ran, []);
  assert.deepEqual(audited().map((l) => [l['outcome'], l['status']]), [['not-confirmed', undefined], ['unverified-answer', 403], ['not-confirmed', undefined]]);
});

test('a client that cannot ask: only --confirm-by-argument lets a write through, with "confirm": true after the user\'s yes', async () => {
  const cannotAsk = { caller: { canAsk: false } };
  const strict = await failingPipeline();
  const unoffered = await strict.call('pods_delete', { namespace: 'team-a', name: 'web', confirm: true }, cannotAsk);
  assert.equal(text(unoffered), 'pods_delete changes the cluster and needs the user\'s yes, but this client cannot ask its user (no elicitation). '
    + 'No request was sent. Use a client that supports elicitation, or ask the operator about --confirm-by-argument.');
  assert.deepEqual(strict.ran, []);
  const byArgument = await failingPipeline({}, { readOnly: false, confirmByArgument: true });
  const first = await byArgument.call('pods_delete', { namespace: 'team-a', name: 'web' }, cannotAsk);
  assert.equal(text(first), 'Delete pod team-a/web? This changes the cluster: ask the user, and if they agree call pods_delete again with "confirm": true. Nothing was done.');
  const notTrue = await byArgument.call('pods_delete', { namespace: 'team-a', name: 'web', confirm: false }, cannotAsk);
  assert.equal(text(notTrue), text(first));
  assert.deepEqual(byArgument.ran, []);
  const confirmed = await byArgument.call('pods_delete', { namespace: 'team-a', name: 'web', confirm: true }, cannotAsk);
  assert.equal(text(confirmed), 'deleted');
  assert.deepEqual(byArgument.ran, ['delete team-a/web']);
  const asking = await byArgument.call('pods_delete', { namespace: 'team-a', name: 'db', confirm: true });
  assert.equal(asking.kind, 'ask', 'a client that can ask is asked, whatever the argument says');
  const offerless = await failingPipeline({ confirmByArgument: false }, { readOnly: false, confirmByArgument: true });
  const refused = await offerless.call('pods_delete', { namespace: 'team-a', name: 'web', confirm: true }, cannotAsk);
  assert.equal(text(refused), 'Delete pod team-a/web? This changes the cluster and needs the user\'s yes, but this client cannot ask its user. Nothing was done.');
  assert.deepEqual(offerless.ran, []);
});

test('the seal: a shared key or one of this process; a state sealed with another key, or garbage, is invalid; a late one has expired', async (t) => {
  assert.equal(answerSeal(undefined).key, 'per-process');
  assert.equal(answerSeal('k'.repeat(32)).key, 'shared');
  const ctx = {} as Parameters<ReturnType<typeof answerSeal>['open']>[1];
  const asked = { fingerprint: callFingerprint('alice', 'pods_delete', { name: 'web' }), question: 'Delete pod web?' };
  const one = answerSeal('a'.repeat(32));
  const state = await one.seal(asked);
  assert.deepEqual(await one.open(state, ctx), { sealed: asked });
  assert.deepEqual(await answerSeal('a'.repeat(32)).open(state, ctx), { sealed: asked }, 'another replica with the same key');
  assert.deepEqual(await answerSeal('b'.repeat(32)).open(state, ctx), { unsealed: 'invalid' });
  assert.deepEqual(await one.open('v1.not-a-state', ctx), { unsealed: 'invalid' });
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 11 * 60 * 1000 });
  assert.deepEqual(await one.open(state, ctx), { unsealed: 'expired' });
});

test('a call\'s permissions: a generic tool\'s plan must name them; a tool of several kinds takes the chosen kind\'s; cluster-wide ones carry no namespace', async () => {
  const ctx = {} as Parameters<ToolCall['plan']>[0];
  const run = async () => ({ text: '', structured: {} });
  const generic = defineTool({ name: 'resources_get', title: 't', description: 'd', input: {}, output: {}, annotations: READ,
    needs: anyKind('get', 'uncovered', []), plan: () => ({ needs: [], run }) });
  const parsed = generic.arguments({}).parse({});
  assert.ok(parsed.success);
  await assert.rejects(parsed.call.plan(ctx), { message: 'resources_get: the plan of a generic tool states the permissions of its call' });
  const nodes: Permission = { group: '', resource: 'nodes', verb: 'get', scope: 'cluster' };
  const kinds = defineTool({ name: 'thing_get', title: 't', description: 'd', input: { name: objectName }, output: {}, annotations: READ,
    needs: perKind({ pod: [pods('get')], node: [nodes] }), plan: () => ({ run }) });
  const plan = async (raw: Record<string, unknown>, choices: ArgumentChoices = { kinds: ['pod', 'node'], namespace: z.string().optional() }) => {
    const p = kinds.arguments(choices).parse(raw);
    assert.ok(p.success, JSON.stringify(raw));
    return (await p.call.plan(ctx)).needs;
  };
  assert.deepEqual(await plan({ kind: 'pod', name: 'web', namespace: 'team-a' }), [{ permission: pods('get'), namespace: 'team-a', name: 'web' }]);
  assert.deepEqual(await plan({ kind: 'node', name: 'n1', namespace: 'team-a' }), [{ permission: nodes, name: 'n1' }], 'no namespace on a cluster-wide need');
  // A kind the offer would take but the declaration has no permissions for: the call fails closed, before anything runs.
  await assert.rejects(plan({ kind: 'volume', name: 'v1' }, { kinds: ['node', 'volume'] }), { message: 'thing_get: no permissions for kind volume' });
});

test('a generic call\'s permissions, checked as its plan names them: a namespaced one needs a namespace; a missing one is named with its scope', async () => {
  const api = authorizationApi({ rules: { 'team-a': { rules: [reader] }, 'team-b': { rules: [] } } });
  const nodes: Permission = { group: '', resource: 'nodes', verb: 'get', scope: 'cluster' };
  const permissions = await discoverPermissions(api.client, ['team-a', 'team-b'], [pods('get'), pods('list'), nodes]);
  const ctx = { kube: api.client, permissions, apiResources: {} as ApiResources, signal: new AbortController().signal, now: () => new Date() };
  const outcomes: string[] = [];
  const hooks: CallHooks = { log: pino({ level: 'silent' }), audit: (outcome) => void outcomes.push(outcome), answer: () => ({ kind: 'unasked' }), canAsk: true, confirmByArgument: false };
  const ran: string[] = [];
  const generic = (needs: Need[]) => defineTool({ name: 'resources_get', title: 't', description: 'd', input: { name: z.string().optional() }, output: {}, annotations: READ,
    needs: anyKind('get', 'uncovered', []), plan: () => ({ needs, run: async () => (ran.push('ran'), { text: 'ok', structured: {} }) }) });
  const runWith = async (needs: Need[], raw: Record<string, unknown>) => {
    const tool = generic(needs);
    const parsed = tool.arguments({ namespace: z.string().optional() }).parse(raw);
    assert.ok(parsed.success);
    const ran = await runCall(tool, parsed.call, ctx, hooks);
    return ran.kind === 'result' ? ran.result.text : ran.question;
  };
  assert.equal(await runWith([{ permission: pods('get'), name: 'web' }], {}), 'pods are namespaced: give a namespace (team-a, team-b)');
  assert.equal(await runWith([{ permission: nodes, name: 'n1' }], {}),
    'Forbidden: this connection\'s RBAC role does not allow "get nodes" cluster-wide (n1); no request was sent. A cluster admin can grant it; print the Role with: eks-rbac-mcp rbac --tools resources_get');
  assert.equal(await runWith([{ permission: pods('list'), namespace: 'team-b' }], { namespace: 'team-b' }),
    'Forbidden: this connection\'s RBAC role does not allow "list pods" in namespace team-b; no request was sent. A cluster admin can grant it; print the Role with: eks-rbac-mcp rbac --tools resources_get --namespace team-b');
  assert.deepEqual(ran, []);
  assert.equal(await runWith([{ permission: pods('get'), namespace: 'team-a', name: 'web' }], { namespace: 'team-a' }), 'ok');
  assert.deepEqual(outcomes, ['refused', 'denied-locally', 'denied-locally', 'ok']);
});
