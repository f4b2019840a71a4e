// The call pipeline on its own (src/policy/gate.ts): every call ends in one audit line with the same fields, refusals
// included; the permission check and the user's answer, bound to the exact call, come before anything runs. The
// authorization API's answers are given as the API server shapes them (authorization-api.ts); the tools here record
// what they would have done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { callTool, type CallEnvironment, type CallOutcome, type CallRequest } from '../../src/policy/gate.ts';
import { answerSeal, callFingerprint, type Opened } from '../../src/policy/answer.ts';
import { OUTCOMES } from '../../src/policy/audit.ts';
import { cataloguePermissions, Offer } from '../../src/policy/offer.ts';
import { InFlightLimiter } from '../../src/policy/limits.ts';
import { discoverPermissions } from '../../src/rbac/discovery.ts';
import { fixed } from '../../src/rbac/needs.ts';
import type { Permission } from '../../src/rbac/permission.ts';
import type { ResourceRule } from '../../src/rbac/rules.ts';
import { objectName } from '../../src/kube/names.ts';
import type { ApiResources } from '../../src/kube/api-resources.ts';
import { defineTool } from '../../src/tool.ts';
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

async function pipeline(rules: ResourceRule[], more: Partial<CallEnvironment> = {}) {
  const ran: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const tools = catalogue(ran);
  const api = authorizationApi({ rules: { 'team-a': { rules }, 'team-b': { rules: [] } } });
  const permissions = await discoverPermissions(api.client, ['team-a', 'team-b'], cataloguePermissions(tools));
  const offer = new Offer(tools, permissions, cluster, { readOnly: false, confirmByArgument: false });
  const env: CallEnvironment = {
    offer, slots: new InFlightLimiter(), log: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }), confirmByArgument: false,
    answers: answerSeal(undefined),
    onForbidden: () => undefined, track: (run, outer) => run(outer),
    context: (signal) => ({ kube: api.client, permissions, apiResources: {} as ApiResources, signal, now: () => new Date() }),
    ...more,
  };
  const call = (name: string, args: unknown, extra: Partial<CallRequest> = {}): Promise<CallOutcome> => callTool(env, {
    name, arguments: args, caller: { canAsk: true }, principal: 'alice', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', signal: new AbortController().signal, ...extra,
  });
  const audited = () => lines.filter((l) => l['audit'] === true);
  return { call, ran, audited };
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
